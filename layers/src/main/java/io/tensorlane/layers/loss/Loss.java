package io.tensorlane.layers.loss;

import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;

/**
 * A loss on a net's output: the scalar loss (mean over the batch) and its gradient with respect to
 * the scores, shaped like them. Classification losses take I32 labels (N); regression losses a F32
 * target of the scores' shape.
 */
public interface Loss {
    /** The registry name, e.g. {@code "softmax_cross_entropy"}. */
    String type();

    /**
     * Loss and d loss / d scores. The gradient may be a buffer the loss reuses: the next forward with
     * scores of the same shape overwrites it (consume or copy it first).
     */
    LossResult forward(Tensor scores, Tensor target);

    /** True when the target is I32 class labels (so accuracy is defined: argmax of the scores). */
    boolean classification();

    /** The ops this loss computes with. */
    void setOps(Ops ops);
}

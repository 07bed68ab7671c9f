package io.tensorlane.layers.loss;

import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Tensor;

/** Softmax then cross-entropy, mean over the batch: scores (N, C), labels I32 (N). */
public final class SoftmaxCrossEntropy extends OpsLoss {
    @Override
    public String type() { return "softmax_cross_entropy"; }

    @Override
    public LossResult forward(Tensor scores, Tensor labels) {
        return ops.softmaxCrossEntropy(scores, labels, gradBuffer(scores));
    }

    @Override
    public boolean classification() { return true; }
}

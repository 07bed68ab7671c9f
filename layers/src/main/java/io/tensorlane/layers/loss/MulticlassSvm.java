package io.tensorlane.layers.loss;

import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Tensor;

/** Multiclass hinge loss (cs231n), mean over the batch: scores (N, C), labels I32 (N). */
public final class MulticlassSvm extends OpsLoss {
    private final float margin;

    public MulticlassSvm() {
        this(1f);
    }

    public MulticlassSvm(float margin) {
        if (!(margin >= 0) || Float.isInfinite(margin)) throw new IllegalArgumentException("multiclass_svm: margin must be finite and >= 0, got " + margin);
        this.margin = margin;
    }

    @Override
    public String type() { return "multiclass_svm"; }

    @Override
    public LossResult forward(Tensor scores, Tensor labels) {
        return ops.svmLoss(scores, labels, margin, gradBuffer(scores));
    }

    @Override
    public boolean classification() { return true; }
}

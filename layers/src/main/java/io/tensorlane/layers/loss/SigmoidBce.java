package io.tensorlane.layers.loss;

import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Tensor;

/** Binary cross-entropy on logits (sigmoid folded in), mean over all elements; F32 target in [0, 1]. */
public final class SigmoidBce extends OpsLoss {
    @Override
    public String type() { return "sigmoid_bce"; }

    @Override
    public LossResult forward(Tensor logits, Tensor target) {
        return ops.sigmoidBceLoss(logits, target, gradBuffer(logits));
    }

    @Override
    public boolean classification() { return false; }
}

package io.tensorlane.layers.loss;

import io.tensorlane.kernels.MseReduction;
import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Tensor;

/**
 * Squared error of pred and a F32 target of the same shape: {@code mse} divides the summed squares
 * by the element count (PyTorch), {@code euclidean} by 2N (Caffe's EuclideanLoss).
 */
public final class MeanSquaredError extends OpsLoss {
    private final MseReduction reduction;

    public MeanSquaredError(MseReduction reduction) {
        this.reduction = java.util.Objects.requireNonNull(reduction, "reduction");
    }

    @Override
    public String type() { return reduction == MseReduction.EUCLIDEAN ? "euclidean" : "mse"; }

    @Override
    public LossResult forward(Tensor pred, Tensor target) {
        return ops.mseLoss(pred, target, reduction, gradBuffer(pred));
    }

    @Override
    public boolean classification() { return false; }
}

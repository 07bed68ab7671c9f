package io.tensorlane.kernels;

/** How {@link LossKernels#mse} reduces the squared error. */
public enum MseReduction {
    /** PyTorch {@code MSELoss()}: sum((p - t)^2) / numel. */
    MEAN,
    /** Caffe {@code EuclideanLoss}: sum((p - t)^2) / (2 N), N the batch (first dim). */
    EUCLIDEAN;

    public static MseReduction parse(String s) {
        for (MseReduction r : values()) {
            if (r.name().equalsIgnoreCase(s)) return r;
        }
        throw new IllegalArgumentException("mse_loss: unknown reduction '" + s + "' (valid: mean, euclidean)");
    }
}

package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points for {@link SoftmaxKernels}: softmax and log-softmax along the last dim of a
 * contiguous row-major {@code [rows, cols]} float32 matrix (any leading dims flattened into rows),
 * offsets in elements. Outputs may be the exact same range as an input (in place) but must not overlap
 * one partially. Huge logits (e.g. +-1000) are fine: the row maximum is subtracted first.
 */
public final class Softmax {
    private Softmax() {
    }

    /** y[rows, cols] = softmax(x[rows, cols]) per row */
    public static void softmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        forward("softmax", rows, cols, x, xOff, y, yOff);
        Kernels.get().softmax().softmax(rows, cols, x, xOff, y, yOff);
    }

    /** dx[rows, cols] = y * (dout - sum_k(dout * y)) per row, y[rows, cols] being the softmax output */
    public static void softmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                       MemorySegment dx, long dxOff) {
        backward("softmaxBackward", rows, cols, y, yOff, dout, dOff, dx, dxOff);
        Kernels.get().softmax().softmaxBackward(rows, cols, y, yOff, dout, dOff, dx, dxOff);
    }

    /** y[rows, cols] = log(softmax(x[rows, cols])) per row, computed without forming softmax */
    public static void logSoftmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        forward("logSoftmax", rows, cols, x, xOff, y, yOff);
        Kernels.get().softmax().logSoftmax(rows, cols, x, xOff, y, yOff);
    }

    /** dx[rows, cols] = dout - exp(y) * sum_k(dout) per row, y[rows, cols] being the log-softmax output */
    public static void logSoftmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                          MemorySegment dx, long dxOff) {
        backward("logSoftmaxBackward", rows, cols, y, yOff, dout, dOff, dx, dxOff);
        Kernels.get().softmax().logSoftmaxBackward(rows, cols, y, yOff, dout, dOff, dx, dxOff);
    }

    private static void forward(String op, long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long n = Reductions.numel(op, rows, cols);
        Checks.floats(op, "x", x, xOff, n);
        Checks.floats(op, "y", y, yOff, n);
        Checks.disjointOrSame(op, "x", x, xOff, n, "y", y, yOff, n);
    }

    private static void backward(String op, long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                 MemorySegment dx, long dxOff) {
        long n = Reductions.numel(op, rows, cols);
        Checks.floats(op, "y", y, yOff, n);
        Checks.floats(op, "dout", dout, dOff, n);
        Checks.floats(op, "dx", dx, dxOff, n);
        Checks.disjointOrSame(op, "y", y, yOff, n, "dx", dx, dxOff, n);
        Checks.disjointOrSame(op, "dout", dout, dOff, n, "dx", dx, dxOff, n);
    }
}

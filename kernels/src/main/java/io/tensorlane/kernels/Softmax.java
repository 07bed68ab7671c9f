package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points of softmax / log-softmax along the last dim of a contiguous row-major
 * {@code rows x cols} float32 matrix (element offsets).
 */
public final class Softmax {
    private Softmax() {
    }

    private static SoftmaxKernels k() {
        return Kernels.get().softmax();
    }

    private static long check(String op, long rows, long cols, String a, MemorySegment x, long xOff, String b,
                              MemorySegment y, long yOff) {
        Checks.nonNegative(op, "rows", rows);
        Checks.nonNegative(op, "cols", cols);
        long n = Checks.multiply(op, "rows * cols", rows, cols);
        Checks.floats(op, a, x, xOff, n);
        Checks.floats(op, b, y, yOff, n);
        return n;
    }

    public static void softmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        check("softmax", rows, cols, "x", x, xOff, "y", y, yOff);
        k().softmax(rows, cols, x, xOff, y, yOff);
    }

    /** dx = y (dout - rowsum(dout * y)) */
    public static void softmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                       MemorySegment dx, long dxOff) {
        long n = check("softmax_backward", rows, cols, "y", y, yOff, "dout", dout, dOff);
        Checks.floats("softmax_backward", "dx", dx, dxOff, n);
        k().softmaxBackward(rows, cols, y, yOff, dout, dOff, dx, dxOff);
    }

    public static void logSoftmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        check("log_softmax", rows, cols, "x", x, xOff, "y", y, yOff);
        k().logSoftmax(rows, cols, x, xOff, y, yOff);
    }

    /** dx = dout - exp(y) rowsum(dout), y the log-softmax output */
    public static void logSoftmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                          MemorySegment dx, long dxOff) {
        long n = check("log_softmax_backward", rows, cols, "y", y, yOff, "dout", dout, dOff);
        Checks.floats("log_softmax_backward", "dx", dx, dxOff, n);
        k().logSoftmaxBackward(rows, cols, y, yOff, dout, dOff, dx, dxOff);
    }
}

package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points of the reductions of a contiguous row-major {@code rows x cols} float32
 * matrix: {@code row*} give one value per row (reducing the last dim), {@code col*} one per column.
 * Variance is biased (divides by the count); argmax writes int32 (first maximum).
 */
public final class Reductions {
    private Reductions() {
    }

    private static ReductionKernels k() {
        return Kernels.get().reductions();
    }

    private static void check(String op, long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff,
                              long outLen, boolean intOut) {
        Checks.nonNegative(op, "rows", rows);
        Checks.nonNegative(op, "cols", cols);
        Checks.floats(op, "x", x, xOff, Checks.multiply(op, "rows * cols", rows, cols));
        if (intOut) {
            Checks.ints(op, "out", out, outOff, outLen);
        } else {
            Checks.floats(op, "out", out, outOff, outLen);
        }
    }

    public static void rowSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        check("row_sum", rows, cols, x, xOff, out, outOff, rows, false);
        k().rowSum(rows, cols, x, xOff, out, outOff);
    }

    public static void rowMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        check("row_mean", rows, cols, x, xOff, out, outOff, rows, false);
        k().rowMean(rows, cols, x, xOff, out, outOff);
    }

    public static void rowMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        check("row_max", rows, cols, x, xOff, out, outOff, rows, false);
        k().rowMax(rows, cols, x, xOff, out, outOff);
    }

    public static void rowArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        check("row_argmax", rows, cols, x, xOff, out, outOff, rows, true);
        k().rowArgmax(rows, cols, x, xOff, out, outOff);
    }

    public static void rowVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        check("row_variance", rows, cols, x, xOff, out, outOff, rows, false);
        k().rowVariance(rows, cols, x, xOff, out, outOff);
    }

    public static void colSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        check("col_sum", rows, cols, x, xOff, out, outOff, cols, false);
        k().colSum(rows, cols, x, xOff, out, outOff);
    }

    public static void colMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        check("col_mean", rows, cols, x, xOff, out, outOff, cols, false);
        k().colMean(rows, cols, x, xOff, out, outOff);
    }

    public static void colMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        check("col_max", rows, cols, x, xOff, out, outOff, cols, false);
        k().colMax(rows, cols, x, xOff, out, outOff);
    }

    public static void colArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        check("col_argmax", rows, cols, x, xOff, out, outOff, cols, true);
        k().colArgmax(rows, cols, x, xOff, out, outOff);
    }

    public static void colVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        check("col_variance", rows, cols, x, xOff, out, outOff, cols, false);
        k().colVariance(rows, cols, x, xOff, out, outOff);
    }
}

package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points for {@link ReductionKernels} over a contiguous row-major {@code [rows, cols]}
 * float32 matrix x (offsets in elements). {@code row*} write {@code out[rows]} (one value per row, reduced
 * along cols); {@code col*} write {@code out[cols]} (one per column, reduced along rows). argmax writes
 * int32 indices. The output must not overlap x. Empty reductions: sum 0, mean/variance NaN,
 * max -Infinity, argmax -1 (see {@link ReductionKernels}).
 */
public final class Reductions {
    private Reductions() {
    }

    /** out[rows] = sum of each row */
    public static void rowSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        rowChecks("rowSum", rows, cols, x, xOff, out, outOff, Float.BYTES);
        Kernels.get().reductions().rowSum(rows, cols, x, xOff, out, outOff);
    }

    /** out[rows] = mean of each row */
    public static void rowMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        rowChecks("rowMean", rows, cols, x, xOff, out, outOff, Float.BYTES);
        Kernels.get().reductions().rowMean(rows, cols, x, xOff, out, outOff);
    }

    /** out[rows] = maximum of each row (NaN propagates) */
    public static void rowMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        rowChecks("rowMax", rows, cols, x, xOff, out, outOff, Float.BYTES);
        Kernels.get().reductions().rowMax(rows, cols, x, xOff, out, outOff);
    }

    /** int32 out[rows] = first index of each row's maximum (NaN is skipped); cols must fit an int */
    public static void rowArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        indexFitsInt("rowArgmax", "cols", cols);
        rowChecks("rowArgmax", rows, cols, x, xOff, out, outOff, Integer.BYTES);
        Kernels.get().reductions().rowArgmax(rows, cols, x, xOff, out, outOff);
    }

    /** out[rows] = biased (population) variance of each row */
    public static void rowVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        rowChecks("rowVariance", rows, cols, x, xOff, out, outOff, Float.BYTES);
        Kernels.get().reductions().rowVariance(rows, cols, x, xOff, out, outOff);
    }

    /** out[cols] = sum of each column */
    public static void colSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colChecks("colSum", rows, cols, x, xOff, out, outOff, Float.BYTES);
        Kernels.get().reductions().colSum(rows, cols, x, xOff, out, outOff);
    }

    /** out[cols] = mean of each column */
    public static void colMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colChecks("colMean", rows, cols, x, xOff, out, outOff, Float.BYTES);
        Kernels.get().reductions().colMean(rows, cols, x, xOff, out, outOff);
    }

    /** out[cols] = maximum of each column (NaN propagates) */
    public static void colMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colChecks("colMax", rows, cols, x, xOff, out, outOff, Float.BYTES);
        Kernels.get().reductions().colMax(rows, cols, x, xOff, out, outOff);
    }

    /** int32 out[cols] = first row index of each column's maximum (NaN is skipped); rows must fit an int */
    public static void colArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        indexFitsInt("colArgmax", "rows", rows);
        colChecks("colArgmax", rows, cols, x, xOff, out, outOff, Integer.BYTES);
        Kernels.get().reductions().colArgmax(rows, cols, x, xOff, out, outOff);
    }

    /** out[cols] = biased (population) variance of each column */
    public static void colVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colChecks("colVariance", rows, cols, x, xOff, out, outOff, Float.BYTES);
        Kernels.get().reductions().colVariance(rows, cols, x, xOff, out, outOff);
    }

    /** rows * cols, both non-negative, without overflow. */
    static long numel(String op, long rows, long cols) {
        Checks.nonNegative(op, "rows", rows);
        Checks.nonNegative(op, "cols", cols);
        return Checks.multiply(op, "rows*cols for x=[" + rows + ", " + cols + "]", rows, cols);
    }

    private static void rowChecks(String op, long rows, long cols, MemorySegment x, long xOff,
                                  MemorySegment out, long outOff, int outBytes) {
        long n = numel(op, rows, cols);
        Checks.floats(op, "x", x, xOff, n);
        Checks.range(op, "out", out, outOff, rows, outBytes);
        Checks.disjoint(op, "x", x, xOff, n, Float.BYTES, "out", out, outOff, rows, outBytes);
    }

    private static void colChecks(String op, long rows, long cols, MemorySegment x, long xOff,
                                  MemorySegment out, long outOff, int outBytes) {
        long n = numel(op, rows, cols);
        Checks.floats(op, "x", x, xOff, n);
        Checks.range(op, "out", out, outOff, cols, outBytes);
        Checks.disjoint(op, "x", x, xOff, n, Float.BYTES, "out", out, outOff, cols, outBytes);
    }

    private static void indexFitsInt(String op, String arg, long v) {
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + arg + " = " + v + " exceeds the int32 index range");
        }
    }
}

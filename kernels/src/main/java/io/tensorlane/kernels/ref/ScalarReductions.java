package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.ReductionKernels;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Scalar reference twin of {@link ReductionKernels}. Sums, means and variances accumulate in double
 * (variance in two passes: mean, then squared deviations) and are rounded once; max follows
 * {@link Math#max(float, float)} (NaN propagates); argmax is a strict {@code >} scan from -Infinity
 * with index 0 as the start, so it returns the first index of the maximum, skips NaN, and gives 0
 * for a line of only NaN / -Infinity.
 */
public final class ScalarReductions implements ReductionKernels {
    @Override
    public void rowSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, (float) sum(x, xOff + r * cols, 1, cols));
        }
    }

    @Override
    public void rowMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, (float) (sum(x, xOff + r * cols, 1, cols) / cols));
        }
    }

    @Override
    public void rowMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, max(x, xOff + r * cols, 1, cols));
        }
    }

    @Override
    public void rowArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_INT, outOff + r, argmax(x, xOff + r * cols, 1, cols));
        }
    }

    @Override
    public void rowVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, (float) variance(x, xOff + r * cols, 1, cols));
        }
    }

    @Override
    public void colSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long c = 0; c < cols; c++) {
            out.setAtIndex(JAVA_FLOAT, outOff + c, (float) sum(x, xOff + c, cols, rows));
        }
    }

    @Override
    public void colMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long c = 0; c < cols; c++) {
            out.setAtIndex(JAVA_FLOAT, outOff + c, (float) (sum(x, xOff + c, cols, rows) / rows));
        }
    }

    @Override
    public void colMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long c = 0; c < cols; c++) {
            out.setAtIndex(JAVA_FLOAT, outOff + c, max(x, xOff + c, cols, rows));
        }
    }

    @Override
    public void colArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long c = 0; c < cols; c++) {
            out.setAtIndex(JAVA_INT, outOff + c, argmax(x, xOff + c, cols, rows));
        }
    }

    @Override
    public void colVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long c = 0; c < cols; c++) {
            out.setAtIndex(JAVA_FLOAT, outOff + c, (float) variance(x, xOff + c, cols, rows));
        }
    }

    /** Sum of {@code count} elements starting at {@code off}, {@code stride} apart. */
    private static double sum(MemorySegment x, long off, long stride, long count) {
        double s = 0;
        for (long i = 0; i < count; i++) {
            s += x.getAtIndex(JAVA_FLOAT, off + i * stride);
        }
        return s;
    }

    private static float max(MemorySegment x, long off, long stride, long count) {
        float m = Float.NEGATIVE_INFINITY;
        for (long i = 0; i < count; i++) {
            m = Math.max(m, x.getAtIndex(JAVA_FLOAT, off + i * stride));
        }
        return m;
    }

    private static int argmax(MemorySegment x, long off, long stride, long count) {
        if (count == 0) return -1;
        float best = Float.NEGATIVE_INFINITY;
        int idx = 0;
        for (long i = 0; i < count; i++) {
            float v = x.getAtIndex(JAVA_FLOAT, off + i * stride);
            if (v > best) {
                best = v;
                idx = (int) i;
            }
        }
        return idx;
    }

    /** Biased variance, two-pass in double; NaN when count is 0. */
    private static double variance(MemorySegment x, long off, long stride, long count) {
        if (count == 0) return Double.NaN;
        double mean = sum(x, off, stride, count) / count;
        double s = 0;
        for (long i = 0; i < count; i++) {
            double d = x.getAtIndex(JAVA_FLOAT, off + i * stride) - mean;
            s += d * d;
        }
        return s / count;
    }
}

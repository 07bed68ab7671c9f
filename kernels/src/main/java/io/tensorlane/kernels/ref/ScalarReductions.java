package io.tensorlane.kernels.ref;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.tensorlane.kernels.ReductionKernels;
import java.lang.foreign.MemorySegment;

/** Scalar twin of the row/column reductions; sums in double. */
public final class ScalarReductions implements ReductionKernels {
    @Override
    public void rowSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, (float) rowSumD(cols, x, xOff + r * cols));
        }
    }

    private static double rowSumD(long cols, MemorySegment x, long base) {
        double s = 0;
        for (long j = 0; j < cols; j++) {
            s += x.getAtIndex(JAVA_FLOAT, base + j);
        }
        return s;
    }

    @Override
    public void rowMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, (float) (rowSumD(cols, x, xOff + r * cols) / cols));
        }
    }

    @Override
    public void rowMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            float m = Float.NEGATIVE_INFINITY;
            for (long j = 0; j < cols; j++) {
                m = Math.max(m, x.getAtIndex(JAVA_FLOAT, xOff + r * cols + j));
            }
            out.setAtIndex(JAVA_FLOAT, outOff + r, m);
        }
    }

    @Override
    public void rowArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            long best = -1;
            float m = Float.NEGATIVE_INFINITY;
            for (long j = 0; j < cols; j++) {
                float v = x.getAtIndex(JAVA_FLOAT, xOff + r * cols + j);
                if (best < 0 || v > m) {
                    m = v;
                    best = j;
                }
            }
            out.setAtIndex(JAVA_INT, outOff + r, (int) best);
        }
    }

    @Override
    public void rowVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            long base = xOff + r * cols;
            double mean = rowSumD(cols, x, base) / cols;
            double ss = 0;
            for (long j = 0; j < cols; j++) {
                double d = x.getAtIndex(JAVA_FLOAT, base + j) - mean;
                ss += d * d;
            }
            out.setAtIndex(JAVA_FLOAT, outOff + r, (float) (ss / cols));
        }
    }

    private static void colSumD(long rows, long cols, MemorySegment x, long xOff, double[] acc, long c0, int w) {
        for (long r = 0; r < rows; r++) {
            for (int j = 0; j < w; j++) {
                acc[j] += x.getAtIndex(JAVA_FLOAT, xOff + r * cols + c0 + j);
            }
        }
    }

    /** Columns are processed in blocks so the double accumulators stay small and the rows are read in order. */
    private static final int BLOCK = 256;

    @Override
    public void colSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colMoments(rows, cols, x, xOff, out, outOff, 0);
    }

    @Override
    public void colMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colMoments(rows, cols, x, xOff, out, outOff, 1);
    }

    @Override
    public void colVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colMoments(rows, cols, x, xOff, out, outOff, 2);
    }

    /** kind 0 = sum, 1 = mean, 2 = biased variance (two passes: mean, then squared deviations). */
    private static void colMoments(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff, int kind) {
        double[] acc = new double[BLOCK];
        double[] dev = new double[BLOCK];
        for (long c0 = 0; c0 < cols; c0 += BLOCK) {
            int w = (int) Math.min(BLOCK, cols - c0);
            java.util.Arrays.fill(acc, 0, w, 0.0);
            colSumD(rows, cols, x, xOff, acc, c0, w);
            if (kind == 2) {
                java.util.Arrays.fill(dev, 0, w, 0.0);
                for (long r = 0; r < rows; r++) {
                    for (int j = 0; j < w; j++) {
                        double d = x.getAtIndex(JAVA_FLOAT, xOff + r * cols + c0 + j) - acc[j] / rows;
                        dev[j] += d * d;
                    }
                }
            }
            for (int j = 0; j < w; j++) {
                double v = switch (kind) {
                    case 0 -> acc[j];
                    case 1 -> acc[j] / rows;
                    default -> dev[j] / rows;
                };
                out.setAtIndex(JAVA_FLOAT, outOff + c0 + j, (float) v);
            }
        }
    }

    @Override
    public void colMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long c = 0; c < cols; c++) {
            float m = Float.NEGATIVE_INFINITY;
            for (long r = 0; r < rows; r++) {
                m = Math.max(m, x.getAtIndex(JAVA_FLOAT, xOff + r * cols + c));
            }
            out.setAtIndex(JAVA_FLOAT, outOff + c, m);
        }
    }

    @Override
    public void colArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long c = 0; c < cols; c++) {
            long best = -1;
            float m = Float.NEGATIVE_INFINITY;
            for (long r = 0; r < rows; r++) {
                float v = x.getAtIndex(JAVA_FLOAT, xOff + r * cols + c);
                if (best < 0 || v > m) {
                    m = v;
                    best = r;
                }
            }
            out.setAtIndex(JAVA_INT, outOff + c, (int) best);
        }
    }
}

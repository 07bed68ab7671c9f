package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.SoftmaxKernels;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Scalar reference twin of {@link SoftmaxKernels}: the row maximum is subtracted first (so exp never
 * overflows), exponentials and row sums are taken in double, each output is rounded once.
 */
public final class ScalarSoftmax implements SoftmaxKernels {
    @Override
    public void softmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long r = 0; r < rows; r++) {
            long xo = xOff + r * cols;
            long yo = yOff + r * cols;
            float m = rowMax(cols, x, xo);
            double sum = 0;
            for (long k = 0; k < cols; k++) {
                sum += Math.exp((double) x.getAtIndex(JAVA_FLOAT, xo + k) - m);
            }
            double inv = 1.0 / sum;
            for (long k = 0; k < cols; k++) {
                y.setAtIndex(JAVA_FLOAT, yo + k, (float) (Math.exp((double) x.getAtIndex(JAVA_FLOAT, xo + k) - m) * inv));
            }
        }
    }

    @Override
    public void softmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                MemorySegment dx, long dxOff) {
        for (long r = 0; r < rows; r++) {
            long base = r * cols;
            double dot = 0;
            for (long k = 0; k < cols; k++) {
                dot += (double) dout.getAtIndex(JAVA_FLOAT, dOff + base + k) * y.getAtIndex(JAVA_FLOAT, yOff + base + k);
            }
            for (long k = 0; k < cols; k++) {
                double yk = y.getAtIndex(JAVA_FLOAT, yOff + base + k);
                dx.setAtIndex(JAVA_FLOAT, dxOff + base + k, (float) (yk * (dout.getAtIndex(JAVA_FLOAT, dOff + base + k) - dot)));
            }
        }
    }

    @Override
    public void logSoftmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long r = 0; r < rows; r++) {
            long xo = xOff + r * cols;
            long yo = yOff + r * cols;
            float m = rowMax(cols, x, xo);
            double sum = 0;
            for (long k = 0; k < cols; k++) {
                sum += Math.exp((double) x.getAtIndex(JAVA_FLOAT, xo + k) - m);
            }
            double shift = m + Math.log(sum);
            for (long k = 0; k < cols; k++) {
                y.setAtIndex(JAVA_FLOAT, yo + k, (float) ((double) x.getAtIndex(JAVA_FLOAT, xo + k) - shift));
            }
        }
    }

    @Override
    public void logSoftmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                   MemorySegment dx, long dxOff) {
        for (long r = 0; r < rows; r++) {
            long base = r * cols;
            double sum = 0;
            for (long k = 0; k < cols; k++) {
                sum += dout.getAtIndex(JAVA_FLOAT, dOff + base + k);
            }
            for (long k = 0; k < cols; k++) {
                double p = Math.exp(y.getAtIndex(JAVA_FLOAT, yOff + base + k));
                dx.setAtIndex(JAVA_FLOAT, dxOff + base + k, (float) (dout.getAtIndex(JAVA_FLOAT, dOff + base + k) - p * sum));
            }
        }
    }

    /** Max of a row (Math.max semantics: NaN propagates); -Infinity for an empty row. */
    static float rowMax(long cols, MemorySegment x, long off) {
        float m = Float.NEGATIVE_INFINITY;
        for (long k = 0; k < cols; k++) {
            m = Math.max(m, x.getAtIndex(JAVA_FLOAT, off + k));
        }
        return m;
    }
}

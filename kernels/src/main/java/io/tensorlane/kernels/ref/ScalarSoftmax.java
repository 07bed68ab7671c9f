package io.tensorlane.kernels.ref;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.kernels.SoftmaxKernels;
import java.lang.foreign.MemorySegment;

/** Scalar twin of softmax / log-softmax; row sums in double. */
public final class ScalarSoftmax implements SoftmaxKernels {
    private static float rowMax(long cols, MemorySegment x, long base) {
        float m = Float.NEGATIVE_INFINITY;
        for (long j = 0; j < cols; j++) {
            m = Math.max(m, x.getAtIndex(JAVA_FLOAT, base + j));
        }
        return m;
    }

    @Override
    public void softmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long r = 0; r < rows; r++) {
            long xb = xOff + r * cols, yb = yOff + r * cols;
            float m = rowMax(cols, x, xb);
            double sum = 0;
            for (long j = 0; j < cols; j++) {
                float e = (float) Math.exp(x.getAtIndex(JAVA_FLOAT, xb + j) - m);
                y.setAtIndex(JAVA_FLOAT, yb + j, e);
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (long j = 0; j < cols; j++) {
                y.setAtIndex(JAVA_FLOAT, yb + j, y.getAtIndex(JAVA_FLOAT, yb + j) * inv);
            }
        }
    }

    @Override
    public void softmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                MemorySegment dx, long dxOff) {
        for (long r = 0; r < rows; r++) {
            long yb = yOff + r * cols, db = dOff + r * cols, xb = dxOff + r * cols;
            double dot = 0;
            for (long j = 0; j < cols; j++) {
                dot += (double) y.getAtIndex(JAVA_FLOAT, yb + j) * dout.getAtIndex(JAVA_FLOAT, db + j);
            }
            float s = (float) dot;
            for (long j = 0; j < cols; j++) {
                float yj = y.getAtIndex(JAVA_FLOAT, yb + j);
                dx.setAtIndex(JAVA_FLOAT, xb + j, yj * (dout.getAtIndex(JAVA_FLOAT, db + j) - s));
            }
        }
    }

    @Override
    public void logSoftmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long r = 0; r < rows; r++) {
            long xb = xOff + r * cols, yb = yOff + r * cols;
            float m = rowMax(cols, x, xb);
            double sum = 0;
            for (long j = 0; j < cols; j++) {
                sum += Math.exp(x.getAtIndex(JAVA_FLOAT, xb + j) - m);
            }
            // (x - m) - lse, not x - (m + lse): for logits in the thousands m + lse would round to ulp(m).
            float lse = (float) Math.log(sum);
            for (long j = 0; j < cols; j++) {
                y.setAtIndex(JAVA_FLOAT, yb + j, (x.getAtIndex(JAVA_FLOAT, xb + j) - m) - lse);
            }
        }
    }

    @Override
    public void logSoftmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                   MemorySegment dx, long dxOff) {
        for (long r = 0; r < rows; r++) {
            long yb = yOff + r * cols, db = dOff + r * cols, xb = dxOff + r * cols;
            double sum = 0;
            for (long j = 0; j < cols; j++) {
                sum += dout.getAtIndex(JAVA_FLOAT, db + j);
            }
            float s = (float) sum;
            for (long j = 0; j < cols; j++) {
                float p = (float) Math.exp(y.getAtIndex(JAVA_FLOAT, yb + j));
                dx.setAtIndex(JAVA_FLOAT, xb + j, dout.getAtIndex(JAVA_FLOAT, db + j) - p * s);
            }
        }
    }
}

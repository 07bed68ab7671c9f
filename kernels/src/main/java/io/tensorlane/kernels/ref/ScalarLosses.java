package io.tensorlane.kernels.ref;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.tensorlane.kernels.LossKernels;
import io.tensorlane.kernels.MseReduction;
import java.lang.foreign.MemorySegment;

/** Scalar twin of the losses; every sum in double. */
public final class ScalarLosses implements LossKernels {
    @Override
    public double softmaxCrossEntropy(long n, long c, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                                      MemorySegment dx, long dxOff) {
        double loss = 0;
        for (long i = 0; i < n; i++) {
            long base = xOff + i * c;
            float m = Float.NEGATIVE_INFINITY;
            for (long j = 0; j < c; j++) m = Math.max(m, x.getAtIndex(JAVA_FLOAT, base + j));
            double sum = 0;
            for (long j = 0; j < c; j++) sum += Math.exp(x.getAtIndex(JAVA_FLOAT, base + j) - m);
            int y = labels.getAtIndex(JAVA_INT, lOff + i);
            double logZ = m + Math.log(sum);
            loss -= x.getAtIndex(JAVA_FLOAT, base + y) - logZ;
            if (dx != null) {
                for (long j = 0; j < c; j++) {
                    double p = Math.exp(x.getAtIndex(JAVA_FLOAT, base + j) - logZ);
                    dx.setAtIndex(JAVA_FLOAT, dxOff + i * c + j, (float) ((p - (j == y ? 1 : 0)) / n));
                }
            }
        }
        return loss / n;
    }

    @Override
    public double svmHinge(long n, long c, float margin, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                           MemorySegment dx, long dxOff) {
        double loss = 0;
        for (long i = 0; i < n; i++) {
            long base = xOff + i * c;
            int y = labels.getAtIndex(JAVA_INT, lOff + i);
            float xy = x.getAtIndex(JAVA_FLOAT, base + y);
            int positive = 0;
            for (long j = 0; j < c; j++) {
                float g = 0f;
                if (j != y) {
                    float mj = x.getAtIndex(JAVA_FLOAT, base + j) - xy + margin;
                    if (mj > 0f) {
                        loss += mj;
                        positive++;
                        g = 1f / n;
                    }
                }
                if (dx != null) dx.setAtIndex(JAVA_FLOAT, dxOff + i * c + j, g);
            }
            if (dx != null) dx.setAtIndex(JAVA_FLOAT, dxOff + i * c + y, (float) (-(double) positive / n));
        }
        return loss / n;
    }

    @Override
    public double mse(MseReduction reduction, long numel, long batch, MemorySegment pred, long pOff,
                      MemorySegment target, long tOff, MemorySegment dpred, long dOff) {
        double ss = 0;
        double gradScale = reduction == MseReduction.MEAN ? 2.0 / numel : 1.0 / batch;
        for (long i = 0; i < numel; i++) {
            double d = (double) pred.getAtIndex(JAVA_FLOAT, pOff + i) - target.getAtIndex(JAVA_FLOAT, tOff + i);
            ss += d * d;
            if (dpred != null) dpred.setAtIndex(JAVA_FLOAT, dOff + i, (float) (d * gradScale));
        }
        return reduction == MseReduction.MEAN ? ss / numel : ss / (2.0 * batch);
    }

    @Override
    public double sigmoidBce(long numel, MemorySegment x, long xOff, MemorySegment target, long tOff,
                             MemorySegment dx, long dxOff) {
        double loss = 0;
        for (long i = 0; i < numel; i++) {
            double v = x.getAtIndex(JAVA_FLOAT, xOff + i);
            double t = target.getAtIndex(JAVA_FLOAT, tOff + i);
            loss += Math.max(v, 0) - v * t + Math.log1p(Math.exp(-Math.abs(v)));
            if (dx != null) {
                double s = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
                dx.setAtIndex(JAVA_FLOAT, dxOff + i, (float) ((s - t) / numel));
            }
        }
        return loss / numel;
    }
}

package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.LossKernels;
import io.tensorlane.kernels.MseReduction;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Scalar reference twin of {@link LossKernels}. Losses and row sums accumulate in double; per-element
 * quantities whose sign decides a branch (hinge margins, mse differences) are formed in float exactly
 * as the SIMD versions form them, so both take the same branches.
 */
public final class ScalarLosses implements LossKernels {
    @Override
    public double softmaxCrossEntropy(long n, long c, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                                      MemorySegment dx, long dxOff) {
        double loss = 0;
        for (long i = 0; i < n; i++) {
            long row = xOff + i * c;
            int label = labels.getAtIndex(JAVA_INT, lOff + i);
            float m = ScalarSoftmax.rowMax(c, x, row);
            double sum = 0;
            for (long k = 0; k < c; k++) {
                sum += Math.exp((double) x.getAtIndex(JAVA_FLOAT, row + k) - m);
            }
            loss += m + Math.log(sum) - x.getAtIndex(JAVA_FLOAT, row + label);
            if (dx != null) {
                double scale = 1.0 / (sum * n);
                long drow = dxOff + i * c;
                for (long k = 0; k < c; k++) {
                    double p = Math.exp((double) x.getAtIndex(JAVA_FLOAT, row + k) - m) * scale;
                    dx.setAtIndex(JAVA_FLOAT, drow + k, (float) (k == label ? p - 1.0 / n : p));
                }
            }
        }
        return loss / n;
    }

    @Override
    public double svmHinge(long n, long c, float margin, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                           MemorySegment dx, long dxOff) {
        double loss = 0;
        float inv = 1f / n;
        for (long i = 0; i < n; i++) {
            long row = xOff + i * c;
            int label = labels.getAtIndex(JAVA_INT, lOff + i);
            float correct = x.getAtIndex(JAVA_FLOAT, row + label);
            long positive = 0;
            for (long k = 0; k < c; k++) {
                if (k == label) continue;
                float mk = (x.getAtIndex(JAVA_FLOAT, row + k) - correct) + margin;
                if (mk > 0f) {
                    loss += mk;
                    positive++;
                }
                if (dx != null) dx.setAtIndex(JAVA_FLOAT, dxOff + i * c + k, mk > 0f ? inv : 0f);
            }
            if (dx != null) dx.setAtIndex(JAVA_FLOAT, dxOff + i * c + label, (float) (-(double) positive / n));
        }
        return loss / n;
    }

    @Override
    public double mse(MseReduction reduction, long numel, long batch, MemorySegment pred, long pOff,
                      MemorySegment target, long tOff, MemorySegment dpred, long dOff) {
        double sum = 0;
        // MEAN: d(sum d^2 / numel) = 2d / numel; EUCLIDEAN: d(sum d^2 / (2 batch)) = d / batch
        double gradScale = reduction == MseReduction.MEAN ? 2.0 / numel : 1.0 / batch;
        for (long i = 0; i < numel; i++) {
            float d = pred.getAtIndex(JAVA_FLOAT, pOff + i) - target.getAtIndex(JAVA_FLOAT, tOff + i);
            sum += (double) d * d;
            if (dpred != null) dpred.setAtIndex(JAVA_FLOAT, dOff + i, (float) (d * gradScale));
        }
        return reduction == MseReduction.MEAN ? sum / numel : sum / (2.0 * batch);
    }

    /** Per element: max(x,0) - x*t + log1p(exp(-|x|)), the stable form of -[t log s + (1-t) log(1-s)]. */
    @Override
    public double sigmoidBce(long numel, MemorySegment x, long xOff, MemorySegment target, long tOff,
                             MemorySegment dx, long dxOff) {
        double loss = 0;
        for (long i = 0; i < numel; i++) {
            double v = x.getAtIndex(JAVA_FLOAT, xOff + i);
            double t = target.getAtIndex(JAVA_FLOAT, tOff + i);
            loss += Math.max(v, 0) - v * t + Math.log1p(Math.exp(-Math.abs(v)));
            if (dx != null) {
                double s = v >= 0 ? 1.0 / (1.0 + Math.exp(-v)) : Math.exp(v) / (1.0 + Math.exp(v));
                dx.setAtIndex(JAVA_FLOAT, dxOff + i, (float) ((s - t) / numel));
            }
        }
        return loss / numel;
    }
}

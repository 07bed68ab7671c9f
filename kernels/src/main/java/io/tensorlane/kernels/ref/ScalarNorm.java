package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.DropoutMask;
import io.tensorlane.kernels.NormKernels;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Scalar twin of {@link NormKernels}, the test oracle: batch-norm statistics and sums in double with the
 * textbook two-pass variance (mean first, then the centred squares), results rounded to float once.
 */
public final class ScalarNorm implements NormKernels {
    private static float get(MemorySegment s, long i) {
        return s.getAtIndex(JAVA_FLOAT, i);
    }

    private static void set(MemorySegment s, long i, float v) {
        s.setAtIndex(JAVA_FLOAT, i, v);
    }

    /** Flat index of element (o, c, j) of the [outer, channels, inner] view. */
    private static long at(long channels, long inner, long o, long c, long j) {
        return (o * channels + c) * inner + j;
    }

    @Override
    public void batchNormTrainForward(long outer, long channels, long inner, long c0, long c1,
                                      MemorySegment x, long xOff, MemorySegment gamma, long gOff, MemorySegment beta, long bOff,
                                      float eps, float momentum, MemorySegment runMean, long rmOff, MemorySegment runVar, long rvOff,
                                      MemorySegment y, long yOff, MemorySegment mean, long meanOff, MemorySegment var, long varOff) {
        double m = (double) outer * inner;
        for (long c = c0; c < c1; c++) {
            double s = 0;
            for (long o = 0; o < outer; o++) {
                for (long j = 0; j < inner; j++) s += get(x, xOff + at(channels, inner, o, c, j));
            }
            double mu = s / m;
            double q = 0;
            for (long o = 0; o < outer; o++) {
                for (long j = 0; j < inner; j++) {
                    double d = get(x, xOff + at(channels, inner, o, c, j)) - mu;
                    q += d * d;
                }
            }
            double va = q / m;
            double inv = 1.0 / Math.sqrt(va + eps);
            double ga = get(gamma, gOff + c), be = get(beta, bOff + c);
            for (long o = 0; o < outer; o++) {
                for (long j = 0; j < inner; j++) {
                    long i = at(channels, inner, o, c, j);
                    set(y, yOff + i, (float) ((get(x, xOff + i) - mu) * inv * ga + be));
                }
            }
            set(mean, meanOff + c, (float) mu);
            set(var, varOff + c, (float) va);
            set(runMean, rmOff + c, (float) (momentum * (double) get(runMean, rmOff + c) + (1.0 - momentum) * mu));
            set(runVar, rvOff + c, (float) (momentum * (double) get(runVar, rvOff + c) + (1.0 - momentum) * va));
        }
    }

    @Override
    public void batchNormEvalForward(long outer, long channels, long inner, long c0, long c1,
                                     MemorySegment x, long xOff, MemorySegment gamma, long gOff, MemorySegment beta, long bOff,
                                     MemorySegment mean, long meanOff, MemorySegment var, long varOff, float eps,
                                     MemorySegment y, long yOff) {
        for (long c = c0; c < c1; c++) {
            double mu = get(mean, meanOff + c);
            double inv = 1.0 / Math.sqrt((double) get(var, varOff + c) + eps);
            double ga = get(gamma, gOff + c), be = get(beta, bOff + c);
            for (long o = 0; o < outer; o++) {
                for (long j = 0; j < inner; j++) {
                    long i = at(channels, inner, o, c, j);
                    set(y, yOff + i, (float) ((get(x, xOff + i) - mu) * inv * ga + be));
                }
            }
        }
    }

    @Override
    public void batchNormBackward(boolean training, long outer, long channels, long inner, long c0, long c1,
                                  MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment gamma, long gOff,
                                  MemorySegment mean, long meanOff, MemorySegment var, long varOff, float eps,
                                  MemorySegment dx, long dxOff, MemorySegment dgamma, long dgOff, MemorySegment dbeta, long dbOff) {
        double m = (double) outer * inner;
        for (long c = c0; c < c1; c++) {
            double mu = get(mean, meanOff + c);
            double inv = 1.0 / Math.sqrt((double) get(var, varOff + c) + eps);
            double sd = 0, sdx = 0;
            for (long o = 0; o < outer; o++) {
                for (long j = 0; j < inner; j++) {
                    long i = at(channels, inner, o, c, j);
                    double d = get(dout, dOff + i);
                    sd += d;
                    sdx += d * (get(x, xOff + i) - mu) * inv;
                }
            }
            double a = get(gamma, gOff + c) * inv;
            for (long o = 0; o < outer; o++) {
                for (long j = 0; j < inner; j++) {
                    long i = at(channels, inner, o, c, j);
                    double d = get(dout, dOff + i);
                    double g = training ? a * (d - sd / m - (get(x, xOff + i) - mu) * inv * sdx / m) : a * d;
                    set(dx, dxOff + i, (float) g);
                }
            }
            set(dgamma, dgOff + c, (float) sdx);
            set(dbeta, dbOff + c, (float) sd);
        }
    }

    @Override
    public void dropoutForward(long n, long index0, long seed, int keepThreshold, float scale,
                               MemorySegment x, long xOff, MemorySegment mask, long mOff, MemorySegment y, long yOff) {
        for (long j = 0; j < n; j++) {
            float k = DropoutMask.keep(seed, index0 + j, keepThreshold) ? 1f : 0f;
            float v = get(x, xOff + j);
            set(mask, mOff + j, k);
            set(y, yOff + j, v * k * scale);
        }
    }

    @Override
    public void dropoutApply(long n, float scale, MemorySegment x, long xOff, MemorySegment mask, long mOff,
                             MemorySegment y, long yOff) {
        for (long j = 0; j < n; j++) {
            set(y, yOff + j, get(x, xOff + j) * get(mask, mOff + j) * scale);
        }
    }
}

package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.OptimizerKernels;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Scalar twin of {@link OptimizerKernels}: the update formulas in float, one element at a time, with the very
 * float operations (and fused multiply-adds) of the SIMD version, so the two agree bit for bit.
 */
public final class ScalarOptimizers implements OptimizerKernels {
    private static float get(MemorySegment s, long i) {
        return s.getAtIndex(JAVA_FLOAT, i);
    }

    private static void set(MemorySegment s, long i, float v) {
        s.setAtIndex(JAVA_FLOAT, i, v);
    }

    /** g + wd * w, or g itself when wd == 0 (so that an infinite w with wd = 0 does not turn g into NaN). */
    private static float decayed(float g, float w, float wd) {
        return wd == 0f ? g : Math.fma(wd, w, g);
    }

    @Override
    public long countNonFinite(long n, MemorySegment x, long xOff) {
        long bad = 0;
        for (long i = 0; i < n; i++) {
            if (!Float.isFinite(get(x, xOff + i))) bad++;
        }
        return bad;
    }

    @Override
    public double sumSquares(long n, MemorySegment x, long xOff) {
        double s = 0;
        for (long i = 0; i < n; i++) {
            double v = get(x, xOff + i);
            s += v * v;
        }
        return s;
    }

    @Override
    public void sgd(long n, float lr, float wd, MemorySegment w, long wOff, MemorySegment g, long gOff) {
        for (long i = 0; i < n; i++) {
            float wi = get(w, wOff + i);
            float gi = decayed(get(g, gOff + i), wi, wd);
            set(w, wOff + i, Math.fma(-lr, gi, wi));
        }
    }

    @Override
    public void momentum(long n, boolean nesterov, float lr, float mu, float wd, MemorySegment w, long wOff,
                         MemorySegment g, long gOff, MemorySegment v, long vOff) {
        for (long i = 0; i < n; i++) {
            float wi = get(w, wOff + i);
            float gi = decayed(get(g, gOff + i), wi, wd);
            float vPrev = get(v, vOff + i);
            float vi = Math.fma(mu, vPrev, -lr * gi);
            set(v, vOff + i, vi);
            set(w, wOff + i, nesterov ? Math.fma(1f + mu, vi, Math.fma(-mu, vPrev, wi)) : wi + vi);
        }
    }

    @Override
    public void adagrad(long n, float lr, float eps, float wd, MemorySegment w, long wOff, MemorySegment g, long gOff,
                        MemorySegment cache, long cOff) {
        for (long i = 0; i < n; i++) {
            float wi = get(w, wOff + i);
            float gi = decayed(get(g, gOff + i), wi, wd);
            float ci = Math.fma(gi, gi, get(cache, cOff + i));
            set(cache, cOff + i, ci);
            set(w, wOff + i, wi - lr * gi / ((float) Math.sqrt(ci) + eps));
        }
    }

    @Override
    public void rmsprop(long n, float lr, float decay, float eps, float wd, MemorySegment w, long wOff,
                        MemorySegment g, long gOff, MemorySegment cache, long cOff) {
        float rest = 1f - decay;
        for (long i = 0; i < n; i++) {
            float wi = get(w, wOff + i);
            float gi = decayed(get(g, gOff + i), wi, wd);
            float ci = Math.fma(decay, get(cache, cOff + i), rest * gi * gi);
            set(cache, cOff + i, ci);
            set(w, wOff + i, wi - lr * gi / ((float) Math.sqrt(ci) + eps));
        }
    }

    @Override
    public void adam(long n, float lr, float b1, float b2, float eps, float c1, float c2, float wd,
                     MemorySegment w, long wOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                     MemorySegment v, long vOff) {
        float r1 = 1f - b1, r2 = 1f - b2;
        for (long i = 0; i < n; i++) {
            float wi = get(w, wOff + i);
            float gi = decayed(get(g, gOff + i), wi, wd);
            float mi = Math.fma(b1, get(m, mOff + i), r1 * gi);
            float vi = Math.fma(b2, get(v, vOff + i), r2 * gi * gi);
            set(m, mOff + i, mi);
            set(v, vOff + i, vi);
            set(w, wOff + i, wi - lr * (mi * c1) / ((float) Math.sqrt(vi * c2) + eps));
        }
    }
}

package io.tensorlane.layers.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The fused update steps of issue 6 (norm branch), with exactly the signatures and semantics that
 * branch adds to {@code Ops} ({@code sgdStep}, ..., {@code clipGradNorm}: /work/notes/API-norm.md).
 * TEMPORARY: until that branch is merged, these are host-side scalar loops over contiguous tensors
 * so the optimizers compile and can be tested; after the merge each body becomes one call to the
 * {@code Ops} method of the same name and this class goes away.
 *
 * <p>Semantics kept: weight decay is added to the gradient first ({@code g' = g + wd*w}); a gradient
 * with any NaN or infinity skips the step (nothing changes) and returns false.
 */
final class FusedUpdates {
    private FusedUpdates() {
    }

    private interface Rule {
        void apply(long i, float g, float w);
    }

    private static boolean finite(Tensor g) {
        MemorySegment s = g.segment();
        long o = g.offset(), n = g.numel();
        for (long i = 0; i < n; i++) if (!Float.isFinite(s.getAtIndex(JAVA_FLOAT, o + i))) return false;
        return true;
    }

    private static boolean each(Tensor w, Tensor g0, float wd, Rule r) {
        Tensor g = g0.contiguous();
        if (!finite(g)) return false;
        MemorySegment ws = w.segment(), gs = g.segment();
        long wo = w.offset(), go = g.offset(), n = w.numel();
        for (long i = 0; i < n; i++) {
            float wi = ws.getAtIndex(JAVA_FLOAT, wo + i);
            r.apply(i, gs.getAtIndex(JAVA_FLOAT, go + i) + wd * wi, wi);
        }
        return true;
    }

    private static float get(Tensor t, long i) { return t.segment().getAtIndex(JAVA_FLOAT, t.offset() + i); }

    private static void set(Tensor t, long i, float v) { t.segment().setAtIndex(JAVA_FLOAT, t.offset() + i, v); }

    static boolean sgdStep(Tensor w, Tensor g, float lr, float wd) {
        return each(w, g, wd, (i, gi, wi) -> set(w, i, wi - lr * gi));
    }

    static boolean momentumStep(Tensor w, Tensor g, Tensor v, float lr, float mu, float wd) {
        return each(w, g, wd, (i, gi, wi) -> {
            float vi = mu * get(v, i) - lr * gi;
            set(v, i, vi);
            set(w, i, wi + vi);
        });
    }

    static boolean nesterovStep(Tensor w, Tensor g, Tensor v, float lr, float mu, float wd) {
        return each(w, g, wd, (i, gi, wi) -> {
            float prev = get(v, i);
            float vi = mu * prev - lr * gi;
            set(v, i, vi);
            set(w, i, wi - mu * prev + (1 + mu) * vi);
        });
    }

    static boolean adagradStep(Tensor w, Tensor g, Tensor cache, float lr, float eps, float wd) {
        return each(w, g, wd, (i, gi, wi) -> {
            float c = get(cache, i) + gi * gi;
            set(cache, i, c);
            set(w, i, wi - lr * gi / ((float) Math.sqrt(c) + eps));
        });
    }

    static boolean rmspropStep(Tensor w, Tensor g, Tensor cache, float lr, float decay, float eps, float wd) {
        return each(w, g, wd, (i, gi, wi) -> {
            float c = decay * get(cache, i) + (1 - decay) * gi * gi;
            set(cache, i, c);
            set(w, i, wi - lr * gi / ((float) Math.sqrt(c) + eps));
        });
    }

    static boolean adamStep(Tensor w, Tensor g, Tensor m, Tensor v, long t, float lr, float b1, float b2, float eps, float wd) {
        float c1 = (float) (1 - Math.pow(b1, t)), c2 = (float) (1 - Math.pow(b2, t));
        return each(w, g, wd, (i, gi, wi) -> {
            float mi = b1 * get(m, i) + (1 - b1) * gi;
            float vi = b2 * get(v, i) + (1 - b2) * gi * gi;
            set(m, i, mi);
            set(v, i, vi);
            set(w, i, wi - lr * (mi / c1) / ((float) Math.sqrt(vi / c2) + eps));
        });
    }

    static double gradSumSquares(List<Tensor> grads) {
        double s = 0;
        for (Tensor g0 : grads) {
            Tensor g = g0.contiguous();
            for (long i = 0, n = g.numel(); i < n; i++) {
                double x = get(g, i);
                s += x * x;
            }
        }
        return s;
    }

    static double clipGradNorm(List<Tensor> grads, double maxNorm) {
        double norm = Math.sqrt(gradSumSquares(grads));
        if (!Double.isFinite(norm) || norm <= maxNorm) return norm;
        float scale = (float) (maxNorm / (norm + 1e-6));
        for (Tensor g : grads) for (long i = 0, n = g.numel(); i < n; i++) set(g, i, get(g, i) * scale);
        return norm;
    }
}

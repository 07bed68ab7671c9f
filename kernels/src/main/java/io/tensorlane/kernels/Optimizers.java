package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points for the fused in-place optimizer updates ({@link OptimizerKernels}) over n
 * contiguous float32 parameters w, gradient g and state of the same length (offsets in elements); state starts
 * at 0. Formulas: see the golden corpus README (cs231n forms). Weight decay {@code wd} is L2 added to the
 * gradient, {@code g' = g + wd * w}, as torch.optim does (also for Adam, so this is not AdamW).
 *
 * <p><b>Non-finite gradients:</b> every update first counts the NaN / infinite values of g; if there is any, it
 * changes nothing (w and the state stay as they were) and returns {@code false}, so a caller can skip the step
 * and count it. Otherwise it applies the update and returns {@code true}.
 *
 * <p>Hyper-parameters out of range are rejected: lr must be finite and &gt;= 0; momentum, decay rate, beta1 and
 * beta2 in [0, 1); eps finite and &gt; 0; wd finite and &gt;= 0; Adam's step t &gt;= 1.
 */
public final class Optimizers {
    private Optimizers() {
    }

    private static final long CHUNK = 1 << 16;

    /** lr finite and &gt;= 0. */
    public static void checkLr(String op, float lr) {
        if (!(lr >= 0f) || Float.isInfinite(lr)) throw new IllegalArgumentException(op + ": lr must be finite and >= 0, got " + lr);
    }

    /** A decay-like factor (momentum, decay rate, beta) in [0, 1). */
    public static void checkUnit(String op, String name, float v) {
        if (!(v >= 0f && v < 1f)) throw new IllegalArgumentException(op + ": " + name + " must be in [0, 1), got " + v);
    }

    /** eps finite and &gt; 0. */
    public static void checkEps(String op, float eps) {
        if (!(eps > 0f) || Float.isInfinite(eps)) throw new IllegalArgumentException(op + ": eps must be finite and > 0, got " + eps);
    }

    /** weight decay finite and &gt;= 0. */
    public static void checkWeightDecay(String op, float wd) {
        if (!(wd >= 0f) || Float.isInfinite(wd)) {
            throw new IllegalArgumentException(op + ": weightDecay must be finite and >= 0, got " + wd);
        }
    }

    /** Adam's step count t &gt;= 1. */
    public static void checkStep(String op, long t) {
        if (t < 1) throw new IllegalArgumentException(op + ": step t must be >= 1 (the first step is 1), got " + t);
    }

    /** 1 / (1 - beta^t), computed in double. */
    public static float biasCorrection(float beta, long t) {
        return (float) (1.0 / (1.0 - Math.pow(beta, (double) t)));
    }

    /** Whether g[0, n) is all finite (checked in parallel, read only). */
    public static boolean allFinite(OptimizerKernels k, long n, MemorySegment g, long gOff, Parallelism par) {
        java.util.concurrent.atomic.AtomicLong bad = new java.util.concurrent.atomic.AtomicLong();
        par.parallelFor(0, n, CHUNK, (a, b) -> {
            long c = k.countNonFinite(b - a, g, gOff + a);
            if (c != 0) bad.addAndGet(c);
        });
        return bad.get() == 0;
    }

    /** Sum of squares of x[0, n) in double: chunk partial sums added in chunk order (the same for any thread count). */
    public static double sumSquares(OptimizerKernels k, long n, MemorySegment x, long xOff, Parallelism par) {
        long chunks = n == 0 ? 0 : (n - 1) / CHUNK + 1;
        double[] part = new double[(int) Math.min(chunks, Integer.MAX_VALUE)];
        if (chunks > part.length) throw new IllegalArgumentException("sumSquares: " + n + " elements is too many");
        par.parallelFor(0, n, CHUNK, (a, b) -> part[(int) (a / CHUNK)] = k.sumSquares(b - a, x, xOff + a));
        double s = 0;
        for (double v : part) s += v;
        return s;
    }

    /** Sum of squares of x[0, n), validated. */
    public static double sumSquares(long n, MemorySegment x, long xOff, Parallelism par) {
        Checks.nonNegative("sumSquares", "n", n);
        Checks.floats("sumSquares", "x", x, xOff, n);
        return sumSquares(Kernels.get().optim(), n, x, xOff, par);
    }

    /** {@code w -= lr * g'}; false (nothing changed) when g has a NaN or infinity. */
    public static boolean sgd(long n, float lr, float wd, MemorySegment w, long wOff, MemorySegment g, long gOff,
                              Parallelism par) {
        String op = "sgd";
        checkLr(op, lr);
        checkWeightDecay(op, wd);
        arrays(op, n, w, wOff, g, gOff);
        OptimizerKernels k = Kernels.get().optim();
        if (!allFinite(k, n, g, gOff, par)) return false;
        par.parallelFor(0, n, CHUNK, (a, b) -> k.sgd(b - a, lr, wd, w, wOff + a, g, gOff + a));
        return true;
    }

    /** Momentum ({@code nesterov} false) or Nesterov momentum (cs231n form) with velocity v. */
    public static boolean momentum(long n, boolean nesterov, float lr, float mu, float wd, MemorySegment w, long wOff,
                                   MemorySegment g, long gOff, MemorySegment v, long vOff, Parallelism par) {
        String op = nesterov ? "nesterov" : "momentum";
        checkLr(op, lr);
        checkUnit(op, "momentum", mu);
        checkWeightDecay(op, wd);
        arrays(op, n, w, wOff, g, gOff);
        state(op, n, "v", v, vOff, w, wOff, g, gOff);
        OptimizerKernels k = Kernels.get().optim();
        if (!allFinite(k, n, g, gOff, par)) return false;
        par.parallelFor(0, n, CHUNK, (a, b) -> k.momentum(b - a, nesterov, lr, mu, wd, w, wOff + a, g, gOff + a, v, vOff + a));
        return true;
    }

    /** Adagrad with accumulator cache. */
    public static boolean adagrad(long n, float lr, float eps, float wd, MemorySegment w, long wOff, MemorySegment g, long gOff,
                                  MemorySegment cache, long cOff, Parallelism par) {
        String op = "adagrad";
        checkLr(op, lr);
        checkEps(op, eps);
        checkWeightDecay(op, wd);
        arrays(op, n, w, wOff, g, gOff);
        state(op, n, "cache", cache, cOff, w, wOff, g, gOff);
        OptimizerKernels k = Kernels.get().optim();
        if (!allFinite(k, n, g, gOff, par)) return false;
        par.parallelFor(0, n, CHUNK, (a, b) -> k.adagrad(b - a, lr, eps, wd, w, wOff + a, g, gOff + a, cache, cOff + a));
        return true;
    }

    /** RMSprop with decay rate {@code decay} and accumulator cache. */
    public static boolean rmsprop(long n, float lr, float decay, float eps, float wd, MemorySegment w, long wOff,
                                  MemorySegment g, long gOff, MemorySegment cache, long cOff, Parallelism par) {
        String op = "rmsprop";
        checkLr(op, lr);
        checkUnit(op, "decayRate", decay);
        checkEps(op, eps);
        checkWeightDecay(op, wd);
        arrays(op, n, w, wOff, g, gOff);
        state(op, n, "cache", cache, cOff, w, wOff, g, gOff);
        OptimizerKernels k = Kernels.get().optim();
        if (!allFinite(k, n, g, gOff, par)) return false;
        par.parallelFor(0, n, CHUNK, (a, b) -> k.rmsprop(b - a, lr, decay, eps, wd, w, wOff + a, g, gOff + a, cache, cOff + a));
        return true;
    }

    /** Adam step t (1, 2, ...) with first/second moments m and v. */
    public static boolean adam(long n, long t, float lr, float b1, float b2, float eps, float wd, MemorySegment w, long wOff,
                               MemorySegment g, long gOff, MemorySegment m, long mOff, MemorySegment v, long vOff,
                               Parallelism par) {
        String op = "adam";
        checkStep(op, t);
        checkLr(op, lr);
        checkUnit(op, "beta1", b1);
        checkUnit(op, "beta2", b2);
        checkEps(op, eps);
        checkWeightDecay(op, wd);
        arrays(op, n, w, wOff, g, gOff);
        state(op, n, "m", m, mOff, w, wOff, g, gOff);
        state(op, n, "v", v, vOff, w, wOff, g, gOff);
        Checks.disjoint(op, "m", m, mOff, n, Float.BYTES, "v", v, vOff, n, Float.BYTES);
        OptimizerKernels k = Kernels.get().optim();
        if (!allFinite(k, n, g, gOff, par)) return false;
        float c1 = biasCorrection(b1, t), c2 = biasCorrection(b2, t);
        par.parallelFor(0, n, CHUNK, (a, b) -> k.adam(b - a, lr, b1, b2, eps, c1, c2, wd, w, wOff + a, g, gOff + a,
                m, mOff + a, v, vOff + a));
        return true;
    }

    private static void arrays(String op, long n, MemorySegment w, long wOff, MemorySegment g, long gOff) {
        Checks.nonNegative(op, "n", n);
        Checks.floats(op, "w", w, wOff, n);
        Checks.floats(op, "g", g, gOff, n);
        Checks.disjoint(op, "w", w, wOff, n, Float.BYTES, "g", g, gOff, n, Float.BYTES);
    }

    private static void state(String op, long n, String name, MemorySegment s, long sOff, MemorySegment w, long wOff,
                              MemorySegment g, long gOff) {
        Checks.floats(op, name, s, sOff, n);
        Checks.disjoint(op, name, s, sOff, n, Float.BYTES, "w", w, wOff, n, Float.BYTES);
        Checks.disjoint(op, name, s, sOff, n, Float.BYTES, "g", g, gOff, n, Float.BYTES);
    }
}

package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points for inverted dropout ({@link NormKernels}) over n contiguous float32 values, offsets
 * in elements. {@code p} is the DROP probability, in [0, 1); kept values are scaled by {@code 1/(1-p)}.
 * Seeded masks come from {@link DropoutMask} (a pure function of the seed and the flat index: the same for any
 * thread count). Masks hold 1f (keep) or 0f (drop). Outputs may be exactly an input (in place).
 */
public final class Dropout {
    private Dropout() {
    }

    private static final long CHUNK = 1 << 16;

    /** p in [0, 1), else IllegalArgumentException naming op. */
    public static void checkP(String op, float p) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException(op + ": p (the drop probability) must be in [0, 1), got " + p);
        }
    }

    /** 1 / (1 - p) as a float (computed in double). */
    public static float scale(float p) {
        return (float) (1.0 / (1.0 - p));
    }

    /** Seeded forward: {@code mask[i] = keep(seed, i) ? 1 : 0}, {@code y = x * mask / (1 - p)}. */
    public static void forward(long n, float p, long seed, MemorySegment x, long xOff, MemorySegment mask, long mOff,
                               MemorySegment y, long yOff, Parallelism par) {
        String op = "dropout";
        Checks.nonNegative(op, "n", n);
        checkP(op, p);
        Checks.floats(op, "x", x, xOff, n);
        Checks.floats(op, "mask", mask, mOff, n);
        Checks.floats(op, "y", y, yOff, n);
        Checks.disjointOrSame(op, "x", x, xOff, n, "y", y, yOff, n);
        Checks.disjoint(op, "mask", mask, mOff, n, Float.BYTES, "x", x, xOff, n, Float.BYTES);
        Checks.disjoint(op, "mask", mask, mOff, n, Float.BYTES, "y", y, yOff, n, Float.BYTES);
        NormKernels k = Kernels.get().norm();
        int thr = DropoutMask.keepThreshold(p);
        float s = scale(p);
        par.parallelFor(0, n, CHUNK, (a, b) -> k.dropoutForward(b - a, a, seed, thr, s, x, xOff + a, mask, mOff + a, y, yOff + a));
    }

    /** Explicit mask (forward) or backward with x = dout: {@code y = x * mask / (1 - p)}. */
    public static void apply(long n, float p, MemorySegment x, long xOff, MemorySegment mask, long mOff,
                             MemorySegment y, long yOff, Parallelism par) {
        String op = "dropoutWithMask";
        Checks.nonNegative(op, "n", n);
        checkP(op, p);
        Checks.floats(op, "x", x, xOff, n);
        Checks.floats(op, "mask", mask, mOff, n);
        Checks.floats(op, "y", y, yOff, n);
        Checks.disjointOrSame(op, "x", x, xOff, n, "y", y, yOff, n);
        Checks.disjointOrSame(op, "mask", mask, mOff, n, "y", y, yOff, n);
        NormKernels k = Kernels.get().norm();
        float s = scale(p);
        par.parallelFor(0, n, CHUNK, (a, b) -> k.dropoutApply(b - a, s, x, xOff + a, mask, mOff + a, y, yOff + a));
    }
}

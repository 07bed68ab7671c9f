package io.tensorlane.kernels;

/**
 * The counter-based generator behind seeded dropout masks. Whether flat element {@code i} is kept is a pure
 * function of {@code (seed, i)}, so a mask does not depend on how the elements are split over threads, and
 * the same seed always gives the same mask.
 *
 * <p>The generator: a 32-bit key per block of 2^32 indices, {@code key = (int) mix64(seed + (i >>> 32) * GOLDEN64)}
 * (SplitMix64's finaliser), then {@code h = fmix32(((int) i) * 0x9E3779B9 + key)} (MurmurHash3's finaliser, a
 * bijection with full avalanche); element i is kept iff the top 24 bits of h are below
 * {@code keepThreshold = round((1 - p) * 2^24)}. So the keep probability is {@code 1 - p} to within 2^-25, and
 * {@code p = 0} keeps everything. Only 32-bit integer multiplies and shifts per element: the SIMD version
 * computes exactly the same bits with int vectors.
 */
public final class DropoutMask {
    private DropoutMask() {
    }

    /** 2^24: the range of the 24-bit uniforms compared with the threshold. */
    public static final int ONE = 1 << 24;
    /** Multiplier that spreads consecutive counters (2^32 / golden ratio, odd). */
    public static final int GOLDEN32 = 0x9E3779B9;
    private static final long GOLDEN64 = 0x9E3779B97F4A7C15L;

    /** round((1 - p) * 2^24): element kept iff its 24-bit uniform is below this (p in [0, 1)). */
    public static int keepThreshold(float p) {
        return (int) Math.round((1.0 - p) * ONE);
    }

    /** The key of the 2^32-index block {@code i >>> 32} for {@code seed}. */
    public static int key(long seed, long block) {
        long z = seed + block * GOLDEN64;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (int) (z ^ (z >>> 31));
    }

    /** MurmurHash3's 32-bit finaliser. */
    public static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h;
    }

    /** The 24-bit uniform of element i, in [0, 2^24). */
    public static int uniform24(long seed, long i) {
        return fmix32((int) i * GOLDEN32 + key(seed, i >>> 32)) >>> 8;
    }

    /** Whether element i is kept. */
    public static boolean keep(long seed, long i, int keepThreshold) {
        return uniform24(seed, i) < keepThreshold;
    }
}

package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points for batch normalisation ({@link NormKernels}) over contiguous float32 memory,
 * offsets in elements. x is viewed as {@code [outer, channels, inner]}: an (N, D) matrix is
 * {@code (N, D, 1)} (per-feature), an (N, C, H, W) tensor is {@code (N, C, H*W)} (spatial). Statistics are
 * per channel over {@code m = outer * inner} values; the variance is the biased one (divided by m).
 * Per-channel vectors (gamma, beta, mean, var, running stats, dgamma, dbeta) have {@code channels} elements.
 * Work is split over channels ({@link #channelGrain}), so results are bit-identical for any thread count.
 * y / dx may be exactly x / dout (in place); other partial overlaps are rejected.
 */
public final class BatchNorm {
    private BatchNorm() {
    }

    /** Elements per parallel chunk (about 64K values). */
    private static final long CHUNK = 1 << 16;
    /** Feature chunks of the per-feature layout are multiples of this many columns (a lane count multiple). */
    private static final long COLUMN_QUANTUM = 64;

    /** Channels per parallel chunk for a {@code [outer, channels, inner]} view: depends only on the shape. */
    public static long channelGrain(long outer, long channels, long inner) {
        long perChannel = Math.max(1, outer * inner);
        long g = Math.max(1, CHUNK / perChannel);
        if (inner == 1) g = Math.max(COLUMN_QUANTUM, (g + COLUMN_QUANTUM - 1) / COLUMN_QUANTUM * COLUMN_QUANTUM);
        return g;
    }

    /**
     * Training forward: batch {@code mean[channels]} and biased {@code var[channels]},
     * {@code y = gamma * (x - mean) / sqrt(var + eps) + beta}, and the running statistics updated in place as
     * {@code r = momentum * r + (1 - momentum) * batchStat} (cs231n convention: momentum 0.9 keeps 90%).
     */
    public static void trainForward(long outer, long channels, long inner,
                                    MemorySegment x, long xOff, MemorySegment gamma, long gOff, MemorySegment beta, long bOff,
                                    float eps, float momentum, MemorySegment runMean, long rmOff, MemorySegment runVar, long rvOff,
                                    MemorySegment y, long yOff, MemorySegment mean, long meanOff, MemorySegment var, long varOff,
                                    Parallelism par) {
        String op = "batchNormTrain";
        long n = dims(op, outer, channels, inner);
        checkEps(op, eps);
        checkMomentum(op, momentum);
        Checks.floats(op, "x", x, xOff, n);
        Checks.floats(op, "y", y, yOff, n);
        Checks.disjointOrSame(op, "x", x, xOff, n, "y", y, yOff, n);
        perChannel(op, channels, gamma, gOff, "gamma");
        perChannel(op, channels, beta, bOff, "beta");
        perChannel(op, channels, runMean, rmOff, "runMean");
        perChannel(op, channels, runVar, rvOff, "runVar");
        perChannel(op, channels, mean, meanOff, "mean");
        perChannel(op, channels, var, varOff, "var");
        disjointFrom(op, x, xOff, n, y, yOff, channels, new Object[] {runMean, rmOff, "runMean", runVar, rvOff, "runVar",
                mean, meanOff, "mean", var, varOff, "var"});
        NormKernels k = Kernels.get().norm();
        par.parallelFor(0, channels, channelGrain(outer, channels, inner), (c0, c1) -> k.batchNormTrainForward(outer,
                channels, inner, c0, c1, x, xOff, gamma, gOff, beta, bOff, eps, momentum, runMean, rmOff, runVar, rvOff,
                y, yOff, mean, meanOff, var, varOff));
    }

    /** Eval forward with the running statistics: {@code y = gamma * (x - mean) / sqrt(var + eps) + beta}. */
    public static void evalForward(long outer, long channels, long inner,
                                   MemorySegment x, long xOff, MemorySegment gamma, long gOff, MemorySegment beta, long bOff,
                                   MemorySegment mean, long meanOff, MemorySegment var, long varOff, float eps,
                                   MemorySegment y, long yOff, Parallelism par) {
        String op = "batchNormEval";
        long n = dims(op, outer, channels, inner);
        checkEps(op, eps);
        Checks.floats(op, "x", x, xOff, n);
        Checks.floats(op, "y", y, yOff, n);
        Checks.disjointOrSame(op, "x", x, xOff, n, "y", y, yOff, n);
        perChannel(op, channels, gamma, gOff, "gamma");
        perChannel(op, channels, beta, bOff, "beta");
        perChannel(op, channels, mean, meanOff, "mean");
        perChannel(op, channels, var, varOff, "var");
        NormKernels k = Kernels.get().norm();
        par.parallelFor(0, channels, channelGrain(outer, channels, inner), (c0, c1) -> k.batchNormEvalForward(outer,
                channels, inner, c0, c1, x, xOff, gamma, gOff, beta, bOff, mean, meanOff, var, varOff, eps, y, yOff));
    }

    /**
     * Backward: {@code dbeta = sum dout}, {@code dgamma = sum dout * xhat}; with {@code training},
     * {@code dx = gamma/sqrt(var+eps) * (dout - mean(dout) - xhat * mean(dout * xhat))} (mean/var: the batch
     * statistics of the forward), else {@code dx = dout * gamma / sqrt(var + eps)} (eval: running statistics).
     */
    public static void backward(boolean training, long outer, long channels, long inner,
                                MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment gamma, long gOff,
                                MemorySegment mean, long meanOff, MemorySegment var, long varOff, float eps,
                                MemorySegment dx, long dxOff, MemorySegment dgamma, long dgOff, MemorySegment dbeta, long dbOff,
                                Parallelism par) {
        String op = training ? "batchNormBackward" : "batchNormEvalBackward";
        long n = dims(op, outer, channels, inner);
        checkEps(op, eps);
        Checks.floats(op, "x", x, xOff, n);
        Checks.floats(op, "dout", dout, dOff, n);
        Checks.floats(op, "dx", dx, dxOff, n);
        // training dx reads x and dout of a channel twice, so dx may only alias dout (read per element last)
        Checks.disjoint(op, "x", x, xOff, n, Float.BYTES, "dx", dx, dxOff, n, Float.BYTES);
        Checks.disjointOrSame(op, "dout", dout, dOff, n, "dx", dx, dxOff, n);
        perChannel(op, channels, gamma, gOff, "gamma");
        perChannel(op, channels, mean, meanOff, "mean");
        perChannel(op, channels, var, varOff, "var");
        perChannel(op, channels, dgamma, dgOff, "dgamma");
        perChannel(op, channels, dbeta, dbOff, "dbeta");
        disjointFrom(op, dout, dOff, n, dx, dxOff, channels, new Object[] {dgamma, dgOff, "dgamma", dbeta, dbOff, "dbeta"});
        NormKernels k = Kernels.get().norm();
        par.parallelFor(0, channels, channelGrain(outer, channels, inner), (c0, c1) -> k.batchNormBackward(training,
                outer, channels, inner, c0, c1, x, xOff, dout, dOff, gamma, gOff, mean, meanOff, var, varOff, eps,
                dx, dxOff, dgamma, dgOff, dbeta, dbOff));
    }

    private static long dims(String op, long outer, long channels, long inner) {
        long n = Checks.numel(op, "x", outer, channels, inner);
        if (channels > 0 && (outer == 0 || inner == 0)) {
            throw new IllegalArgumentException(op + ": x [outer=" + outer + ", channels=" + channels + ", inner=" + inner
                    + "] has no values per channel to take statistics over");
        }
        return n;
    }

    /** eps &gt; 0 and finite. */
    public static void checkEps(String op, float eps) {
        if (!(eps > 0f) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be > 0 and finite, got " + eps);
        }
    }

    /** momentum in [0, 1]. */
    public static void checkMomentum(String op, float momentum) {
        if (!(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException(op + ": momentum must be in [0, 1], got " + momentum);
        }
    }

    private static void perChannel(String op, long channels, MemorySegment s, long off, String name) {
        Checks.floats(op, name, s, off, channels);
    }

    /** Each (segment, offset, name) triple of per-channel vectors shares no memory with the big arrays a and b. */
    private static void disjointFrom(String op, MemorySegment a, long aOff, long n, MemorySegment b, long bOff, long channels,
                                     Object[] vectors) {
        for (int i = 0; i < vectors.length; i += 3) {
            MemorySegment s = (MemorySegment) vectors[i];
            long off = (Long) vectors[i + 1];
            String name = (String) vectors[i + 2];
            Checks.disjoint(op, name, s, off, channels, Float.BYTES, "the data", a, aOff, n, Float.BYTES);
            Checks.disjoint(op, name, s, off, channels, Float.BYTES, "the result", b, bOff, n, Float.BYTES);
        }
    }
}

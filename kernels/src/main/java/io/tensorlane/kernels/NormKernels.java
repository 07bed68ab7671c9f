package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Batch normalisation and dropout over contiguous float32 memory (offsets in elements).
 *
 * <p>Batch norm sees x as {@code [outer, channels, inner]}: per-feature batch norm of an (N, D) matrix
 * is {@code outer = N, channels = D, inner = 1}; spatial batch norm of (N, C, H, W) is
 * {@code outer = N, channels = C, inner = H*W}. Statistics are per channel over the
 * {@code m = outer * inner} values of that channel; the variance is the BIASED one (divided by m).
 * Each call handles the channel range {@code [c0, c1)} only and reads/writes nothing of other channels, so
 * callers split the channels over threads; a channel's result does not depend on the range it was part of
 * (bit-identical for any split). Per-channel vectors (gamma, beta, mean, var, running stats, dgamma, dbeta)
 * hold {@code channels} elements and are indexed by channel.
 *
 * <p>Dropout is inverted dropout with {@code p} = the DROP probability: a kept value is scaled by
 * {@code 1/(1-p)}. The seeded mask comes from {@link DropoutMask}: whether flat element {@code i} is kept
 * depends only on the seed and {@code i}.
 *
 * <p>Unchecked: see {@link BatchNorm} and {@link Dropout} for the validating entry points.
 */
public interface NormKernels {
    /**
     * Training forward for channels [c0, c1): writes the batch {@code mean} and biased {@code var}, the output
     * {@code y = gamma * (x - mean) / sqrt(var + eps) + beta}, and updates the running statistics in place:
     * {@code r = momentum * r + (1 - momentum) * batchStat} (runMean with mean, runVar with the biased var).
     */
    void batchNormTrainForward(long outer, long channels, long inner, long c0, long c1,
                               MemorySegment x, long xOff, MemorySegment gamma, long gOff, MemorySegment beta, long bOff,
                               float eps, float momentum, MemorySegment runMean, long rmOff, MemorySegment runVar, long rvOff,
                               MemorySegment y, long yOff, MemorySegment mean, long meanOff, MemorySegment var, long varOff);

    /** Eval forward for channels [c0, c1): {@code y = gamma * (x - mean) / sqrt(var + eps) + beta} with the given (running) stats. */
    void batchNormEvalForward(long outer, long channels, long inner, long c0, long c1,
                              MemorySegment x, long xOff, MemorySegment gamma, long gOff, MemorySegment beta, long bOff,
                              MemorySegment mean, long meanOff, MemorySegment var, long varOff, float eps,
                              MemorySegment y, long yOff);

    /**
     * Backward for channels [c0, c1), with {@code xhat = (x - mean) / sqrt(var + eps)}:
     * {@code dbeta = sum dout}, {@code dgamma = sum dout * xhat}, and
     * {@code dx = gamma / sqrt(var + eps) * (dout - dbeta / m - xhat * dgamma / m)} when {@code training}
     * (mean/var are the batch statistics, which depend on x), or {@code dx = dout * gamma / sqrt(var + eps)}
     * when not (mean/var are constants: the running statistics of eval mode).
     */
    void batchNormBackward(boolean training, long outer, long channels, long inner, long c0, long c1,
                           MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment gamma, long gOff,
                           MemorySegment mean, long meanOff, MemorySegment var, long varOff, float eps,
                           MemorySegment dx, long dxOff, MemorySegment dgamma, long dgOff, MemorySegment dbeta, long dbOff);

    /**
     * Seeded dropout of the n elements whose flat indices are {@code [index0, index0 + n)}: element {@code index0 + j}
     * is kept iff {@link DropoutMask#keep(long, long, int)}; writes {@code mask[j]} = 1 or 0 and
     * {@code y[j] = x[j] * mask[j] * scale}.
     */
    void dropoutForward(long n, long index0, long seed, int keepThreshold, float scale,
                        MemorySegment x, long xOff, MemorySegment mask, long mOff, MemorySegment y, long yOff);

    /** {@code y = x * mask * scale} (dropout with an explicit mask, and dropout backward with x = dout). */
    void dropoutApply(long n, float scale, MemorySegment x, long xOff, MemorySegment mask, long mOff,
                      MemorySegment y, long yOff);
}

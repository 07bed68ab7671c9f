package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Fused in-place optimizer updates over n contiguous float32 elements (offsets in elements): parameters w,
 * gradient g, and per-parameter state (v, cache, m) of the same length, updated in place. Weight decay
 * {@code wd} is L2 added to the gradient first, {@code g' = g + wd * w} (as torch.optim does, also for Adam);
 * {@code wd = 0} uses g unchanged. Element i of every output depends only on element i of the inputs, so
 * callers may split the range over threads. Unchecked: see {@link Optimizers}.
 */
public interface OptimizerKernels {
    /** The number of NaN or infinite values among x[0, n). */
    long countNonFinite(long n, MemorySegment x, long xOff);

    /** sum of x[i]^2 over [0, n), accumulated in double (blocks of float partial sums are added in a fixed order). */
    double sumSquares(long n, MemorySegment x, long xOff);

    /** {@code w -= lr * g'} */
    void sgd(long n, float lr, float wd, MemorySegment w, long wOff, MemorySegment g, long gOff);

    /**
     * Momentum: {@code v = mu * v - lr * g'; w += v}. Nesterov (cs231n form):
     * {@code vPrev = v; v = mu * v - lr * g'; w += -mu * vPrev + (1 + mu) * v}.
     */
    void momentum(long n, boolean nesterov, float lr, float mu, float wd, MemorySegment w, long wOff,
                  MemorySegment g, long gOff, MemorySegment v, long vOff);

    /** {@code cache += g'^2; w -= lr * g' / (sqrt(cache) + eps)} */
    void adagrad(long n, float lr, float eps, float wd, MemorySegment w, long wOff, MemorySegment g, long gOff,
                 MemorySegment cache, long cOff);

    /** {@code cache = decay * cache + (1 - decay) * g'^2; w -= lr * g' / (sqrt(cache) + eps)} */
    void rmsprop(long n, float lr, float decay, float eps, float wd, MemorySegment w, long wOff,
                 MemorySegment g, long gOff, MemorySegment cache, long cOff);

    /**
     * Adam: {@code m = b1*m + (1-b1)*g'; v = b2*v + (1-b2)*g'^2; w -= lr * (m*c1) / (sqrt(v*c2) + eps)} with the
     * bias corrections {@code c1 = 1/(1 - b1^t)}, {@code c2 = 1/(1 - b2^t)} precomputed by the caller.
     */
    void adam(long n, float lr, float b1, float b2, float eps, float c1, float c2, float wd,
              MemorySegment w, long wOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
              MemorySegment v, long vOff);
}

package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Single-precision GEMM family, row-major, BLAS semantics, offsets and leading dims in elements.
 * Unchecked: see {@link Gemm} for the validating entry points.
 */
public interface GemmKernels {
    /**
     * C = alpha * op(A) * op(B) + beta * C. {@code beta == 0} never reads C; {@code alpha == 0} or
     * {@code k == 0} only scales C. Results are bit-identical for any thread count.
     */
    void sgemm(Trans ta, Trans tb, int m, int n, int k,
               float alpha, MemorySegment a, long aOff, int lda,
               MemorySegment b, long bOff, int ldb,
               float beta, MemorySegment c, long cOff, int ldc,
               Parallelism par);
}

package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Single-precision GEMM family, row-major, BLAS semantics, offsets, leading dims and strides in elements.
 * Unchecked: callers pass validated arguments; see {@link Gemm} for the validating entry points.
 *
 * <p>Every implementation gives results that are bit-identical for any {@link Parallelism} (the
 * summation order of each output element never depends on how the work is split). Worker threads
 * can only read segments of shared, global or automatic arenas (and heap segments): when an operand is
 * confined to the calling thread, the call runs on the calling thread alone.
 */
public interface GemmKernels {
    /**
     * C = alpha * op(A) * op(B) + beta * C, with op(A) m x k, op(B) k x n and C m x n. A is stored m x k
     * ({@code ta == N}) or k x m ({@code T}); B is stored k x n or n x k. {@code beta == 0} never reads C
     * (NaN in C is overwritten); {@code alpha == 0} or {@code k == 0} only scales C.
     */
    void sgemm(Trans ta, Trans tb, int m, int n, int k,
               float alpha, MemorySegment a, long aOff, int lda,
               MemorySegment b, long bOff, int ldb,
               float beta, MemorySegment c, long cOff, int ldc,
               Parallelism par);

    /**
     * y = alpha * op(A) * x + beta * y, A stored m x n (row-major, {@code lda}); {@code ta == N}: x has n
     * elements and y has m; {@code T}: x has m and y has n. x and y are contiguous. {@code beta == 0}
     * never reads y.
     */
    void sgemv(Trans ta, int m, int n,
               float alpha, MemorySegment a, long aOff, int lda,
               MemorySegment x, long xOff,
               float beta, MemorySegment y, long yOff,
               Parallelism par);

    /**
     * {@code batch} independent products: for i in [0, batch), the {@link #sgemm} of A at
     * {@code aOff + i*strideA}, B at {@code bOff + i*strideB} and C at {@code cOff + i*strideC}.
     * A stride of 0 reuses one operand (e.g. shared weights); the C matrices must not overlap.
     */
    void sgemmBatched(Trans ta, Trans tb, int m, int n, int k,
                      float alpha, MemorySegment a, long aOff, int lda, long strideA,
                      MemorySegment b, long bOff, int ldb, long strideB,
                      float beta, MemorySegment c, long cOff, int ldc, long strideC,
                      int batch, Parallelism par);
}

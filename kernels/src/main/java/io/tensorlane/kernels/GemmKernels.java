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

    /**
     * C = alpha * [A1 | A2] * [B1 ; B2] + beta * C, none transposed: A1 m x k1 and A2 m x k2 side by side,
     * B1 k1 x n above B2 k2 x n (e.g. an LSTM's {@code [x, h] @ [Wx; Wh]} without copying either pair
     * together). One product over k = k1 + k2: each element of C is one sum over all of k and C is written
     * once, unlike two {@link #sgemm} calls (the second with beta = 1). {@code k2 == 0}: A2 and B2 are
     * not read (may be null). Same {@code beta}/{@code alpha} rules as {@link #sgemm}.
     */
    void sgemmSplitK(int m, int n, int k1, int k2, float alpha,
                     MemorySegment a1, long a1Off, int lda1, MemorySegment a2, long a2Off, int lda2,
                     MemorySegment b1, long b1Off, int ldb1, MemorySegment b2, long b2Off, int ldb2,
                     float beta, MemorySegment c, long cOff, int ldc, Parallelism par);

    /**
     * A new packed right operand for {@code k x n} products (all zeros until {@link #packB} fills it).
     * Throws IllegalArgumentException when k or n is below 1 or the packed size exceeds an int.
     */
    PackedMatrix newPackedB(int k, int n);

    /**
     * Copies rows {@code [0, rows)} of B (stored {@code rows x p.cols()}, row-major, leading dim
     * {@code ldb}) into rows {@code [row0, row0 + rows)} of {@code p}; e.g. Wx at row 0 and Wh at row D.
     * {@code p} must come from this kernel set's {@link #newPackedB}.
     */
    void packB(PackedMatrix p, int row0, int rows, MemorySegment b, long bOff, int ldb);

    /**
     * {@link #sgemmSplitK} with B = rows {@code [bRow0, bRow0 + k1 + k2)} of a packed matrix of this
     * kernel set: the very same sums (bit-identical to {@code sgemmSplitK} over the unpacked B), without
     * reading or repacking B's source.
     */
    void sgemmPacked(int m, int n, int k1, int k2, float alpha,
                     MemorySegment a1, long a1Off, int lda1, MemorySegment a2, long a2Off, int lda2,
                     PackedMatrix b, int bRow0, float beta, MemorySegment c, long cOff, int ldc, Parallelism par);
}

package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points of the GEMM family: check every argument once (before any memory is touched),
 * then run the implementation that {@link Kernels#get()} selected.
 *
 * <p>Row-major, BLAS semantics; offsets, leading dims and strides count float elements. A matrix of
 * {@code rows x cols} stored with leading dim {@code ld} at {@code off} occupies elements
 * {@code [off, off + (rows-1)*ld + cols)} of its segment, and {@code ld >= cols} is required.
 */
public final class Gemm {
    private Gemm() {
    }

    /**
     * C = alpha * op(A) * op(B) + beta * C.
     *
     * @param ta  {@code N}: A is stored m x k; {@code T}: A is stored k x m and used transposed
     * @param tb  {@code N}: B is stored k x n; {@code T}: B is stored n x k and used transposed
     * @param m   rows of op(A) and C
     * @param n   columns of op(B) and C
     * @param k   columns of op(A), rows of op(B)
     * @param lda leading dim of A as stored (at least its column count: k for N, m for T)
     * @param ldb leading dim of B as stored (at least n for N, k for T)
     * @param ldc leading dim of C (at least n)
     * @param beta {@code 0} overwrites C without reading it (NaN in C does not propagate)
     * @throws IllegalArgumentException naming the argument and the sizes, before anything is written
     */
    public static void sgemm(Trans ta, Trans tb, int m, int n, int k,
                             float alpha, MemorySegment a, long aOff, int lda,
                             MemorySegment b, long bOff, int ldb,
                             float beta, MemorySegment c, long cOff, int ldc,
                             Parallelism par) {
        checkGemm("sgemm", ta, tb, m, n, k, a, aOff, lda, 0, b, bOff, ldb, 0, c, cOff, ldc, 0, 1, par);
        if (m == 0 || n == 0) return;
        Kernels.get().gemm().sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, par);
    }

    /**
     * y = alpha * op(A) * x + beta * y, with A stored m x n.
     *
     * @param ta {@code N}: x has n elements and y has m; {@code T}: x has m and y has n
     * @param lda leading dim of A (at least n)
     * @param beta {@code 0} overwrites y without reading it
     * @throws IllegalArgumentException naming the argument and the sizes, before anything is written
     */
    public static void sgemv(Trans ta, int m, int n,
                             float alpha, MemorySegment a, long aOff, int lda,
                             MemorySegment x, long xOff,
                             float beta, MemorySegment y, long yOff,
                             Parallelism par) {
        String op = "sgemv";
        notNull(op, "ta", ta);
        notNull(op, "par", par);
        Checks.nonNegative(op, "m", m);
        Checks.nonNegative(op, "n", n);
        if (lda < n) {
            throw new IllegalArgumentException(op + ": lda=" + lda + " is smaller than the " + n
                    + " columns of A (m=" + m + ", n=" + n + ")");
        }
        int xLen = ta == Trans.N ? n : m, yLen = ta == Trans.N ? m : n;
        if (yLen == 0) return;
        if (xLen > 0) {
            matrix(op, "A", a, aOff, m, n, lda, 0, 1, "m=" + m + ", n=" + n + ", lda=" + lda);
            Checks.floats(op, "x (" + xLen + " elements)", x, xOff, xLen);
        }
        Checks.floats(op, "y (" + yLen + " elements)", y, yOff, yLen);
        if (xLen > 0) {
            Checks.disjoint(op, "y", y, yOff, yLen, Float.BYTES, "A", a, aOff, (long) (m - 1) * lda + n, Float.BYTES);
            Checks.disjoint(op, "y", y, yOff, yLen, Float.BYTES, "x", x, xOff, xLen, Float.BYTES);
        }
        Kernels.get().gemm().sgemv(ta, m, n, alpha, a, aOff, lda, x, xOff, beta, y, yOff, par);
    }

    /**
     * {@code batch} independent products C_i = alpha * op(A_i) * op(B_i) + beta * C_i, where the i-th
     * operands start {@code i * stride} elements after the first. A stride of 0 for A or B reuses one
     * matrix for every product; the C matrices must not overlap ({@code strideC} at least the extent
     * of one C when batch &gt; 1). Work is split over the batch when the products are small.
     *
     * @throws IllegalArgumentException naming the argument and the sizes, before anything is written
     */
    public static void sgemmBatched(Trans ta, Trans tb, int m, int n, int k,
                                    float alpha, MemorySegment a, long aOff, int lda, long strideA,
                                    MemorySegment b, long bOff, int ldb, long strideB,
                                    float beta, MemorySegment c, long cOff, int ldc, long strideC,
                                    int batch, Parallelism par) {
        String op = "sgemmBatched";
        Checks.nonNegative(op, "batch", batch);
        Checks.nonNegative(op, "strideA", strideA);
        Checks.nonNegative(op, "strideB", strideB);
        Checks.nonNegative(op, "strideC", strideC);
        checkGemm(op, ta, tb, m, n, k, a, aOff, lda, strideA, b, bOff, ldb, strideB, c, cOff, ldc, strideC, batch, par);
        if (m == 0 || n == 0 || batch == 0) return;
        if (batch > 1) {
            long cExtent = extent(op, m, n, ldc);
            if (strideC < cExtent) {
                throw new IllegalArgumentException(op + ": strideC=" + strideC + " is smaller than the " + cExtent
                        + " elements one C spans (m=" + m + ", n=" + n + ", ldc=" + ldc + "): the outputs would overlap");
            }
        }
        Kernels.get().gemm().sgemmBatched(ta, tb, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB,
                beta, c, cOff, ldc, strideC, batch, par);
    }

    private static void checkGemm(String op, Trans ta, Trans tb, int m, int n, int k,
                                  MemorySegment a, long aOff, int lda, long strideA,
                                  MemorySegment b, long bOff, int ldb, long strideB,
                                  MemorySegment c, long cOff, int ldc, long strideC,
                                  int batch, Parallelism par) {
        notNull(op, "ta", ta);
        notNull(op, "tb", tb);
        notNull(op, "par", par);
        Checks.nonNegative(op, "m", m);
        Checks.nonNegative(op, "n", n);
        Checks.nonNegative(op, "k", k);
        int aRows = ta == Trans.N ? m : k, aCols = ta == Trans.N ? k : m;
        int bRows = tb == Trans.N ? k : n, bCols = tb == Trans.N ? n : k;
        if (lda < aCols) {
            throw new IllegalArgumentException(op + ": lda=" + lda + " is smaller than the " + aCols
                    + " columns of A (m=" + m + ", k=" + k + ", ta=" + ta + ")");
        }
        if (ldb < bCols) {
            throw new IllegalArgumentException(op + ": ldb=" + ldb + " is smaller than the " + bCols
                    + " columns of B (k=" + k + ", n=" + n + ", tb=" + tb + ")");
        }
        if (ldc < n) {
            throw new IllegalArgumentException(op + ": ldc=" + ldc + " is smaller than the " + n
                    + " columns of C (m=" + m + ", n=" + n + ")");
        }
        if (m == 0 || n == 0 || batch == 0) return; // nothing is read or written
        long cSpan = matrix(op, "C", c, cOff, m, n, ldc, strideC, batch, m + "x" + n + ", ldc=" + ldc);
        if (k > 0) {
            long aSpan = matrix(op, "A", a, aOff, aRows, aCols, lda, strideA, batch,
                    aRows + "x" + aCols + " stored, lda=" + lda + ", ta=" + ta);
            long bSpan = matrix(op, "B", b, bOff, bRows, bCols, ldb, strideB, batch,
                    bRows + "x" + bCols + " stored, ldb=" + ldb + ", tb=" + tb);
            // C is written while A and B are still being read: they must not share memory with it
            Checks.disjoint(op, "C", c, cOff, cSpan, Float.BYTES, "A", a, aOff, aSpan, Float.BYTES);
            Checks.disjoint(op, "C", c, cOff, cSpan, Float.BYTES, "B", b, bOff, bSpan, Float.BYTES);
        }
    }

    /** Elements of one rows x cols matrix with leading dim ld: (rows-1)*ld + cols, overflow-checked. */
    private static long extent(String op, long rows, long cols, long ld) {
        try {
            return Math.addExact(Math.multiplyExact(rows - 1, ld), cols);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(op + ": a " + rows + "x" + cols + " matrix with leading dim " + ld
                    + " overflows a long");
        }
    }

    /** The batch of rows x cols matrices at off + i*stride lies inside seg; returns the elements it spans. */
    private static long matrix(String op, String arg, MemorySegment seg, long off, int rows, int cols, long ld,
                               long stride, int batch, String shape) {
        long span = extent(op, rows, cols, ld);
        long total;
        try {
            total = Math.addExact(Math.multiplyExact((long) batch - 1, stride), span);
            Math.addExact(off, total);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(op + ": " + arg + " (" + shape + ") at offset " + off + " with "
                    + batch + " matrices at stride " + stride + " overflows a long");
        }
        Checks.floats(op, arg + " (" + shape + (batch > 1 ? ", " + batch + " at stride " + stride : "") + ")",
                seg, off, total);
        return total;
    }

    private static void notNull(String op, String arg, Object o) {
        if (o == null) throw new IllegalArgumentException(op + ": " + arg + " is null");
    }
}

package io.tensorlane.kernels.ref;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.kernels.GemmKernels;
import io.tensorlane.kernels.PackedMatrix;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Trans;
import java.lang.foreign.MemorySegment;

/**
 * Scalar twin of the GEMM family: the plain loops, one output element at a time, summing over k in order
 * with {@link Math#fma}. BLAS semantics, row-major. Single-threaded whatever {@code par} says, so trivially
 * bit-identical for any thread count.
 */
public final class ScalarGemm implements GemmKernels {
    @Override
    public void sgemm(Trans ta, Trans tb, int m, int n, int k,
                      float alpha, MemorySegment a, long aOff, int lda,
                      MemorySegment b, long bOff, int ldb,
                      float beta, MemorySegment c, long cOff, int ldc,
                      Parallelism par) {
        boolean at = ta.transposed(), bt = tb.transposed();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long ci = cOff + (long) i * ldc + j;
                float acc = 0f;
                if (alpha != 0f) { // alpha == 0 reads neither A nor B, as in BLAS
                    for (int p = 0; p < k; p++) {
                        float av = a.getAtIndex(JAVA_FLOAT, aOff + (at ? (long) p * lda + i : (long) i * lda + p));
                        float bv = b.getAtIndex(JAVA_FLOAT, bOff + (bt ? (long) j * ldb + p : (long) p * ldb + j));
                        acc = Math.fma(av, bv, acc);
                    }
                }
                c.setAtIndex(JAVA_FLOAT, ci, combine(alpha, acc, beta, c, ci));
            }
        }
    }

    @Override
    public void sgemv(Trans ta, int m, int n,
                      float alpha, MemorySegment a, long aOff, int lda,
                      MemorySegment x, long xOff,
                      float beta, MemorySegment y, long yOff,
                      Parallelism par) {
        boolean at = ta.transposed();
        int yLen = at ? n : m, xLen = at ? m : n;
        for (int i = 0; i < yLen; i++) {
            float acc = 0f;
            if (alpha != 0f) {
                for (int p = 0; p < xLen; p++) {
                    float av = a.getAtIndex(JAVA_FLOAT, aOff + (at ? (long) p * lda + i : (long) i * lda + p));
                    acc = Math.fma(av, x.getAtIndex(JAVA_FLOAT, xOff + p), acc);
                }
            }
            y.setAtIndex(JAVA_FLOAT, yOff + i, combine(alpha, acc, beta, y, yOff + i));
        }
    }

    @Override
    public void sgemmBatched(Trans ta, Trans tb, int m, int n, int k,
                             float alpha, MemorySegment a, long aOff, int lda, long strideA,
                             MemorySegment b, long bOff, int ldb, long strideB,
                             float beta, MemorySegment c, long cOff, int ldc, long strideC,
                             int batch, Parallelism par) {
        for (int i = 0; i < batch; i++) {
            sgemm(ta, tb, m, n, k, alpha, a, aOff + i * strideA, lda, b, bOff + i * strideB, ldb,
                    beta, c, cOff + i * strideC, ldc, par);
        }
    }

    @Override
    public void sgemmSplitK(int m, int n, int k1, int k2, float alpha,
                            MemorySegment a1, long a1Off, int lda1, MemorySegment a2, long a2Off, int lda2,
                            MemorySegment b1, long b1Off, int ldb1, MemorySegment b2, long b2Off, int ldb2,
                            float beta, MemorySegment c, long cOff, int ldc, Parallelism par) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long ci = cOff + (long) i * ldc + j;
                float acc = 0f;
                if (alpha != 0f) { // one sum over k1 + k2, in order
                    for (int p = 0; p < k1; p++) {
                        acc = Math.fma(a1.getAtIndex(JAVA_FLOAT, a1Off + (long) i * lda1 + p),
                                b1.getAtIndex(JAVA_FLOAT, b1Off + (long) p * ldb1 + j), acc);
                    }
                    for (int p = 0; p < k2; p++) {
                        acc = Math.fma(a2.getAtIndex(JAVA_FLOAT, a2Off + (long) i * lda2 + p),
                                b2.getAtIndex(JAVA_FLOAT, b2Off + (long) p * ldb2 + j), acc);
                    }
                }
                c.setAtIndex(JAVA_FLOAT, ci, combine(alpha, acc, beta, c, ci));
            }
        }
    }

    /** The scalar twin's packed form: a plain row-major copy of B. */
    private static final class RowMajor extends PackedMatrix {
        final MemorySegment data;

        RowMajor(int k, int n) {
            super(k, n);
            data = MemorySegment.ofArray(new float[Math.multiplyExact(k, n)]);
        }
    }

    @Override
    public PackedMatrix newPackedB(int k, int n) {
        if (k < 1 || n < 1 || (long) k * n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("newPackedB: k=" + k + ", n=" + n + " must be >= 1 with k*n within an int");
        }
        return new RowMajor(k, n);
    }

    @Override
    public void packB(PackedMatrix p, int row0, int rows, MemorySegment b, long bOff, int ldb) {
        RowMajor r = own(p);
        int n = p.cols();
        for (int i = 0; i < rows; i++) {
            MemorySegment.copy(b, JAVA_FLOAT, (bOff + (long) i * ldb) * Float.BYTES, r.data, JAVA_FLOAT,
                    (long) (row0 + i) * n * Float.BYTES, n);
        }
    }

    @Override
    public void sgemmPacked(int m, int n, int k1, int k2, float alpha,
                            MemorySegment a1, long a1Off, int lda1, MemorySegment a2, long a2Off, int lda2,
                            PackedMatrix b, int bRow0, float beta, MemorySegment c, long cOff, int ldc, Parallelism par) {
        RowMajor r = own(b);
        int ld = b.cols();
        long off = (long) bRow0 * ld;
        sgemmSplitK(m, n, k1, k2, alpha, a1, a1Off, lda1, a2, a2Off, lda2, r.data, off, ld, r.data, off + (long) k1 * ld, ld,
                beta, c, cOff, ldc, par);
    }

    private static RowMajor own(PackedMatrix p) {
        if (p instanceof RowMajor r) return r;
        throw new IllegalArgumentException("ScalarGemm: " + p + " was packed by another kernel set");
    }

    @Override
    public String toString() {
        return "ScalarGemm";
    }

    /** alpha*acc + beta*out[i]; {@code beta == 0} must not read out (NaN or garbage there is overwritten). */
    private static float combine(float alpha, float acc, float beta, MemorySegment out, long i) {
        return beta == 0f ? alpha * acc : Math.fma(acc, alpha, beta * out.getAtIndex(JAVA_FLOAT, i));
    }
}

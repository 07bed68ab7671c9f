package io.tensorlane.kernels.ref;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.kernels.GemmKernels;
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
    public String toString() {
        return "ScalarGemm";
    }

    /** alpha*acc + beta*out[i]; {@code beta == 0} must not read out (NaN or garbage there is overwritten). */
    private static float combine(float alpha, float acc, float beta, MemorySegment out, long i) {
        return beta == 0f ? alpha * acc : Math.fma(acc, alpha, beta * out.getAtIndex(JAVA_FLOAT, i));
    }
}

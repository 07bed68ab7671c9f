package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.GemmKernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Trans;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Naive reference SGEMM: a plain triple loop with a float accumulator, row-major, BLAS semantics.
 * Single-threaded whatever {@code par} says (so trivially bit-identical for any thread count). The
 * GEMM work may replace this with a faster portable version; it stays the oracle for the SIMD GEMM.
 */
public final class ScalarGemm implements GemmKernels {
    @Override
    public void sgemm(Trans ta, Trans tb, int m, int n, int k,
                      float alpha, MemorySegment a, long aOff, int lda,
                      MemorySegment b, long bOff, int ldb,
                      float beta, MemorySegment c, long cOff, int ldc,
                      Parallelism par) {
        boolean scaleOnly = alpha == 0f || k == 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long ci = cOff + (long) i * ldc + j;
                // beta == 0 must not read C (it may hold NaN/garbage), as in BLAS
                float old = beta == 0f ? 0f : beta * c.getAtIndex(JAVA_FLOAT, ci);
                if (scaleOnly) {
                    c.setAtIndex(JAVA_FLOAT, ci, old);
                    continue;
                }
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    float av = ta == Trans.N ? a.getAtIndex(JAVA_FLOAT, aOff + (long) i * lda + p)
                            : a.getAtIndex(JAVA_FLOAT, aOff + (long) p * lda + i);
                    float bv = tb == Trans.N ? b.getAtIndex(JAVA_FLOAT, bOff + (long) p * ldb + j)
                            : b.getAtIndex(JAVA_FLOAT, bOff + (long) j * ldb + p);
                    acc += av * bv;
                }
                c.setAtIndex(JAVA_FLOAT, ci, alpha * acc + old);
            }
        }
    }
}

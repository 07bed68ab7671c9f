package io.tensorlane.kernels.ref;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.kernels.GemmKernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Trans;
import java.lang.foreign.MemorySegment;

/** Scalar twin of SGEMM: the plain triple loop, BLAS semantics, row-major. */
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
                if (alpha != 0f) {
                    for (int p = 0; p < k; p++) {
                        float av = a.getAtIndex(JAVA_FLOAT, aOff + (at ? (long) p * lda + i : (long) i * lda + p));
                        float bv = b.getAtIndex(JAVA_FLOAT, bOff + (bt ? (long) j * ldb + p : (long) p * ldb + j));
                        acc = Math.fma(av, bv, acc);
                    }
                }
                // beta == 0 must not read C: NaN or garbage in C is overwritten, as in BLAS.
                float cv = beta == 0f ? 0f : beta * c.getAtIndex(JAVA_FLOAT, ci);
                c.setAtIndex(JAVA_FLOAT, ci, alpha * acc + cv);
            }
        }
    }
}

package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.GemmKernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Trans;
import io.tensorlane.kernels.ref.ScalarGemm;

import java.lang.foreign.MemorySegment;

/**
 * PLACEHOLDER, to be replaced by the SIMD GEMM work (packing + cache blocking + MR x NR vector
 * microkernels): for now it delegates to the naive {@link ScalarGemm}, so results are correct but
 * GEMM runs at scalar speed even when the SIMD kernel set is selected.
 */
public final class VectorGemm implements GemmKernels {
    private final ScalarGemm scalar = new ScalarGemm();

    @Override
    public void sgemm(Trans ta, Trans tb, int m, int n, int k,
                      float alpha, MemorySegment a, long aOff, int lda,
                      MemorySegment b, long bOff, int ldb,
                      float beta, MemorySegment c, long cOff, int ldc,
                      Parallelism par) {
        scalar.sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, par);
    }
}

package io.tensorlane.kernels;

import io.tensorlane.kernels.ref.ScalarGemm;

/** The scalar twin against the oracle. */
class ScalarGemmTest extends GemmContractTest {
    private static final GemmKernels GEMM = new ScalarGemm();

    @Override
    GemmKernels gemm() {
        return GEMM;
    }

    @Override
    int randomTriples() {
        return 30;
    }
}

package io.tensorlane.kernels;

import io.tensorlane.kernels.simd.VectorGemm;
import io.tensorlane.kernels.simd.VectorWidth;
import org.junit.jupiter.api.Tag;

/**
 * The whole GEMM contract once more with B always packed in blocks: the default GEMM streams B for
 * chunks of up to {@link VectorGemm#STREAM_B_MAX_ROWS} rows, which is most of the contract's shapes, so
 * without this class the block-packed nest would only run on the largest ones.
 */
@Tag("simd")
class VectorGemmBlockPackedTest extends GemmContractTest {
    private static final GemmKernels BLOCK_PACKED =
            new VectorGemm(GemmBlocking.forVectorLanes(VectorWidth.FLOAT.length()), 0);

    @Override
    GemmKernels gemm() {
        return BLOCK_PACKED;
    }

    @Override
    int randomTriples() {
        return 30;
    }
}

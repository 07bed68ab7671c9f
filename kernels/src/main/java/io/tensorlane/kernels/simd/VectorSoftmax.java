package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.SoftmaxKernels;
import io.tensorlane.kernels.MseReduction;
import io.tensorlane.kernels.ref.ScalarSoftmax;

import java.lang.foreign.MemorySegment;

/** Temporary placeholder: delegates to {@link ScalarSoftmax} until the Vector API version lands. */
@SuppressWarnings("unused")
public final class VectorSoftmax implements SoftmaxKernels {
    private final ScalarSoftmax scalar = new ScalarSoftmax();

    @Override
    public void softmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        scalar.softmax(rows, cols, x, xOff, y, yOff);
    }

    @Override
    public void softmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        scalar.softmaxBackward(rows, cols, y, yOff, dout, dOff, dx, dxOff);
    }

    @Override
    public void logSoftmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        scalar.logSoftmax(rows, cols, x, xOff, y, yOff);
    }

    @Override
    public void logSoftmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        scalar.logSoftmaxBackward(rows, cols, y, yOff, dout, dOff, dx, dxOff);
    }
}

package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.ReductionKernels;
import io.tensorlane.kernels.MseReduction;
import io.tensorlane.kernels.ref.ScalarReductions;

import java.lang.foreign.MemorySegment;

/** Temporary placeholder: delegates to {@link ScalarReductions} until the Vector API version lands. */
@SuppressWarnings("unused")
public final class VectorReductions implements ReductionKernels {
    private final ScalarReductions scalar = new ScalarReductions();

    @Override
    public void rowSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.rowSum(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void rowMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.rowMean(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void rowMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.rowMax(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void rowArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.rowArgmax(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void rowVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.rowVariance(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void colSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.colSum(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void colMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.colMean(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void colMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.colMax(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void colArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.colArgmax(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void colVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.colVariance(rows, cols, x, xOff, out, outOff);
    }
}

package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.LossKernels;
import io.tensorlane.kernels.MseReduction;
import io.tensorlane.kernels.ref.ScalarLosses;

import java.lang.foreign.MemorySegment;

/** Temporary placeholder: delegates to {@link ScalarLosses} until the Vector API version lands. */
@SuppressWarnings("unused")
public final class VectorLosses implements LossKernels {
    private final ScalarLosses scalar = new ScalarLosses();

    @Override
    public double softmaxCrossEntropy(long n, long c, MemorySegment x, long xOff, MemorySegment labels, long lOff, MemorySegment dx, long dxOff) {
        return scalar.softmaxCrossEntropy(n, c, x, xOff, labels, lOff, dx, dxOff);
    }

    @Override
    public double svmHinge(long n, long c, float margin, MemorySegment x, long xOff, MemorySegment labels, long lOff, MemorySegment dx, long dxOff) {
        return scalar.svmHinge(n, c, margin, x, xOff, labels, lOff, dx, dxOff);
    }

    @Override
    public double mse(MseReduction reduction, long numel, long batch, MemorySegment pred, long pOff, MemorySegment target, long tOff, MemorySegment dpred, long dOff) {
        return scalar.mse(reduction, numel, batch, pred, pOff, target, tOff, dpred, dOff);
    }

    @Override
    public double sigmoidBce(long numel, MemorySegment x, long xOff, MemorySegment target, long tOff, MemorySegment dx, long dxOff) {
        return scalar.sigmoidBce(numel, x, xOff, target, tOff, dx, dxOff);
    }
}

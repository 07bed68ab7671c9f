package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.ElementwiseKernels;
import io.tensorlane.kernels.MseReduction;
import io.tensorlane.kernels.ref.ScalarElementwise;

import java.lang.foreign.MemorySegment;

/** Temporary placeholder: delegates to {@link ScalarElementwise} until the Vector API version lands. */
@SuppressWarnings("unused")
public final class VectorElementwise implements ElementwiseKernels {
    private final ScalarElementwise scalar = new ScalarElementwise();

    @Override
    public void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        scalar.add(n, a, aOff, b, bOff, out, outOff);
    }

    @Override
    public void sub(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        scalar.sub(n, a, aOff, b, bOff, out, outOff);
    }

    @Override
    public void mul(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        scalar.mul(n, a, aOff, b, bOff, out, outOff);
    }

    @Override
    public void scale(long n, float alpha, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.scale(n, alpha, x, xOff, out, outOff);
    }

    @Override
    public void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        scalar.axpy(n, alpha, x, xOff, y, yOff);
    }

    @Override
    public void fill(long n, float value, MemorySegment out, long outOff) {
        scalar.fill(n, value, out, outOff);
    }

    @Override
    public void copy(long n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        scalar.copy(n, x, xOff, out, outOff);
    }
}

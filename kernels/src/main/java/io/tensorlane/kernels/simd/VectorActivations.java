package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.ActivationKernels;
import io.tensorlane.kernels.MseReduction;
import io.tensorlane.kernels.ref.ScalarActivations;

import java.lang.foreign.MemorySegment;

/** Temporary placeholder: delegates to {@link ScalarActivations} until the Vector API version lands. */
@SuppressWarnings("unused")
public final class VectorActivations implements ActivationKernels {
    private final ScalarActivations scalar = new ScalarActivations();

    @Override
    public void relu(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        scalar.relu(n, x, xOff, y, yOff);
    }

    @Override
    public void reluBackward(long n, MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        scalar.reluBackward(n, x, xOff, dout, dOff, dx, dxOff);
    }

    @Override
    public void leakyRelu(long n, float slope, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        scalar.leakyRelu(n, slope, x, xOff, y, yOff);
    }

    @Override
    public void leakyReluBackward(long n, float slope, MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        scalar.leakyReluBackward(n, slope, x, xOff, dout, dOff, dx, dxOff);
    }

    @Override
    public void sigmoid(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        scalar.sigmoid(n, x, xOff, y, yOff);
    }

    @Override
    public void sigmoidBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        scalar.sigmoidBackward(n, y, yOff, dout, dOff, dx, dxOff);
    }

    @Override
    public void tanh(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        scalar.tanh(n, x, xOff, y, yOff);
    }

    @Override
    public void tanhBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        scalar.tanhBackward(n, y, yOff, dout, dOff, dx, dxOff);
    }
}

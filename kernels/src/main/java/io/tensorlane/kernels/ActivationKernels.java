package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Activation functions and their gradients over contiguous runs of {@code n} float32 elements
 * (offsets in elements). Backward functions compute {@code dx = dout * f'(.)}; sigmoid and tanh take
 * the forward output {@code y} because their derivative is cheapest from it. Results never contain
 * NaN or Inf for finite input of any magnitude. Unchecked: see {@link Activations}.
 */
public interface ActivationKernels {
    /** y = max(x, 0) */
    void relu(long n, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** dx = dout where x &gt; 0, else 0 */
    void reluBackward(long n, MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff);

    /** y = x if x &gt; 0 else slope * x */
    void leakyRelu(long n, float slope, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** dx = dout where x &gt; 0, else slope * dout */
    void leakyReluBackward(long n, float slope, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                           MemorySegment dx, long dxOff);

    /** y = 1 / (1 + exp(-x)) */
    void sigmoid(long n, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** dx = dout * y * (1 - y), y being the sigmoid output */
    void sigmoidBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff);

    /** y = tanh(x) */
    void tanh(long n, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** dx = dout * (1 - y^2), y being the tanh output */
    void tanhBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff);
}

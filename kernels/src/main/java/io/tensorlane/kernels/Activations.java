package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points of the activation kernels over {@code n} contiguous float32 elements
 * (element offsets). Backward: {@code dx = dout * f'}; sigmoid/tanh take the forward output y.
 */
public final class Activations {
    private Activations() {
    }

    private static ActivationKernels k() {
        return Kernels.get().activations();
    }

    private static void unary(String op, long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        Checks.floats(op, "x", x, xOff, n);
        Checks.floats(op, "y", y, yOff, n);
    }

    private static void backward(String op, String in, long n, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                 MemorySegment dx, long dxOff) {
        Checks.floats(op, in, x, xOff, n);
        Checks.floats(op, "dout", dout, dOff, n);
        Checks.floats(op, "dx", dx, dxOff, n);
    }

    /** y = max(x, 0) */
    public static void relu(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        unary("relu", n, x, xOff, y, yOff);
        k().relu(n, x, xOff, y, yOff);
    }

    public static void reluBackward(long n, MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        backward("relu_backward", "x", n, x, xOff, dout, dOff, dx, dxOff);
        k().reluBackward(n, x, xOff, dout, dOff, dx, dxOff);
    }

    /** y = x &gt; 0 ? x : slope * x */
    public static void leakyRelu(long n, float slope, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        unary("leaky_relu", n, x, xOff, y, yOff);
        k().leakyRelu(n, slope, x, xOff, y, yOff);
    }

    public static void leakyReluBackward(long n, float slope, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                         MemorySegment dx, long dxOff) {
        backward("leaky_relu_backward", "x", n, x, xOff, dout, dOff, dx, dxOff);
        k().leakyReluBackward(n, slope, x, xOff, dout, dOff, dx, dxOff);
    }

    /** y = 1 / (1 + e^-x), finite for any finite x */
    public static void sigmoid(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        unary("sigmoid", n, x, xOff, y, yOff);
        k().sigmoid(n, x, xOff, y, yOff);
    }

    public static void sigmoidBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        backward("sigmoid_backward", "y", n, y, yOff, dout, dOff, dx, dxOff);
        k().sigmoidBackward(n, y, yOff, dout, dOff, dx, dxOff);
    }

    /** y = tanh(x) */
    public static void tanh(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        unary("tanh", n, x, xOff, y, yOff);
        k().tanh(n, x, xOff, y, yOff);
    }

    public static void tanhBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        backward("tanh_backward", "y", n, y, yOff, dout, dOff, dx, dxOff);
        k().tanhBackward(n, y, yOff, dout, dOff, dx, dxOff);
    }
}

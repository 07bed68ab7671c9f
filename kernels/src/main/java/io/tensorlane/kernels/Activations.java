package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points for {@link ActivationKernels} on the selected implementation. Every operand
 * is a contiguous run of {@code n} float32 elements (any tensor shape, flattened) starting at an element
 * offset. Outputs may be the exact same range as an input (in place) but must not overlap one partially.
 * Finite input of any magnitude never produces NaN or Inf.
 */
public final class Activations {
    private Activations() {
    }

    /** y[n] = max(x[n], 0) */
    public static void relu(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        Elementwise.unary("relu", n, "x", x, xOff, "y", y, yOff);
        Kernels.get().activations().relu(n, x, xOff, y, yOff);
    }

    /** dx[n] = dout[n] where x[n] &gt; 0, else 0 */
    public static void reluBackward(long n, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                    MemorySegment dx, long dxOff) {
        backward("reluBackward", "x", n, x, xOff, dout, dOff, dx, dxOff);
        Kernels.get().activations().reluBackward(n, x, xOff, dout, dOff, dx, dxOff);
    }

    /** y[n] = x if x &gt; 0 else slope * x */
    public static void leakyRelu(long n, float slope, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        finite("leakyRelu", "slope", slope);
        Elementwise.unary("leakyRelu", n, "x", x, xOff, "y", y, yOff);
        Kernels.get().activations().leakyRelu(n, slope, x, xOff, y, yOff);
    }

    /** dx[n] = dout where x &gt; 0, else slope * dout */
    public static void leakyReluBackward(long n, float slope, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                         MemorySegment dx, long dxOff) {
        finite("leakyReluBackward", "slope", slope);
        backward("leakyReluBackward", "x", n, x, xOff, dout, dOff, dx, dxOff);
        Kernels.get().activations().leakyReluBackward(n, slope, x, xOff, dout, dOff, dx, dxOff);
    }

    /** y[n] = 1 / (1 + exp(-x)), in [0, 1] for any input */
    public static void sigmoid(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        Elementwise.unary("sigmoid", n, "x", x, xOff, "y", y, yOff);
        Kernels.get().activations().sigmoid(n, x, xOff, y, yOff);
    }

    /** dx[n] = dout * y * (1 - y), y[n] being the sigmoid output */
    public static void sigmoidBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                       MemorySegment dx, long dxOff) {
        backward("sigmoidBackward", "y", n, y, yOff, dout, dOff, dx, dxOff);
        Kernels.get().activations().sigmoidBackward(n, y, yOff, dout, dOff, dx, dxOff);
    }

    /** y[n] = tanh(x), in [-1, 1] for any input */
    public static void tanh(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        Elementwise.unary("tanh", n, "x", x, xOff, "y", y, yOff);
        Kernels.get().activations().tanh(n, x, xOff, y, yOff);
    }

    /** dx[n] = dout * (1 - y^2), y[n] being the tanh output */
    public static void tanhBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                    MemorySegment dx, long dxOff) {
        backward("tanhBackward", "y", n, y, yOff, dout, dOff, dx, dxOff);
        Kernels.get().activations().tanhBackward(n, y, yOff, dout, dOff, dx, dxOff);
    }

    private static void backward(String op, String inName, long n, MemorySegment in, long inOff,
                                 MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        Checks.nonNegative(op, "n", n);
        Checks.floats(op, inName, in, inOff, n);
        Checks.floats(op, "dout", dout, dOff, n);
        Checks.floats(op, "dx", dx, dxOff, n);
        Checks.disjointOrSame(op, inName, in, inOff, n, "dx", dx, dxOff, n);
        Checks.disjointOrSame(op, "dout", dout, dOff, n, "dx", dx, dxOff, n);
    }

    private static void finite(String op, String arg, float v) {
        if (!Float.isFinite(v)) throw new IllegalArgumentException(op + ": " + arg + " must be finite, got " + v);
    }
}

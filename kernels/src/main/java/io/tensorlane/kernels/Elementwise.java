package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points of the elementwise kernels: {@code n} float32 elements from each segment,
 * starting at element offsets. Checks every range before touching memory, then runs the selected
 * implementation ({@link Kernels#get()}).
 */
public final class Elementwise {
    private Elementwise() {
    }

    private static ElementwiseKernels k() {
        return Kernels.get().elementwise();
    }

    private static void binary(String op, long n, MemorySegment a, long aOff, MemorySegment b, long bOff,
                               MemorySegment out, long outOff) {
        Checks.nonNegative(op, "n", n);
        Checks.floats(op, "a", a, aOff, n);
        Checks.floats(op, "b", b, bOff, n);
        Checks.floats(op, "out", out, outOff, n);
    }

    /** out[0:n] = a[0:n] + b[0:n] */
    public static void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        binary("add", n, a, aOff, b, bOff, out, outOff);
        k().add(n, a, aOff, b, bOff, out, outOff);
    }

    /** out[0:n] = a[0:n] - b[0:n] */
    public static void sub(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        binary("sub", n, a, aOff, b, bOff, out, outOff);
        k().sub(n, a, aOff, b, bOff, out, outOff);
    }

    /** out[0:n] = a[0:n] * b[0:n] */
    public static void mul(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        binary("mul", n, a, aOff, b, bOff, out, outOff);
        k().mul(n, a, aOff, b, bOff, out, outOff);
    }

    /** out[0:n] = alpha * x[0:n] */
    public static void scale(long n, float alpha, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        Checks.floats("scale", "x", x, xOff, n);
        Checks.floats("scale", "out", out, outOff, n);
        k().scale(n, alpha, x, xOff, out, outOff);
    }

    /** y[0:n] += alpha * x[0:n] */
    public static void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        Checks.floats("axpy", "x", x, xOff, n);
        Checks.floats("axpy", "y", y, yOff, n);
        k().axpy(n, alpha, x, xOff, y, yOff);
    }

    /** out[0:n] = value */
    public static void fill(long n, float value, MemorySegment out, long outOff) {
        Checks.floats("fill", "out", out, outOff, n);
        k().fill(n, value, out, outOff);
    }

    /** out[0:n] = x[0:n] (overlapping ranges behave like memmove) */
    public static void copy(long n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        Checks.floats("copy", "x", x, xOff, n);
        Checks.floats("copy", "out", out, outOff, n);
        k().copy(n, x, xOff, out, outOff);
    }
}

package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points for {@link ElementwiseKernels} on the selected implementation
 * ({@link Kernels#get()}). Every operand is a contiguous run of {@code n} float32 elements starting at
 * an element offset; an output may be the exact same range as an input (in place) but must not overlap
 * one partially. Bad arguments raise {@link IllegalArgumentException} naming the op and argument before
 * any memory is touched.
 */
public final class Elementwise {
    private Elementwise() {
    }

    /** out[0..n) = a[0..n) + b[0..n) */
    public static void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        binary("add", n, a, aOff, b, bOff, out, outOff);
        Kernels.get().elementwise().add(n, a, aOff, b, bOff, out, outOff);
    }

    /** out[0..n) = a[0..n) - b[0..n) */
    public static void sub(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        binary("sub", n, a, aOff, b, bOff, out, outOff);
        Kernels.get().elementwise().sub(n, a, aOff, b, bOff, out, outOff);
    }

    /** out[0..n) = a[0..n) * b[0..n) */
    public static void mul(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        binary("mul", n, a, aOff, b, bOff, out, outOff);
        Kernels.get().elementwise().mul(n, a, aOff, b, bOff, out, outOff);
    }

    /** out[0..n) = alpha * x[0..n) */
    public static void scale(long n, float alpha, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        unary("scale", n, "x", x, xOff, "out", out, outOff);
        Kernels.get().elementwise().scale(n, alpha, x, xOff, out, outOff);
    }

    /** y[0..n) += alpha * x[0..n) (BLAS saxpy; the multiply-add is fused) */
    public static void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        unary("axpy", n, "x", x, xOff, "y", y, yOff);
        Kernels.get().elementwise().axpy(n, alpha, x, xOff, y, yOff);
    }

    /** out[0..n) = value */
    public static void fill(long n, float value, MemorySegment out, long outOff) {
        Checks.nonNegative("fill", "n", n);
        Checks.floats("fill", "out", out, outOff, n);
        Kernels.get().elementwise().fill(n, value, out, outOff);
    }

    /** out[0..n) = x[0..n) */
    public static void copy(long n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        unary("copy", n, "x", x, xOff, "out", out, outOff);
        Kernels.get().elementwise().copy(n, x, xOff, out, outOff);
    }

    /** n elements of input {@code inName} and output {@code outName}: in range, in place or disjoint. */
    static void unary(String op, long n, String inName, MemorySegment in, long inOff,
                      String outName, MemorySegment out, long outOff) {
        Checks.nonNegative(op, "n", n);
        Checks.floats(op, inName, in, inOff, n);
        Checks.floats(op, outName, out, outOff, n);
        Checks.disjointOrSame(op, inName, in, inOff, n, outName, out, outOff, n);
    }

    static void binary(String op, long n, MemorySegment a, long aOff, MemorySegment b, long bOff,
                       MemorySegment out, long outOff) {
        Checks.nonNegative(op, "n", n);
        Checks.floats(op, "a", a, aOff, n);
        Checks.floats(op, "b", b, bOff, n);
        Checks.floats(op, "out", out, outOff, n);
        Checks.disjointOrSame(op, "a", a, aOff, n, "out", out, outOff, n);
        Checks.disjointOrSame(op, "b", b, bOff, n, "out", out, outOff, n);
    }
}

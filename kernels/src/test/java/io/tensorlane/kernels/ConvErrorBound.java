package io.tensorlane.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The error bound the convolution tests hold SIMD results to against the scalar twin: a sum of
 * {@code terms} products rounded in any order differs from another such rounding by at most
 * {@code 2 * terms * u * sum|products|} (u = 2^-24), computed from a magnitude run on |x| and |w|.
 * Shared by {@link ConvSimdMatchesScalarTest} and {@code simd.DirectConvMatchesScalarTest}.
 */
public final class ConvErrorBound {
    /** Unit roundoff of float: 2^-24. */
    public static final double U = Math.ulp(1f) / 2;

    private ConvErrorBound() {
    }

    /** |s| element-wise, into a new segment of {@code a}. */
    public static MemorySegment abs(Arena a, MemorySegment s) {
        long n = s.byteSize() / 4;
        MemorySegment t = a.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) t.setAtIndex(ValueLayout.JAVA_FLOAT, i, Math.abs(s.getAtIndex(ValueLayout.JAVA_FLOAT, i)));
        return t;
    }

    public static float[] arr(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_FLOAT);
    }

    /** Fails naming {@code what} and the index where |expected - actual| exceeds the bound. */
    public static void assertWithin(String what, float[] expected, float[] actual, float[] magnitude, long terms) {
        for (int i = 0; i < expected.length; i++) {
            double bound = 2.0 * terms * U * magnitude[i] + Float.MIN_NORMAL;
            if (!(Math.abs(expected[i] - actual[i]) <= bound)) {
                fail(what + " at " + i + ": expected " + expected[i] + " got " + actual[i] + " (bound " + bound + ")");
            }
        }
    }
}

package io.tensorlane.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise comparisons with the corpus rule |actual - expected| &lt;= atol + rtol * |expected|. */
final class FloatAsserts {
    private FloatAsserts() {
    }

    /** Bit-identical (NaN matches any NaN). */
    static void assertExact(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i]) && Float.isNaN(actual[i])) continue;
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }

    /** Within atol + rtol * |expected| element by element; NaN must meet NaN, infinities must be equal. */
    static void assertClose(String what, float[] expected, float[] actual, double rtol, double atol) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertClose(what + " [" + i + "]", expected[i], actual[i], rtol, atol);
        }
    }

    /** One value; see {@link #assertClose(String, float[], float[], double, double)}. */
    static void assertClose(String what, double expected, double actual, double rtol, double atol) {
        if (Double.isNaN(expected) || Double.isNaN(actual)) {
            if (Double.isNaN(expected) && Double.isNaN(actual)) return;
            fail(what + ": expected " + expected + " but was " + actual);
        }
        if (Double.isInfinite(expected) || Double.isInfinite(actual)) {
            if (expected == actual) return;
            fail(what + ": expected " + expected + " but was " + actual);
        }
        double err = Math.abs(actual - expected);
        double bound = atol + rtol * Math.abs(expected);
        if (!(err <= bound)) {
            fail(what + ": expected " + expected + " but was " + actual + " (|diff| " + err + " > " + bound + ")");
        }
    }
}

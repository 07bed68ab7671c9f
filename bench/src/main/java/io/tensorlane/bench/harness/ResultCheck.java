package io.tensorlane.bench.harness;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/** Compares a result with the scalar reference before it is timed; a mismatch is a {@link ResultMismatchException}. */
public final class ResultCheck {
    private ResultCheck() {
    }

    /**
     * Throws unless every element satisfies {@code |actual - expected| <= atol + rtol*|expected|} (NaN only
     * against NaN), naming the kernel, the implementation, the first bad index and the largest error.
     */
    public static void assertClose(String kernel, String impl, MemorySegment expected, MemorySegment actual,
                                   long n, double rtol, double atol) {
        long bad = 0, first = -1;
        double maxAbs = 0;
        for (long i = 0; i < n; i++) {
            float e = expected.getAtIndex(ValueLayout.JAVA_FLOAT, i), a = actual.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            boolean ok = Float.isNaN(e) || Float.isNaN(a) ? Float.isNaN(e) && Float.isNaN(a)
                    : e == a || Math.abs((double) a - e) <= atol + rtol * Math.abs((double) e);
            if (!ok) {
                if (first < 0) first = i;
                bad++;
                maxAbs = Math.max(maxAbs, Math.abs((double) a - e));
            }
        }
        if (bad > 0) {
            throw new ResultMismatchException(String.format(Locale.ROOT,
                    "%s (%s): %d of %d values differ from the scalar reference (first at %d: %s, expected %s; "
                            + "max abs err %.3g; rtol %s atol %s); not timing a wrong kernel",
                    kernel, impl, bad, n, first, actual.getAtIndex(ValueLayout.JAVA_FLOAT, first),
                    expected.getAtIndex(ValueLayout.JAVA_FLOAT, first), maxAbs, rtol, atol));
        }
    }
}

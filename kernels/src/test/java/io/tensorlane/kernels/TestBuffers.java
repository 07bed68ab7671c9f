package io.tensorlane.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** Test buffers: data at an element offset, framed by sentinel guards that must survive every kernel. */
final class TestBuffers {
    static final float GUARD = -7.77e7f;
    static final int GUARD_LEN = 19;

    private TestBuffers() {
    }

    /** A segment holding [guard x off][n values][guard x GUARD_LEN]; values uniform in [lo, hi). */
    static MemorySegment floats(Arena arena, long off, long n, SplittableRandom rnd, double lo, double hi) {
        MemorySegment s = arena.allocate((off + n + GUARD_LEN) * Float.BYTES, 64);
        for (long i = 0; i < off + n + GUARD_LEN; i++) s.setAtIndex(JAVA_FLOAT, i, GUARD);
        for (long i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, off + i, (float) (lo + (hi - lo) * rnd.nextDouble()));
        return s;
    }

    /** Same layout, all values GUARD (an output buffer). */
    static MemorySegment out(Arena arena, long off, long n) {
        MemorySegment s = arena.allocate((off + n + GUARD_LEN) * Float.BYTES, 64);
        for (long i = 0; i < off + n + GUARD_LEN; i++) s.setAtIndex(JAVA_FLOAT, i, GUARD);
        return s;
    }

    static MemorySegment copyOf(Arena arena, MemorySegment s) {
        MemorySegment c = arena.allocate(s.byteSize(), 64);
        c.copyFrom(s);
        return c;
    }

    static MemorySegment labels(Arena arena, long off, long n, int classes, SplittableRandom rnd) {
        MemorySegment s = arena.allocate((off + n) * Integer.BYTES, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(JAVA_INT, off + i, rnd.nextInt(classes));
        return s;
    }

    static void assertGuards(String what, MemorySegment s, long off, long n) {
        for (long i = 0; i < off; i++) {
            if (s.getAtIndex(JAVA_FLOAT, i) != GUARD) fail(what + ": wrote before its range at element " + i);
        }
        for (long i = off + n; i < off + n + GUARD_LEN; i++) {
            if (s.getAtIndex(JAVA_FLOAT, i) != GUARD) fail(what + ": wrote past its range at element " + i);
        }
    }

    /** |a - e| <= atol + rtol |e| for every element, exact match of NaN/Inf positions. */
    static void assertClose(String what, MemorySegment expected, MemorySegment actual, long off, long n, double rtol, double atol) {
        for (long i = 0; i < n; i++) {
            float e = expected.getAtIndex(JAVA_FLOAT, off + i);
            float a = actual.getAtIndex(JAVA_FLOAT, off + i);
            if (Float.isNaN(e) || Float.isInfinite(e) || Float.isNaN(a) || Float.isInfinite(a)) {
                assertEquals(e, a, what + " at " + i);
                continue;
            }
            if (Math.abs(a - e) > atol + rtol * Math.abs(e)) {
                fail(what + " differs at " + i + " of " + n + ": expected " + e + " got " + a
                        + " (|err| " + Math.abs(a - e) + ")");
            }
        }
    }

    static void assertExact(String what, MemorySegment expected, MemorySegment actual, long off, long n) {
        assertClose(what, expected, actual, off, n, 0, 0);
    }
}

package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Argument validation shared by the public entry points. Every failure is an
 * {@link IllegalArgumentException} whose message names the op, the argument and the sizes, and is
 * raised before any memory is touched.
 */
public final class Checks {
    private Checks() {
    }

    /** n &gt;= 0 */
    public static void nonNegative(String op, String arg, long n) {
        if (n < 0) throw new IllegalArgumentException(op + ": " + arg + " must be >= 0, got " + n);
    }

    /** n &gt; 0 */
    public static void positive(String op, String arg, long n) {
        if (n <= 0) throw new IllegalArgumentException(op + ": " + arg + " must be > 0, got " + n);
    }

    /** a * b, failing with the op's name instead of wrapping around. */
    public static long multiply(String op, String what, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(op + ": " + what + " overflows a long (" + a + " * " + b + ")");
        }
    }

    /** Product of dims, checked for negative values and overflow. */
    public static long numel(String op, String arg, long... dims) {
        long n = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException(op + ": " + arg + " has a negative dim " + Arrays.toString(dims));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(op + ": " + arg + " size overflows a long " + Arrays.toString(dims));
            }
        }
        return n;
    }

    /**
     * Elements [off, off + n) of {@code elemBytes} each lie inside {@code seg}.
     */
    public static void range(String op, String arg, MemorySegment seg, long off, long n, int elemBytes) {
        if (seg == null) throw new IllegalArgumentException(op + ": " + arg + " is null");
        if (off < 0) throw new IllegalArgumentException(op + ": " + arg + " offset " + off + " is negative");
        nonNegative(op, arg + " length", n);
        long capacity = seg.byteSize() / elemBytes;
        if (off > capacity || n > capacity - off) {
            throw new IllegalArgumentException(op + ": " + arg + " needs elements [" + off + ", " + (off + n)
                    + ") but its segment holds " + capacity + " elements (" + seg.byteSize() + " bytes)");
        }
    }

    /** float32 elements [off, off + n) lie inside {@code seg}. */
    public static void floats(String op, String arg, MemorySegment seg, long off, long n) {
        range(op, arg, seg, off, n, Float.BYTES);
    }

    /** int32 elements [off, off + n) lie inside {@code seg}. */
    public static void ints(String op, String arg, MemorySegment seg, long off, long n) {
        range(op, arg, seg, off, n, Integer.BYTES);
    }

    /**
     * Float ranges {@code a[aOff, aOff+aLen)} and {@code b[bOff, bOff+bLen)} either share no memory or
     * are exactly the same range (in-place use). A partial overlap would make the result depend on the
     * order in which a kernel visits elements, so it is rejected. Call after {@link #floats} on both.
     */
    public static void disjointOrSame(String op, String argA, MemorySegment a, long aOff, long aLen,
                                      String argB, MemorySegment b, long bOff, long bLen) {
        if (aLen == 0 || bLen == 0) return;
        MemorySegment sa = a.asSlice(aOff * Float.BYTES, aLen * Float.BYTES);
        MemorySegment sb = b.asSlice(bOff * Float.BYTES, bLen * Float.BYTES);
        java.util.Optional<MemorySegment> common = sa.asOverlappingSlice(sb);
        if (common.isEmpty()) return;
        // equal lengths and b covering all of a: the very same range
        if (aLen == bLen && common.get().byteSize() == sa.byteSize()) return;
        throw new IllegalArgumentException(op + ": " + argA + " [" + aOff + ", " + (aOff + aLen) + ") and " + argB
                + " [" + bOff + ", " + (bOff + bLen) + ") overlap partially; use separate memory or the exact same range");
    }

    /**
     * The byte ranges of {@code a} (elements of {@code aBytes}) and {@code b} share no memory at all
     * (for outputs that cannot be computed in place, e.g. a reduction's result and its input).
     */
    public static void disjoint(String op, String argA, MemorySegment a, long aOff, long aLen, int aBytes,
                                String argB, MemorySegment b, long bOff, long bLen, int bBytes) {
        if (aLen == 0 || bLen == 0) return;
        MemorySegment sa = a.asSlice(aOff * aBytes, aLen * aBytes);
        MemorySegment sb = b.asSlice(bOff * bBytes, bLen * bBytes);
        if (sa.asOverlappingSlice(sb).isPresent()) {
            throw new IllegalArgumentException(op + ": " + argA + " [" + aOff + ", " + (aOff + aLen) + ") and " + argB
                    + " [" + bOff + ", " + (bOff + bLen) + ") share memory; they must not overlap");
        }
    }
}

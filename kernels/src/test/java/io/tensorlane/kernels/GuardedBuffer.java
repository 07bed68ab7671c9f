package io.tensorlane.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A run of {@code n} elements at element offset {@code off} inside a larger segment whose other
 * elements (the {@code off} before, {@link #TAIL} after) hold a sentinel, so a test can prove that a
 * kernel neither reads garbage into the result nor writes outside its range. Heap or off-heap.
 */
final class GuardedBuffer {
    /** Guard elements after the data: more than one 512-bit vector of floats. */
    static final int TAIL = 19;
    static final float SENTINEL = -7777.25f;
    static final int INT_SENTINEL = 0x5EA7_5EA7;

    enum Memory { HEAP, NATIVE }

    final MemorySegment seg;
    final long off;
    final long n;
    private final boolean ints;

    private GuardedBuffer(MemorySegment seg, long off, long n, boolean ints) {
        this.seg = seg;
        this.off = off;
        this.n = n;
        this.ints = ints;
    }

    private static MemorySegment allocate(Memory memory, Arena arena, long elements) {
        return memory == Memory.HEAP ? MemorySegment.ofArray(new float[Math.toIntExact(elements)])
                : arena.allocate(elements * Float.BYTES, Float.BYTES);
    }

    /** An output run of n floats; everything, the run included, starts as the sentinel. */
    static GuardedBuffer floats(Memory memory, Arena arena, long off, long n) {
        GuardedBuffer b = new GuardedBuffer(allocate(memory, arena, off + n + TAIL), off, n, false);
        for (long i = 0; i < off + n + TAIL; i++) b.seg.setAtIndex(JAVA_FLOAT, i, SENTINEL);
        return b;
    }

    /** An input run holding {@code data}, sentinels around it. */
    static GuardedBuffer floats(Memory memory, Arena arena, long off, float[] data) {
        GuardedBuffer b = floats(memory, arena, off, data.length);
        MemorySegment.copy(data, 0, b.seg, JAVA_FLOAT, off * Float.BYTES, data.length);
        return b;
    }

    /** An input run of int32 {@code data}, sentinels around it. */
    static GuardedBuffer ints(Memory memory, Arena arena, long off, int[] data) {
        long len = off + data.length + TAIL;
        MemorySegment seg = memory == Memory.HEAP ? MemorySegment.ofArray(new int[Math.toIntExact(len)])
                : arena.allocate(len * Integer.BYTES, Integer.BYTES);
        for (long i = 0; i < len; i++) seg.setAtIndex(JAVA_INT, i, INT_SENTINEL);
        MemorySegment.copy(data, 0, seg, JAVA_INT, off * Integer.BYTES, data.length);
        return new GuardedBuffer(seg, off, data.length, true);
    }

    /** An int32 output run of n elements, all sentinel. */
    static GuardedBuffer ints(Memory memory, Arena arena, long off, long n) {
        return ints(memory, arena, off, new int[Math.toIntExact(n)]).fillInts(INT_SENTINEL);
    }

    private GuardedBuffer fillInts(int v) {
        for (long i = 0; i < n; i++) seg.setAtIndex(JAVA_INT, off + i, v);
        return this;
    }

    float[] toFloats() {
        float[] out = new float[Math.toIntExact(n)];
        MemorySegment.copy(seg, JAVA_FLOAT, off * Float.BYTES, out, 0, out.length);
        return out;
    }

    int[] toInts() {
        int[] out = new int[Math.toIntExact(n)];
        MemorySegment.copy(seg, JAVA_INT, off * Integer.BYTES, out, 0, out.length);
        return out;
    }

    /** The elements outside [off, off + n) still hold the sentinel. */
    void assertGuardsIntact(String what) {
        long len = seg.byteSize() / 4;
        for (long i = 0; i < len; i++) {
            if (i >= off && i < off + n) continue;
            if (ints) {
                assertEquals(INT_SENTINEL, seg.getAtIndex(JAVA_INT, i), what + ": guard element " + i + " was written");
            } else {
                assertEquals(Float.floatToRawIntBits(SENTINEL), Float.floatToRawIntBits(seg.getAtIndex(JAVA_FLOAT, i)),
                        what + ": guard element " + i + " was written (data is [" + off + ", " + (off + n) + "))");
            }
        }
    }
}

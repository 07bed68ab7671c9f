package io.tensorlane.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TensorTest {
    private static float[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return v;
    }

    @Test
    void allocateIsAlignedZeroedAndContiguous() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(arena, DType.F32, 2, 3, 5);
            assertEquals(0, t.segment().address() % 64);
            assertArrayEquals(new long[] {15, 5, 1}, t.strides());
            assertEquals(30, t.numel());
            assertTrue(t.isContiguous());
            for (float v : t.toFloatArray()) assertEquals(0f, v);
            assertSame(arena, t.arena().orElseThrow());
            Tensor empty = Tensor.allocate(arena, DType.F32, 4, 0, 3);
            assertEquals(0, empty.numel());
            assertEquals(0, empty.toFloatArray().length);
        }
    }

    @Test
    void viewsShareStorageAndIndexCorrectly() {
        Tensor x = Tensor.of(iota(24), 2, 3, 4);
        Tensor r = x.reshape(6, -1);
        assertArrayEquals(new long[] {6, 4}, r.shape());
        r.setFloat(100f, 5, 3);
        assertEquals(100f, x.getFloat(1, 2, 3), "reshape shares storage");

        Tensor s = x.slice(2, 1, 3); // [2,3,2]
        assertArrayEquals(new long[] {2, 3, 2}, s.shape());
        assertEquals(x.getFloat(1, 2, 1), s.getFloat(1, 2, 0));
        assertFalse(s.isContiguous());

        Tensor t = x.transpose(0, 2); // [4,3,2]
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) {
            assertEquals(x.getFloat(i, j, k), t.getFloat(k, j, i));
        }
        Tensor p = x.permute(1, 2, 0); // [3,4,2]
        assertEquals(x.getFloat(1, 2, 3), p.getFloat(2, 3, 1));

        float[] flat = t.toFloatArray();
        int idx = 0;
        for (int k = 0; k < 4; k++) for (int j = 0; j < 3; j++) for (int i = 0; i < 2; i++) {
            assertEquals(x.getFloat(i, j, k), flat[idx++], "row-major order of the transposed view");
        }
        Tensor c = t.contiguous();
        assertTrue(c.isContiguous());
        assertArrayEquals(flat, c.toFloatArray());
        assertSame(x, x.contiguous(), "contiguous() does not copy a contiguous tensor");
    }

    @Test
    void contiguousCopyStaysInTheArena() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, DType.F32, 3, 4);
            Tensor c = x.transpose(0, 1).contiguous();
            assertSame(arena, c.arena().orElseThrow());
        }
    }

    @Test
    void randomPermutationsMatchIndexArithmetic() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int trial = 0; trial < 30; trial++) {
            int a = 1 + rnd.nextInt(4), b = 1 + rnd.nextInt(4), c = 1 + rnd.nextInt(4);
            Tensor x = Tensor.of(iota(a * b * c), a, b, c);
            int[][] perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
            int[] perm = perms[rnd.nextInt(6)];
            Tensor p = x.permute(perm).contiguous();
            long[] sh = p.shape();
            for (long i = 0; i < sh[0]; i++) for (long j = 0; j < sh[1]; j++) for (long k = 0; k < sh[2]; k++) {
                long[] src = new long[3];
                long[] dst = {i, j, k};
                for (int d = 0; d < 3; d++) src[perm[d]] = dst[d];
                assertEquals(src[0] * b * c + src[1] * c + src[2], p.getFloat(i, j, k));
            }
        }
    }

    @Test
    void interop() {
        float[] data = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.of(data, 2, 3);
        data[4] = 50;
        assertEquals(50f, t.getFloat(1, 1), "of() wraps without copying");

        FloatBuffer direct = ByteBuffer.allocateDirect(24).order(ByteOrder.nativeOrder()).asFloatBuffer();
        direct.put(new float[] {1, 2, 3, 4, 5, 6}).flip();
        Tensor w = Tensor.wrap(direct, 3, 2);
        assertEquals(6f, w.getFloat(2, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(FloatBuffer.allocate(4), 4));
        assertTrue(e.getMessage().contains("not direct"));

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(16);
            Tensor ws = Tensor.wrap(seg, 2, 2);
            ws.setFloat(3f, 1, 0);
            assertEquals(3f, seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 2));
            e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(seg, 3, 2));
            assertTrue(e.getMessage().contains("needs 24 bytes but the segment has 16"), e.getMessage());
        }
        Tensor ints = Tensor.ofInts(new int[] {3, 1, 2}, 3);
        assertArrayEquals(new int[] {3, 1, 2}, ints.toIntArray());
        assertTrue(Tensor.of(new float[] {1.5f, 2}, 2).toString().startsWith("Tensor[F32 [2] 1.5, 2.0"));
        assertTrue(Tensor.of(iota(20), 20).toString().endsWith(", ...]"));
    }

    @Test
    void useAfterCloseFailsWithTheJdkException() {
        Arena arena = Arena.ofConfined();
        Tensor t = Tensor.allocate(arena, DType.F32, 4);
        arena.close();
        assertThrows(IllegalStateException.class, () -> t.getFloat(0));
        assertThrows(IllegalStateException.class, t::toFloatArray);
        assertThrows(IllegalStateException.class, () -> Ops.on(Device.cpu()).relu(t));
        assertTrue(t.toString().contains("memory freed"));
    }

    @Test
    void badViewsAndShapesAreRejected() {
        Tensor x = Tensor.of(iota(24), 2, 3, 4);
        assertMsg(() -> x.transpose(0, 1).reshape(24), "reshape", "not contiguous", "contiguous()");
        assertMsg(() -> x.reshape(5, 5), "reshape", "holds 25 elements", "[2, 3, 4] has 24");
        assertMsg(() -> x.reshape(-1, -1), "reshape", "more than one -1");
        assertMsg(() -> x.reshape(7, -1), "cannot infer");
        assertMsg(() -> x.slice(1, 2, 4), "slice", "[2, 4)", "size 3");
        assertMsg(() -> x.slice(3, 0, 1), "slice", "dim 3 out of range for x=[2,3,4]");
        assertMsg(() -> x.permute(0, 0, 1), "permute", "not a permutation");
        assertMsg(() -> x.permute(0, 1), "permute", "has 2 dims");
        assertMsg(() -> Tensor.of(new float[5], 2, 3), "of", "holds 6 elements but the array has 5");
        assertMsg(() -> Tensor.of(new float[0], 2, -1), "negative dim");
        try (Arena arena = Arena.ofConfined()) {
            assertMsg(() -> Tensor.allocate(arena, DType.F32, Long.MAX_VALUE / 2, 4), "overflows");
        }
        assertMsg(() -> x.getInt(0, 0, 0), "getInt", "F32");
        assertThrows(IndexOutOfBoundsException.class, () -> x.getFloat(2, 0, 0));
    }

    @Test
    void emptyTensorsAreValidAndContiguous() {
        try (Arena arena = Arena.ofConfined()) {
            for (long[] shape : new long[][] {{5, 0}, {0, 5}, {2, 0, 3}, {0}}) {
                Tensor t = Tensor.allocate(arena, DType.F32, shape);
                assertEquals(0, t.numel());
                assertTrue(t.isContiguous(), java.util.Arrays.toString(shape));
                assertArrayEquals(new long[] {0}, t.reshape(0).shape());
                assertEquals(0, t.contiguous().numel());
                Ops.on(Device.cpu()).relu(t, t); // an empty output is a valid output
            }
            assertArrayEquals(new long[] {3, 0}, Tensor.allocate(arena, DType.F32, 3, 4).slice(1, 2, 2).shape());
        }
    }

    @Test
    void scalarsHaveRankZeroAndOneElement() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor s = Tensor.allocate(arena, DType.F32);
            assertEquals(0, s.rank());
            assertEquals(1, s.numel());
            s.setFloat(2.5f);
            assertEquals(2.5f, s.getFloat());
            assertArrayEquals(new float[] {2.5f}, s.reshape(1, 1).toFloatArray());
            assertEquals("Tensor[F32 [] 2.5]", s.toString());
        }
    }

    @Test
    void wrapReadsTheSegmentInPlaceFromAnElementOffset() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(10 * 4, 64);
            for (int i = 0; i < 10; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
            Tensor t = Tensor.wrap(seg, 4, DType.F32, 2, 3); // elements 4..9
            assertEquals(4, t.offset());
            assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9}, t.toFloatArray());
            t.setFloat(-1f, 0, 0);
            assertEquals(-1f, seg.getAtIndex(ValueLayout.JAVA_FLOAT, 4), "wrap does not copy");
            assertTrue(t.arena().isEmpty(), "a wrapped tensor does not own its memory");
            assertEquals(0, Tensor.wrap(seg, 10, DType.F32, 0).numel(), "an empty tensor may sit at the end");

            MemorySegment ints = arena.allocate(12);
            Tensor it = Tensor.wrap(ints, DType.I32, 3);
            it.setInt(7, 2);
            assertArrayEquals(new int[] {0, 0, 7}, it.toIntArray());
        }
        // heap segments of int[] work too
        int[] arr = {1, 2, 3, 4};
        assertArrayEquals(new int[] {3, 4}, Tensor.wrap(MemorySegment.ofArray(arr), 2, DType.I32, 2).toIntArray());
    }

    @Test
    void wrapRejectsBadSegmentsBeforeAnyAccess() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(40, 64);
            assertMsg(() -> Tensor.wrap(seg, 11, DType.F32, 0), "wrap: offset 11 is outside the segment of 10 F32 elements (40 bytes)");
            assertMsg(() -> Tensor.wrap(seg, -1, DType.F32, 1), "wrap: offset -1 is outside the segment");
            assertMsg(() -> Tensor.wrap(seg, 8, DType.F32, 3), "wrap: shape [3] needs 12 bytes from element 8 but the segment has 8 left of 40");
            assertMsg(() -> Tensor.wrap(seg, 2, -5), "wrap: negative dim in shape [2, -5]");
            assertMsg(() -> Tensor.wrap(seg, Long.MAX_VALUE / 2, 4), "wrap", "overflows");
            assertMsg(() -> Tensor.wrap(seg, 1L << 40, 1L << 40), "wrap", "overflows");
            assertMsg(() -> Tensor.wrap(seg.asSlice(2), 2), "wrap: the segment is only 2-byte aligned but F32 needs 4");
            assertMsg(() -> Tensor.wrap(MemorySegment.ofArray(new byte[16]), 4), "1-byte aligned");
            assertMsg(() -> Tensor.wrap((MemorySegment) null, 4), "wrap: segment is null");
        }
    }

    @Test
    void floatBuffersMustBeDirectAndInNativeOrder() {
        FloatBuffer bigEndian = ByteBuffer.allocateDirect(16).asFloatBuffer(); // Java's default order
        if (ByteOrder.nativeOrder() != ByteOrder.BIG_ENDIAN) {
            assertMsg(() -> Tensor.wrap(bigEndian, 4), "wrap: FloatBuffer is BIG_ENDIAN", "order(ByteOrder.nativeOrder())");
        }
        FloatBuffer direct = ByteBuffer.allocateDirect(32).order(ByteOrder.nativeOrder()).asFloatBuffer();
        direct.put(new float[] {9, 9, 1, 2, 3, 4, 5, 6});
        direct.position(2);
        Tensor t = Tensor.wrap(direct, 2, 3); // from the position, no copy
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.toFloatArray());
        t.setFloat(10f, 0, 0);
        assertEquals(10f, direct.get(2));
        assertMsg(() -> Tensor.wrap(direct, 7), "wrap: shape [7] needs 28 bytes but the segment has 24");
        assertMsg(() -> Tensor.wrap(FloatBuffer.wrap(new float[4]), 4), "not direct", "Tensor.of(buffer.array(), shape)");
    }

    @Test
    void aReadOnlySegmentGivesAReadOnlyTensor() {
        Tensor ro = Tensor.wrap(MemorySegment.ofArray(new float[] {1, -2}).asReadOnly(), 2);
        Ops ops = Ops.on(Device.cpu());
        assertArrayEquals(new float[] {1, 0}, ops.relu(ro).toFloatArray(), "readable as an input");
        assertMsg(() -> ops.relu(ro, ro), "relu: out [2] is read-only");
    }

    @Test
    void sizesAreOverflowCheckedAndDimsNonNegative() {
        try (Arena arena = Arena.ofConfined()) {
            assertMsg(() -> Tensor.allocate(arena, DType.F32, 1L << 31, 1L << 31, 4), "allocate", "overflows");
            assertMsg(() -> Tensor.allocate(arena, DType.F32, 3, -1), "allocate: negative dim in shape [3, -1]");
            assertMsg(() -> Tensor.allocate(arena, DType.I32, Long.MAX_VALUE / 2), "allocate", "byte size", "overflows");
        }
        Tensor x = Tensor.of(new float[6], 2, 3);
        assertMsg(() -> x.reshape(Long.MAX_VALUE, 2), "reshape", "overflows");
        assertMsg(() -> x.reshape(3, -2), "reshape: negative dim in [3, -2]");
        assertMsg(() -> x.reshape(0, -1), "reshape: cannot infer -1 in [0, -1]");
        assertMsg(() -> x.transpose(0, 2), "transpose: dim 2 out of range for x=[2,3]");
        assertMsg(() -> x.dim(-3), "dim -3 out of range");
        assertMsg(() -> Tensor.ofInts(new int[2], 3), "ofInts: shape [3] holds 3 elements but the array has 2");
    }

    @Test
    void aTensorNeverOutlivesItsArena() {
        Ops ops = Ops.on(Device.cpu());
        Arena arena = Arena.ofShared();
        Tensor a = Tensor.allocate(arena, DType.F32, 3, 4), b = Tensor.allocate(arena, DType.F32, 3, 4);
        Tensor labels = Tensor.allocate(arena, DType.I32, 3);
        Tensor view = a.transpose(0, 1);
        arena.close();
        assertThrows(IllegalStateException.class, () -> a.setFloat(1f, 0, 0));
        assertThrows(IllegalStateException.class, view::contiguous, "copying a view reads freed memory");
        assertThrows(IllegalStateException.class, () -> a.transpose(0, 1).toFloatArray(), "views are metadata; reading fails");
        assertThrows(IllegalStateException.class, () -> ops.add(a, b));
        assertThrows(IllegalStateException.class, () -> ops.add(Tensor.of(new float[12], 3, 4), Tensor.of(new float[12], 3, 4), b));
        assertThrows(IllegalStateException.class, () -> ops.softmax(view));
        assertThrows(IllegalStateException.class, () -> ops.sum(a, 0));
        assertThrows(IllegalStateException.class, () -> ops.softmaxCrossEntropy(Tensor.of(new float[12], 3, 4), labels));
        assertThrows(IllegalStateException.class, () -> ops.fill(a, 1f));
        assertThrows(IllegalStateException.class, () -> Tensor.allocate(arena, DType.F32, 2));
        // bad input is still reported as such: validation looks at shapes only, before any memory
        assertMsg(() -> ops.add(a, Tensor.of(new float[3], 3)), "add: b has shape [3] but a has [3, 4]");
        assertTrue(a.toString().contains("memory freed"), a.toString());
    }

    @Test
    void confinedMemoryStaysWithItsThread() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(arena, DType.F32, 4);
            Throwable[] seen = new Throwable[1];
            String[] text = new String[1];
            Thread other = new Thread(() -> {
                try {
                    text[0] = t.toString();
                    t.getFloat(0);
                } catch (Throwable e) {
                    seen[0] = e;
                }
            });
            other.start();
            other.join();
            assertInstanceOf(WrongThreadException.class, seen[0]);
            assertTrue(text[0].contains("confined to another thread"), text[0]);
        }
    }

    @Test
    void toStringShowsDtypeShapeAndAFewValues() {
        assertEquals("Tensor[F32 [2, 3] 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]", Tensor.of(iota(6), 2, 3).toString());
        assertEquals("Tensor[F32 [3, 2] 0.0, 3.0, 1.0, 4.0, 2.0, 5.0]", Tensor.of(iota(6), 2, 3).transpose(0, 1).toString());
        assertEquals("Tensor[I32 [3] 7, 8, 9]", Tensor.ofInts(new int[] {7, 8, 9}, 3).toString());
        assertEquals("Tensor[F32 [0, 4]]", Tensor.of(new float[0], 0, 4).toString());
        assertEquals("Tensor[F32 [10] 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, ...]", Tensor.of(iota(10), 10).toString());
    }

    static void assertMsg(org.junit.jupiter.api.function.Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
}

package io.tensorlane.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

    static void assertMsg(org.junit.jupiter.api.function.Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
}

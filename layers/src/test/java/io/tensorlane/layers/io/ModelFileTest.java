package io.tensorlane.layers.io;

import static org.junit.jupiter.api.Assertions.*;

import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {
    @TempDir
    Path dir;

    static Tensor random(Random r, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, shape);
    }

    static void assertSameTensors(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        for (var e : expected.entrySet()) {
            Tensor a = actual.get(e.getKey());
            assertArrayEquals(e.getValue().shape(), a.shape(), e.getKey());
            assertArrayEquals(e.getValue().toFloatArray(), a.toFloatArray(), e.getKey()); // bit-exact
        }
    }

    @Test
    void roundTripKeepsJsonNamesShapesAndExactBits() throws IOException {
        Random r = new Random(1);
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("conv1.weight", random(r, 4, 1, 3, 3));
        params.put("conv1.bias", random(r, 4));
        params.put("scalar", Tensor.of(new float[] {Float.NaN}));
        params.put("empty", Tensor.of(new float[0], 0, 3));
        params.put("transposed", random(r, 3, 5).transpose(0, 1)); // written contiguous
        params.put("ünïcødé €", Tensor.of(new float[] {-0f, Float.MIN_VALUE, Float.POSITIVE_INFINITY}, 3));
        Map<String, Tensor> extras = Map.of("adam.m.conv1.weight", random(r, 4, 1, 3, 3));
        String json = "{\"layers\":[{\"type\":\"Conv2d\",\"name\":\"conv1\"}], \"note\":\"ß→\"}";
        Path f = dir.resolve("m.tlm");
        try (Arena arena = Arena.ofConfined()) {
            Tensor offHeap = Tensor.allocate(arena, DType.F32, 2, 2);
            for (int i = 0; i < 4; i++) offHeap.setFloat(i + 0.5f, i / 2, i % 2);
            params.put("offheap", offHeap);
            new ModelFile(json, params, extras).write(f);
            ModelFile back = ModelFile.read(f);
            assertEquals(json, back.netJson());
            assertSameTensors(params, back.tensors());
            assertSameTensors(extras, back.extras());
        }
        // no temporary files left behind
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());
        }
        ModelFile empty = new ModelFile("", Map.of());
        empty.write(f); // replaces the existing file
        ModelFile back = ModelFile.read(f);
        assertEquals("", back.netJson());
        assertTrue(back.tensors().isEmpty() && back.extras().isEmpty());
    }

    /** A small valid file's bytes. */
    byte[] smallFile() throws IOException {
        Path f = dir.resolve("small.tlm");
        new ModelFile("{\"a\":1}", Map.of("w", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)),
                Map.of("m", Tensor.of(new float[] {7}, 1))).write(f);
        return Files.readAllBytes(f);
    }

    ModelFileException refused(byte[] bytes) throws IOException {
        Path f = dir.resolve("bad.tlm");
        Files.write(f, bytes);
        return assertThrows(ModelFileException.class, () -> ModelFile.read(f));
    }

    @Test
    void everyTruncationIsRefused() throws IOException {
        byte[] ok = smallFile();
        assertEquals(32 + 7 + (2 + 1 + 1 + 16 + 24) + (2 + 1 + 1 + 8 + 4) + 32, ok.length);
        for (int len = 0; len < ok.length; len++) {
            ModelFileException e = refused(java.util.Arrays.copyOf(ok, len));
            assertTrue(e.getMessage().contains("bad.tlm"), e.getMessage());
        }
        assertTrue(refused(java.util.Arrays.copyOf(ok, ok.length - 1)).getMessage().contains("checksum"));
        assertTrue(refused(java.util.Arrays.copyOf(ok, 40)).getMessage().contains("truncated"));
    }

    @Test
    void everyFlippedByteIsRefused() throws IOException {
        byte[] ok = smallFile();
        Random r = new Random(3);
        for (int i = 0; i < ok.length; i++) {
            byte[] bad = ok.clone();
            bad[i] ^= (byte) (1 << r.nextInt(8));
            refused(bad);
        }
        byte[] appended = java.util.Arrays.copyOf(ok, ok.length + 1);
        refused(appended);
    }

    // ---- hostile files: correct checksum, lying contents

    /** Header + body with a valid SHA-256 trailer. */
    static byte[] withChecksum(byte[] magic, int version, int flags, int tensors, int extras, long jsonLen, byte[] body) throws Exception {
        ByteBuffer h = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        h.put(magic).putInt(version).putInt(flags).putInt(tensors).putInt(extras).putLong(jsonLen);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(h.array());
        b.write(body);
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(b.toByteArray());
        b.write(sha);
        return b.toByteArray();
    }

    static byte[] record(String name, int rank, long[] dims, int floats) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(2 + n.length + 1 + 8 * dims.length + 4 * floats).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) n.length).put(n).put((byte) rank);
        for (long d : dims) b.putLong(d);
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) b.writeBytes(p);
        return b.toByteArray();
    }

    String message(byte[] file) throws IOException {
        return refused(file).getMessage();
    }

    @Test
    void hostileSizesAreRefusedBeforeAllocating() throws Exception {
        byte[] M = ModelFile.MAGIC;
        // a valid hand-made file first, so the helpers are right
        Path good = dir.resolve("good.tlm");
        Files.write(good, withChecksum(M, 1, 0, 1, 0, 2, concat("{}".getBytes(), record("w", 1, new long[] {2}, 2))));
        assertArrayEquals(new float[] {0, 0}, ModelFile.read(good).tensors().get("w").toFloatArray());

        assertTrue(message(withChecksum(M, 1, 0, 0, 0, Long.MAX_VALUE, new byte[0])).contains("JSON bytes"));
        assertTrue(message(withChecksum(M, 1, 0, 0, 0, -1L, new byte[0])).contains("JSON bytes"));
        assertTrue(message(withChecksum(M, 1, 0, -1, -1, 0, new byte[0])).contains("tensors"));
        assertTrue(message(withChecksum(M, 1, 0, 1000, 0, 0, new byte[8])).contains("tensors"));
        // a tensor declaring 2^40 floats in a tiny file
        assertTrue(message(withChecksum(M, 1, 0, 1, 0, 0, record("w", 2, new long[] {1L << 20, 1L << 20}, 0))).contains("only"));
        // dims whose product overflows a long
        assertTrue(message(withChecksum(M, 1, 0, 1, 0, 0, record("w", 3, new long[] {1L << 32, 1L << 32, 1L << 32}, 0))).contains("overflows"));
        assertTrue(message(withChecksum(M, 1, 0, 1, 0, 0, record("w", 1, new long[] {-4}, 0))).contains("negative dim"));
        assertTrue(message(withChecksum(M, 1, 0, 1, 0, 0, record("w", 9, new long[9], 0))).contains("rank 9"));
        assertTrue(message(withChecksum(M, 1, 0, 1, 0, 0, record("", 0, new long[0], 1))).contains("name of 0 bytes"));
        assertTrue(message(withChecksum(M, 1, 0, 1, 0, 0, concat(new byte[] {(byte) 0xff, (byte) 0xff}, new byte[8]))).contains("name of 65535"));
        assertTrue(message(withChecksum(M, 1, 0, 2, 0, 0, concat(record("w", 0, new long[0], 1), record("w", 0, new long[0], 1)))).contains("duplicate"));
        assertTrue(message(withChecksum(M, 1, 0, 1, 0, 0, concat(record("w", 0, new long[0], 1), new byte[3]))).contains("unexpected bytes"));
        assertTrue(message(withChecksum(M, 1, 0, 0, 0, 2, new byte[] {(byte) 0xc3, 0x28})).contains("UTF-8"));
        // a name length past the end
        assertTrue(message(withChecksum(M, 1, 0, 1, 0, 0, concat(new byte[] {100, 0}, new byte[4]))).contains("remain"));
        // the file limit is checked before anything is read
        Path f = dir.resolve("lim.tlm");
        Files.write(f, withChecksum(M, 1, 0, 0, 0, 0, new byte[0]));
        var e = assertThrows(ModelFileException.class, () -> ModelFile.read(f, new ModelFileLimits(10, 10, 10, 10, 8)));
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @Test
    void wrongMagicVersionAndFlags() throws Exception {
        byte[] body = new byte[0];
        byte[] wrong = ModelFile.MAGIC.clone();
        wrong[1] = 'X';
        assertTrue(message(withChecksum(wrong, 1, 0, 0, 0, 0, body)).contains("wrong magic"));
        assertTrue(message(withChecksum(ModelFile.MAGIC, 2, 0, 0, 0, 0, body)).contains("version 2"));
        assertTrue(message(withChecksum(ModelFile.MAGIC, 0, 0, 0, 0, 0, body)).contains("version 0"));
        assertTrue(message(withChecksum(ModelFile.MAGIC, 1, 4, 0, 0, 0, body)).contains("flags"));
        assertTrue(message("{\"json\": \"not a model\"}".getBytes()).contains("magic"));
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = dir.resolve("keep.tlm");
        byte[] old = smallFile();
        Files.write(f, old);
        Arena arena = Arena.ofConfined();
        Tensor dead = Tensor.allocate(arena, DType.F32, 100_000);
        arena.close(); // reading it fails half way through the write
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("first", random(new Random(2), 100_000)); // ~400 KB already written when it fails
        params.put("dead", dead);
        assertThrows(IllegalStateException.class, () -> new ModelFile("{}", params).write(f));
        assertArrayEquals(old, Files.readAllBytes(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList());
        }
    }

    @Test
    void writeRejectsWhatTheFormatCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> new ModelFile("", Map.of("i", Tensor.ofInts(new int[] {1}, 1))));
        assertThrows(IllegalArgumentException.class, () -> new ModelFile("", Map.of("", Tensor.of(new float[] {1}, 1))));
        assertThrows(IllegalArgumentException.class, () -> new ModelFile("", Map.of("x".repeat(1025), Tensor.of(new float[] {1}, 1))));
        assertThrows(NullPointerException.class, () -> new ModelFile(null, Map.of()));
    }
}

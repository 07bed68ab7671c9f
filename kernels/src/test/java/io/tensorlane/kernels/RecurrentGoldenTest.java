package io.tensorlane.kernels;

import static io.tensorlane.kernels.FloatAsserts.assertClose;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both recurrent implementations against the PyTorch golden cases rnn_step, rnn_seq, lstm_step and
 * lstm_seq (forward outputs and every grad), through the validating {@link Recurrent} entry points.
 * Every buffer sits at an odd offset in its own off-heap segment; the weight grads start from a
 * non-zero value to check that they are accumulated into (+=), not overwritten.
 */
class RecurrentGoldenTest {
    static final float DW0 = 0.25f;

    static Stream<String> rnnCases() {
        return Stream.concat(GoldenCase.filesOf("rnn_step").stream(), GoldenCase.filesOf("rnn_seq").stream());
    }

    static Stream<String> lstmCases() {
        return Stream.concat(GoldenCase.filesOf("lstm_step").stream(), GoldenCase.filesOf("lstm_seq").stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rnnCases")
    void scalarRnn(String file) {
        rnn(Kernels.get(Impl.SCALAR), file);
    }

    @Tag("simd")
    @ParameterizedTest(name = "{0}")
    @MethodSource("rnnCases")
    void simdRnn(String file) {
        rnn(Kernels.get(Impl.SIMD), file);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lstmCases")
    void scalarLstm(String file) {
        lstm(Kernels.get(Impl.SCALAR), file);
    }

    @Tag("simd")
    @ParameterizedTest(name = "{0}")
    @MethodSource("lstmCases")
    void simdLstm(String file) {
        lstm(Kernels.get(Impl.SIMD), file);
    }

    /** A segment holding {@code v} at element offset {@code off}, sentinels around it. */
    record Placed(MemorySegment seg, long off, int len) {
        static final long OFF = 3;

        static Placed of(Arena arena, float[] v) {
            MemorySegment s = arena.allocate((OFF + v.length + 5) * Float.BYTES);
            for (long i = 0; i < OFF + v.length + 5; i++) s.setAtIndex(JAVA_FLOAT, i, -999f);
            MemorySegment.copy(v, 0, s, JAVA_FLOAT, OFF * Float.BYTES, v.length);
            return new Placed(s, OFF, v.length);
        }

        static Placed filled(Arena arena, int n, float value) {
            float[] v = new float[n];
            java.util.Arrays.fill(v, value);
            return of(arena, v);
        }

        float[] get() {
            float[] out = new float[len];
            MemorySegment.copy(seg, JAVA_FLOAT, off * Float.BYTES, out, 0, len);
            for (long i = 0; i < off; i++) {
                if (seg.getAtIndex(JAVA_FLOAT, i) != -999f) throw new AssertionError("write before the buffer at " + i);
            }
            for (long i = off + len; i < off + len + 5; i++) {
                if (seg.getAtIndex(JAVA_FLOAT, i) != -999f) throw new AssertionError("write after the buffer at " + i);
            }
            return out;
        }
    }

    private static void rnn(KernelSet k, String file) {
        GoldenCase c = GoldenCase.load(file);
        boolean seq = file.startsWith("rnn_seq");
        int n = c.param("N").asInt(), d = c.param("D").asInt(), h = c.param("H").asInt();
        int t = seq ? c.param("T").asInt() : 1;
        String h0n = seq ? "h0" : "prev_h", dhn = seq ? "dh" : "dnext_h", outn = seq ? "h" : "next_h";
        String dh0n = seq ? "dh0" : "dprev_h";
        try (Arena arena = Arena.ofConfined()) {
            Placed x = Placed.of(arena, c.floats("inputs", "x")), h0 = Placed.of(arena, c.floats("inputs", h0n));
            Placed wx = Placed.of(arena, c.floats("inputs", "Wx")), wh = Placed.of(arena, c.floats("inputs", "Wh"));
            Placed b = Placed.of(arena, c.floats("inputs", "b")), dh = Placed.of(arena, c.floats("inputs", dhn));
            Placed hOut = Placed.filled(arena, n * t * h, Float.NaN);
            Placed ws = Placed.filled(arena, (int) Recurrent.rnnBackwardWorkspace(n, t, h), Float.NaN);
            Recurrent.rnnForward(k, n, t, d, h, x.seg, x.off, h0.seg, h0.off, wx.seg, wx.off, wh.seg, wh.off, b.seg, b.off,
                    hOut.seg, hOut.off, ws.seg, ws.off, Parallelism.single());
            assertClose(file + " " + outn, c.floats("outputs", outn), hOut.get(), c.rtol(), c.atol());
            Placed dx = Placed.filled(arena, n * t * d, Float.NaN), dh0 = Placed.filled(arena, n * h, Float.NaN);
            Placed dWx = Placed.filled(arena, d * h, DW0), dWh = Placed.filled(arena, h * h, DW0), db = Placed.filled(arena, h, DW0);
            Recurrent.rnnBackward(k, n, t, d, h, x.seg, x.off, h0.seg, h0.off, wx.seg, wx.off, wh.seg, wh.off,
                    hOut.seg, hOut.off, dh.seg, dh.off, dx.seg, dx.off, dh0.seg, dh0.off, dWx.seg, dWx.off,
                    dWh.seg, dWh.off, db.seg, db.off, ws.seg, ws.off, Parallelism.single());
            assertClose(file + " dx", c.floats("grads", "dx"), dx.get(), c.rtol(), c.atol());
            assertClose(file + " " + dh0n, c.floats("grads", dh0n), dh0.get(), c.rtol(), c.atol());
            assertClose(file + " dWx", plus(c.floats("grads", "dWx")), dWx.get(), c.rtol(), c.atol());
            assertClose(file + " dWh", plus(c.floats("grads", "dWh")), dWh.get(), c.rtol(), c.atol());
            assertClose(file + " db", plus(c.floats("grads", "db")), db.get(), c.rtol(), c.atol());
        }
    }

    private static void lstm(KernelSet k, String file) {
        GoldenCase c = GoldenCase.load(file);
        boolean seq = file.startsWith("lstm_seq");
        int n = c.param("N").asInt(), d = c.param("D").asInt(), h = c.param("H").asInt();
        int t = seq ? c.param("T").asInt() : 1;
        if (!c.param("gate_order").asText().equals("i,f,o,g")) throw new IllegalStateException(file + ": gate order");
        try (Arena arena = Arena.ofConfined()) {
            Placed x = Placed.of(arena, c.floats("inputs", "x"));
            Placed h0 = Placed.of(arena, c.floats("inputs", seq ? "h0" : "prev_h"));
            Placed c0 = seq ? null : Placed.of(arena, c.floats("inputs", "prev_c"));
            Placed wx = Placed.of(arena, c.floats("inputs", "Wx")), wh = Placed.of(arena, c.floats("inputs", "Wh"));
            Placed b = Placed.of(arena, c.floats("inputs", "b"));
            Placed dh = Placed.of(arena, c.floats("inputs", seq ? "dh" : "dnext_h"));
            Placed dcLast = seq ? null : Placed.of(arena, c.floats("inputs", "dnext_c"));
            Placed hOut = Placed.filled(arena, n * t * h, Float.NaN), cOut = Placed.filled(arena, n * t * h, Float.NaN);
            Placed gates = Placed.filled(arena, n * t * 4 * h, Float.NaN);
            Recurrent.lstmForward(k, n, t, d, h, x.seg, x.off, h0.seg, h0.off, c0 == null ? null : c0.seg, c0 == null ? 0 : c0.off,
                    wx.seg, wx.off, wh.seg, wh.off, b.seg, b.off, hOut.seg, hOut.off, cOut.seg, cOut.off,
                    gates.seg, gates.off, Parallelism.single());
            assertClose(file + " h", c.floats("outputs", seq ? "h" : "next_h"), hOut.get(), c.rtol(), c.atol());
            assertClose(file + " c", c.floats("outputs", seq ? "c" : "next_c"), cOut.get(), c.rtol(), c.atol());
            Placed dx = Placed.filled(arena, n * t * d, Float.NaN), dh0 = Placed.filled(arena, n * h, Float.NaN);
            Placed dc0 = Placed.filled(arena, n * h, Float.NaN);
            Placed dWx = Placed.filled(arena, d * 4 * h, DW0), dWh = Placed.filled(arena, h * 4 * h, DW0);
            Placed db = Placed.filled(arena, 4 * h, DW0);
            Placed ws = Placed.filled(arena, (int) Recurrent.lstmBackwardWorkspace(n, t, h), Float.NaN);
            Recurrent.lstmBackward(k, n, t, d, h, x.seg, x.off, h0.seg, h0.off, c0 == null ? null : c0.seg, c0 == null ? 0 : c0.off,
                    wx.seg, wx.off, wh.seg, wh.off, hOut.seg, hOut.off, cOut.seg, cOut.off, gates.seg, gates.off,
                    dh.seg, dh.off, dcLast == null ? null : dcLast.seg, dcLast == null ? 0 : dcLast.off,
                    dx.seg, dx.off, dh0.seg, dh0.off, dc0.seg, dc0.off, dWx.seg, dWx.off, dWh.seg, dWh.off, db.seg, db.off,
                    ws.seg, ws.off, Parallelism.single());
            assertClose(file + " dx", c.floats("grads", "dx"), dx.get(), c.rtol(), c.atol());
            assertClose(file + " dh0", c.floats("grads", seq ? "dh0" : "dprev_h"), dh0.get(), c.rtol(), c.atol());
            if (!seq) assertClose(file + " dprev_c", c.floats("grads", "dprev_c"), dc0.get(), c.rtol(), c.atol());
            assertClose(file + " dWx", plus(c.floats("grads", "dWx")), dWx.get(), c.rtol(), c.atol());
            assertClose(file + " dWh", plus(c.floats("grads", "dWh")), dWh.get(), c.rtol(), c.atol());
            assertClose(file + " db", plus(c.floats("grads", "db")), db.get(), c.rtol(), c.atol());
        }
    }

    /** The expected value of an accumulated grad that started at DW0. */
    private static float[] plus(float[] g) {
        float[] out = g.clone();
        for (int i = 0; i < out.length; i++) out[i] += DW0;
        return out;
    }
}

package io.tensorlane.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.tensorlane.kernels.ref.ScalarGemm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both GEMM implementations against the PyTorch golden cases {@code src/test/resources/reference/gemm__*.json}
 * (see the README there), with each case's rule |a - e| &lt;= atol + rtol * |e|.
 * The operands sit at odd offsets inside larger off-heap segments, and C is checked for writes outside it.
 */
class GemmGoldenTest {
    static Stream<String> cases() {
        return GoldenCase.filesOf("gemm").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void scalarMatchesGolden(String file) {
        verify(new ScalarGemm(), file);
    }

    @Tag("simd")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void simdMatchesGolden(String file) {
        verify(Kernels.get(Impl.SIMD).gemm(), file);
    }

    private static MemorySegment at(Arena arena, long off, float[] v) {
        MemorySegment s = arena.allocate((off + v.length + 5) * Float.BYTES);
        for (long i = 0; i < off + v.length + 5; i++) s.setAtIndex(JAVA_FLOAT, i, -999f);
        MemorySegment.copy(v, 0, s, JAVA_FLOAT, off * Float.BYTES, v.length);
        return s;
    }

    private static void verify(GemmKernels gemm, String file) {
        GoldenCase g = GoldenCase.load(file);
        int m = g.param("M").asInt(), n = g.param("N").asInt(), k = g.param("K").asInt();
        Trans ta = Trans.of(g.param("transA").asBoolean()), tb = Trans.of(g.param("transB").asBoolean());
        float alpha = Float.parseFloat(g.param("alpha").asText()), beta = Float.parseFloat(g.param("beta").asText());
        double rtol = g.rtol(), atol = g.atol();
        float[] a = g.floats("inputs", "A"), b = g.floats("inputs", "B");
        float[] c = g.floats("inputs", "C"), want = g.floats("outputs", "out");
        assertEquals((long) m * n, want.length, file);
        int lda = ta == Trans.N ? k : m, ldb = tb == Trans.N ? n : k;
        for (Parallelism par : new Parallelism[] {Parallelism.single(), Parallelism.threads(2)}) {
            try (Arena arena = Arena.ofShared()) {
                MemorySegment as = at(arena, 3, a), bs = at(arena, 5, b), cs = at(arena, 7, c);
                gemm.sgemm(ta, tb, m, n, k, alpha, as, 3, lda, bs, 5, ldb, beta, cs, 7, n, par);
                for (int i = 0; i < want.length; i++) {
                    float got = cs.getAtIndex(JAVA_FLOAT, 7 + i);
                    if (!(Math.abs(got - want[i]) <= atol + rtol * Math.abs(want[i]))) {
                        fail(file + " " + gemm + " on " + par + ": out[" + i + "] = " + got + ", expected " + want[i]);
                    }
                }
                for (long i = 0; i < 7; i++) assertEquals(-999f, cs.getAtIndex(JAVA_FLOAT, i), file + " guard");
                for (long i = 7 + want.length; i < 12 + want.length; i++) {
                    assertEquals(-999f, cs.getAtIndex(JAVA_FLOAT, i), file + " guard");
                }
            }
        }
    }
}

package io.tensorlane.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorlane.kernels.ref.ScalarGemm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both GEMM implementations against the PyTorch golden cases {@code src/test/resources/reference/gemm__*.json}
 * (copied verbatim from the project's shared reference corpus: PyTorch 1.13 float64 results rounded to
 * float32; see that corpus's README for the format), with each case's rule |a - e| &lt;= atol + rtol * |e|.
 * The operands sit at odd offsets inside larger off-heap segments, and C is checked for writes outside it.
 */
class GemmGoldenTest {
    // decimals stay BigDecimal, so each number's text is parsed once, straight to float
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    static Stream<String> cases() throws IOException, URISyntaxException {
        Path dir = Path.of(GemmGoldenTest.class.getResource("/reference").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString())
                    .filter(f -> f.startsWith("gemm__") && f.endsWith(".json")).sorted().toList();
            assertFalse(names.isEmpty(), "no gemm golden cases in " + dir);
            return names.stream();
        }
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

    private static JsonNode load(String file) {
        try (InputStream in = GemmGoldenTest.class.getResourceAsStream("/reference/" + file)) {
            if (in == null) throw new IllegalStateException("missing test resource reference/" + file);
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static float[] data(JsonNode tensor) {
        JsonNode d = tensor.get("data");
        float[] out = new float[d.size()];
        for (int i = 0; i < out.length; i++) out[i] = Float.parseFloat(d.get(i).asText());
        return out;
    }

    private static MemorySegment at(Arena arena, long off, float[] v) {
        MemorySegment s = arena.allocate((off + v.length + 5) * Float.BYTES);
        for (long i = 0; i < off + v.length + 5; i++) s.setAtIndex(JAVA_FLOAT, i, -999f);
        MemorySegment.copy(v, 0, s, JAVA_FLOAT, off * Float.BYTES, v.length);
        return s;
    }

    private static void verify(GemmKernels gemm, String file) {
        JsonNode root = load(file);
        JsonNode p = root.get("params");
        int m = p.get("M").asInt(), n = p.get("N").asInt(), k = p.get("K").asInt();
        Trans ta = Trans.of(p.get("transA").asBoolean()), tb = Trans.of(p.get("transB").asBoolean());
        float alpha = Float.parseFloat(p.get("alpha").asText()), beta = Float.parseFloat(p.get("beta").asText());
        double rtol = root.get("tolerance").get("rtol").asDouble(), atol = root.get("tolerance").get("atol").asDouble();
        float[] a = data(root.get("inputs").get("A")), b = data(root.get("inputs").get("B"));
        float[] c = data(root.get("inputs").get("C")), want = data(root.get("outputs").get("out"));
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

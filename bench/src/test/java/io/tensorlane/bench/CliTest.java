package io.tensorlane.bench;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorlane.bench.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The CLI run in-process: verify over the shipped golden corpus, malformed input, info, bench act and gemm. */
class CliTest {
    /** The Foundation ops (and gemm, whose cases run through the GEMM kernel). */
    static final List<String> OPS = List.of("relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax",
            "softmax_loss", "svm_loss", "mse_loss", "sigmoid_bce_loss", "gemm", "pca");

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static Path corpus() throws URISyntaxException {
        return Path.of(CliTest.class.getResource("/reference/README.md").toURI()).getParent();
    }

    static long casesOf(Path dir, List<String> ops) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".json"))
                    .filter(f -> ops.contains(f.substring(0, f.indexOf("__")))).count();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd"})
    void everyFoundationGoldenCasePasses(String impl) throws Exception {
        Path dir = corpus();
        long expected = casesOf(dir, OPS);
        assertTrue(expected >= 60, "corpus has the Foundation cases: " + expected);
        Run r = run("verify", dir.toString(), "--ops", String.join(",", OPS), "--impl", impl);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("verify: " + expected + " passed, 0 failed"), r.out());
    }

    @Test
    void pcaGoldenCasesPass() throws Exception {
        long cases = casesOf(corpus(), List.of("pca"));
        assertTrue(cases >= 4, "corpus has the pca cases: " + cases);
        Run r = run("verify", corpus().toString(), "--ops", "pca");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertEquals("verify: " + cases + " passed, 0 failed", lastLine(r.out()), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd"})
    void gradcheckGoldenCasesPass(String impl) throws Exception {
        long cases = casesOf(corpus(), List.of("gradcheck"));
        assertTrue(cases >= 3, "corpus has the gradcheck cases: " + cases);
        Run r = run("verify", corpus().toString(), "--ops", "gradcheck", "--impl", impl);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertEquals("verify: " + cases + " passed, 0 failed", lastLine(r.out()), r.out());
    }

    @Test
    void unsupportedOpsCountAsFailed() throws Exception {
        Path dir = corpus();
        long all;
        try (Stream<Path> s = Files.list(dir)) {
            all = s.filter(p -> p.toString().endsWith(".json")).count();
        }
        // every registered op passes all its cases; cases of ops not (yet) registered count as failed
        // (malformedFilesAreReportedPerFileAndNeverAbort checks the message for an unknown op)
        long supported = casesOf(dir, List.copyOf(io.tensorlane.bench.verify.GoldenOps.all().keySet()));
        Run r = run("verify", dir.toString());
        assertEquals(supported == all ? 0 : 1, r.exit(), r.out());
        assertTrue(r.out().contains("verify: " + supported + " passed, " + (all - supported) + " failed"), r.out());
    }

    @Test
    void malformedFilesAreReportedPerFileAndNeverAbort(@TempDir Path dir) throws Exception {
        Path good = corpus().resolve("relu__n4_d10.json");
        Files.copy(good, dir.resolve("relu__good.json"));
        Files.writeString(dir.resolve("relu__broken.json"), "{ \"op\": \"relu\", ");
        String text = Files.readString(good);
        Files.writeString(dir.resolve("relu__short.json"), text.replaceFirst("\"data\": \\[", "\"data\": [1.0, "));
        Files.writeString(dir.resolve("frobnicate__x.json"), text.replace("\"op\": \"relu\"", "\"op\": \"frobnicate\""));
        Files.writeString(dir.resolve("relu__dtype.json"), text.replaceFirst("\"float32\"", "\"float16\""));
        String gemm = Files.readString(corpus().resolve("gemm__m4_n5_k3_nn_alpha1_beta1.json"));
        Files.writeString(dir.resolve("gemm__badm.json"), gemm.replace("\"M\": 4", "\"M\": 5"));
        Run r = run("verify", dir.toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().contains("relu__broken.json [relu] malformed case: relu__broken.json: not valid JSON"), r.out());
        assertTrue(r.out().contains("relu__short.json") && r.out().contains("values but shape"), r.out());
        assertTrue(r.out().contains("frobnicate__x.json [frobnicate] unsupported op frobnicate"), r.out());
        assertTrue(r.out().contains("unknown dtype 'float16'"), r.out());
        assertTrue(r.out().contains("gemm__badm.json [gemm] malformed case: gemm__badm.json: gemm A has shape [4, 3] but M, N, K, transA, transB say [5, 3]"), r.out());
        assertEquals("verify: 1 passed, 5 failed", lastLine(r.out()), r.out());
    }

    @Test
    void aWrongExpectationFailsNamingTheCaseAndTensor(@TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode c = json.readTree(corpus().resolve("softmax__n4_d10.json").toFile());
        var data = (com.fasterxml.jackson.databind.node.ArrayNode) c.get("outputs").get("out").get("data");
        data.set(7, data.get(7).asDouble() + 0.01);
        json.writeValue(dir.resolve("softmax__perturbed.json").toFile(), c);
        Path jsonOut = dir.resolve("results.json");
        Run r = run("verify", dir.toString(), "--json", jsonOut.toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().contains("FAIL softmax__perturbed.json [softmax] out: 1 of 40 values off"), r.out());
        assertEquals("verify: 0 passed, 1 failed", lastLine(r.out()), r.out());
        JsonNode results = json.readTree(jsonOut.toFile());
        assertEquals("softmax__perturbed.json", results.get(0).get("file").asText());
        assertFalse(results.get(0).get("passed").asBoolean());
    }

    static String lastLine(String text) {
        String[] lines = text.strip().split("\\R");
        return lines[lines.length - 1];
    }

    @Test
    void opsFilterAndMissingDirectory() throws Exception {
        Run r = run("verify", corpus().toString(), "--ops", "tanh");
        assertEquals(0, r.exit());
        assertEquals("verify: 4 passed, 0 failed", lastLine(r.out()), r.out());
        Run typo = run("verify", corpus().toString(), "--ops", "tanhh");
        assertTrue(typo.err().contains("no checker for op 'tanhh'"), typo.err());
        // an op asked for that has cases but no checker: its cases count as failed
        Path dir = Files.createTempDirectory("tl-verify-unsupported");
        try (Stream<Path> s = Files.list(corpus())) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("tanh__")).toList()) {
                Files.copy(p, dir.resolve(p.getFileName()));
            }
        }
        Files.writeString(dir.resolve("frobnicate__x.json"),
                Files.readString(corpus().resolve("relu__n4_d10.json")).replace("\"op\": \"relu\"", "\"op\": \"frobnicate\""));
        Run unsupported = run("verify", dir.toString(), "--ops", "frobnicate,tanh");
        assertEquals(1, unsupported.exit(), unsupported.out() + unsupported.err());
        assertTrue(unsupported.out().contains("verify: 4 passed, 1 failed"), unsupported.out());
        Run missing = run("verify", "/nonexistent/dir");
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("is not a directory"), missing.err());
    }

    @Test
    void infoNamesTheProvider() {
        Run r = run("info");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("kernels:  simd (FloatVector"), r.out());
        assertTrue(r.out().contains("java:"), r.out());
        assertTrue(r.out().contains("threads:"), r.out());
        assertTrue(r.out().contains("tensorlane 0."), r.out());
    }

    @Test
    void everyCommandExplainsItselfWithAnExample() {
        for (String[] cmd : new String[][] {{"--help"}, {"info", "--help"}, {"verify", "--help"}, {"bench", "--help"}, {"bench", "act", "--help"},
                {"bench", "gemm", "--help"}, {"bench", "targets", "--help"}}) {
            Run r = run(cmd);
            assertEquals(0, r.exit(), String.join(" ", cmd));
            assertTrue(r.out().contains("Example"), String.join(" ", cmd) + ":\n" + r.out());
        }
        Run bench = run("bench");
        assertNotEquals(0, bench.exit());
        assertTrue(bench.err().contains("name a family: act"), bench.err());
        Run unknown = run("bench", "frobnicate", "--size", "3");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("unknown family 'frobnicate'; families: act"), unknown.err());
    }

    @Test
    void benchActWritesRowsWithEveryField(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("act.json");
        // Small and odd-sized (vector tails): a smoke test of the harness, no timing is asserted.
        Run r = run("bench", "act", "--size", "4099", "--reps", "2", "--json", out.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        JsonNode rows = new ObjectMapper().readTree(out.toFile());
        assertEquals(13, rows.size(), rows.toString()); // copy + 6 kernels x {scalar, simd}
        for (JsonNode row : rows) {
            for (String f : new String[] {"kernel", "shape", "impl", "threads", "median_ms", "gflops", "gbps"}) {
                assertTrue(row.has(f), "row lacks " + f + ": " + row);
            }
            assertTrue(row.get("median_ms").asDouble() > 0, row.toString());
        }
        assertTrue(r.out().contains("softmax fwd"), r.out());
    }

    @Test
    void benchTargetsChecksItsFamilies() {
        Run bad = run("bench", "targets", "--families", "act,nope");
        assertEquals(2, bad.exit(), bad.out() + bad.err());
        assertTrue(bad.err().contains("bench targets: unknown family 'nope'; families: act, gemm, conv, pool, norm, lstm, train"),
                bad.err());
        Run rounds = run("bench", "targets", "--rounds", "0");
        assertTrue(rounds.err().contains("bench targets: --rounds must be >= 1, got 0"), rounds.err());
    }

    @Test
    void benchTorchOptionsAreCheckedAndAMissingPythonOnlyDropsTheAnchor(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("act.json");
        Run r = run("bench", "act", "--size", "257", "--reps", "1", "--torch", "--torch-python", "/nonexistent/python3",
                "--json", out.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("PyTorch anchor unavailable: cannot run /nonexistent/python3"), r.out());
        assertEquals(13, new ObjectMapper().readTree(out.toFile()).size()); // the usual rows, no anchor row
        for (String family : new String[] {"act", "train", "lstm", "conv", "norm", "pool"}) {
            Run bad = run("bench", family, "--torch", "--rounds", "0");
            assertEquals(2, bad.exit(), family + ": " + bad.out() + bad.err());
            assertTrue(bad.err().contains("bench " + family + ": --rounds must be >= 1, got 0"), bad.err());
            Run badSample = run("bench", family, "--torch", "--sample-ms", "0");
            assertTrue(badSample.err().contains("--sample-ms must be in [1, 60000], got 0.0"), badSample.err());
        }
    }

    @Test
    void benchGemmChecksTimesAndWritesRowsAndChart(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("gemm.json"), png = dir.resolve("gemm.png");
        // Tiny shapes and a short warm-up: a smoke test of the command, no timing is asserted.
        Run r = run("bench", "gemm", "--shapes", "5x7x3,1x9x4", "--anchors", "--reps", "1", "--warmup", "10",
                "--json", out.toString(), "--chart", png.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        JsonNode rows = new ObjectMapper().readTree(out.toFile());
        boolean openblas = r.out().contains("openblas: core");
        assertTrue(openblas || r.out().contains("openblas: anchor unavailable: "), r.out());
        assertTrue(r.out().contains("netlib-vectorblas") , r.out());
        int perShape = 2 + (openblas ? 1 : 0) + (r.out().contains("netlib-vectorblas: anchor unavailable") ? 0 : 1);
        assertEquals(2 * perShape, rows.size(), rows.toString());
        for (JsonNode row : rows) {
            for (String f : new String[] {"kernel", "shape", "impl", "threads", "median_ms", "gflops", "gbps"}) {
                assertTrue(row.has(f), "row lacks " + f + ": " + row);
            }
            assertEquals("sgemm", row.get("kernel").asText());
            assertTrue(row.get("gflops").asDouble() > 0, row.toString());
        }
        assertEquals("5x7x3", rows.get(0).get("shape").asText());
        assertEquals("tensorlane-simd", rows.get(0).get("impl").asText());
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head, "chart is a PNG");
        Run bad = run("bench", "gemm", "--shapes", "4x4");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("bench gemm: shape '4x4' is not MxNxK with positive integers"), bad.err());
    }
}

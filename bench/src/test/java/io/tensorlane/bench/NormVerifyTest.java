package io.tensorlane.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every golden case of batch norm, dropout and the optimizers passes {@code verify} with both implementations
 * (issue 6), and {@code bench norm} runs (a smoke test on tiny sizes; no timing is asserted).
 */
class NormVerifyTest {
    static final List<String> OPS = List.of("batchnorm_train", "batchnorm_train_spatial", "batchnorm_eval",
            "batchnorm_eval_spatial", "dropout", "sgd", "sgd_momentum", "nesterov_momentum", "adagrad", "rmsprop", "adam");

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd"})
    void everyNormAndOptimizerGoldenCasePasses(String impl) throws Exception {
        Path dir = CliTest.corpus();
        long expected = CliTest.casesOf(dir, OPS);
        assertTrue(expected >= 27, "corpus has the issue-6 norm/optimizer cases: " + expected);
        CliTest.Run r = CliTest.run("verify", dir.toString(), "--ops", String.join(",", OPS), "--impl", impl);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("verify: " + expected + " passed, 0 failed"), r.out());
    }

    @Test
    void benchNormChecksAndWritesRows(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("norm.json");
        CliTest.Run r = CliTest.run("bench", "norm", "--shape", "2x3x5x7", "--params", "1001", "--boxes", "37", "--reps", "1", "--json", out.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        JsonNode rows = new ObjectMapper().readTree(out.toFile());
        assertEquals(21, rows.size(), rows.toString()); // copy + 10 rows x {scalar, simd}
        assertEquals("copy", rows.get(0).get("kernel").asText());
        for (String k : new String[] {"batchnorm train fwd", "batchnorm train fwd+bwd", "softmax fwd", "adam update", "sgd_momentum update",
                "box encode", "box decode"}) {
            assertTrue(r.out().contains(k), r.out());
        }
        for (JsonNode row : rows) assertTrue(row.get("median_ms").asDouble() > 0, row.toString());
        assertEquals("2x3x5x7", rows.get(1).get("shape").asText());
    }
}

package io.tensorlane.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every golden case of batch norm, dropout and the optimizers passes {@code verify} with both implementations (issue 6). */
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
}

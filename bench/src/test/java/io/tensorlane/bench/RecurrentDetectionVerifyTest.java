package io.tensorlane.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code verify} over every golden case of the recurrent and detection ops (issue 6), scalar and SIMD. */
class RecurrentDetectionVerifyTest {
    static final List<String> OPS = List.of("rnn_step", "rnn_seq", "lstm_step", "lstm_seq", "iou", "nms");

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd"})
    void everyRecurrentAndDetectionCasePasses(String impl) throws Exception {
        Path dir = CliTest.corpus();
        long expected = CliTest.casesOf(dir, OPS);
        assertEquals(20, expected, "corpus cases of " + OPS);
        CliTest.Run r = CliTest.run("verify", dir.toString(), "--ops", String.join(",", OPS), "--impl", impl);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("verify: " + expected + " passed, 0 failed"), r.out());
    }
}

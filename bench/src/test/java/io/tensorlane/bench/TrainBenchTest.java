package io.tensorlane.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench train}: registered, runs both shipped nets (after its learns-check), rows named as the anchor's, --profile. */
class TrainBenchTest {
    @Test
    void timesBothNetsWithTheAnchorsNamesAndProfilesThem(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("train.json");
        // One timed step per net: a smoke test of the command (the learns-check runs 31 steps first), no timing asserted.
        CliTest.Run r = CliTest.run("bench", "train", "--reps", "1", "--warm", "0", "--profile", "--json", out.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        JsonNode rows = new ObjectMapper().readTree(out.toFile());
        assertEquals(2, rows.size(), rows.toString());
        assertEquals("LeNet-5 step", rows.get(0).get("kernel").asText());
        assertEquals("b64 1x28x28", rows.get(0).get("shape").asText());
        assertEquals("digits-CNN step", rows.get(1).get("kernel").asText());
        assertEquals("b64 1x8x8", rows.get(1).get("shape").asText());
        for (JsonNode row : rows) {
            assertEquals(1, row.get("threads").asInt(), row.toString());
            assertTrue(row.get("median_ms").asDouble() > 0, row.toString());
        }
        // the profile names the shipped nets' layers with their output shapes
        assertTrue(r.out().contains("pool2") && r.out().contains("[64,16,5,5]"), r.out());
        assertTrue(r.out().contains("bn3") && r.out().contains("[64,64,4,4]"), r.out());
        assertTrue(r.out().contains("allocated per step"), r.out());
    }

    @Test
    void isListedExplainsItselfAndRejectsBadOptions() {
        CliTest.Run list = CliTest.run("bench");
        assertTrue(list.err().contains("train"), list.err());
        CliTest.Run help = CliTest.run("bench", "train", "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("LeNet-5 step b64 1x28x28") && help.out().contains("Example"), help.out());
        CliTest.Run bad = CliTest.run("bench", "train", "--threads", "0");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("bench train: --threads must be >= 1, got 0"), bad.err());
        CliTest.Run reps = CliTest.run("bench", "train", "--reps", "0");
        assertEquals(2, reps.exit());
        assertTrue(reps.err().contains("bench train: --reps must be >= 1, got 0"), reps.err());
        CliTest.Run warm = CliTest.run("bench", "train", "--warm", "-1");
        assertEquals(2, warm.exit());
        assertTrue(warm.err().contains("bench train: --warm must be in [0, 600] seconds, got -1.0"), warm.err());
    }
}

package io.tensorlane.bench;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorlane.layers.io.NetModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** demo and example run in-process through the CLI, with few epochs so the suite stays fast; fixed seeds. */
class DemoAndExamplesTest {
    @TempDir
    Path dir;

    static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    @Test
    void demoTrainsSavesReloadsAndIsReproducible() throws Exception {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        CliTest.Run r = CliTest.run("demo", "--epochs", "2", "--threads", "1", "--out", a.toString(), "--json", a.resolve("d.json").toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        for (String f : List.of("training.png", "digits-cnn.tlm", "confusion.png")) assertTrue(Files.size(a.resolve(f)) > 0, f);
        JsonNode j = new ObjectMapper().readTree(a.resolve("d.json").toFile());
        assertEquals(List.of("test_accuracy", "train_seconds", "images_per_second", "device"), iterable(j));
        double acc = j.get("test_accuracy").asDouble();
        assertTrue(acc > 0.6 && acc <= 1, "after 2 epochs far above chance (0.1): " + acc);
        assertTrue(j.get("images_per_second").asDouble() > 0 && j.get("train_seconds").asDouble() > 0);
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "test accuracy %.4f", acc)), r.out());
        // The saved model is a complete net file + parameters + Adam state.
        NetModels.Loaded m = NetModels.load(a.resolve("digits-cnn.tlm"));
        assertEquals("adam", m.optimizer().name());
        assertTrue(m.optimizer().steps() > 0);

        // Same seed, same result: the model files are byte-identical.
        CliTest.Run r2 = CliTest.run("demo", "--epochs", "2", "--threads", "1", "--out", b.toString());
        assertEquals(0, r2.exit(), r2.err());
        assertArrayEquals(Files.readAllBytes(a.resolve("digits-cnn.tlm")), Files.readAllBytes(b.resolve("digits-cnn.tlm")));
    }

    static List<String> iterable(JsonNode j) {
        List<String> l = new java.util.ArrayList<>();
        j.fieldNames().forEachRemaining(l::add);
        return l;
    }

    @Test
    void demoRejectsBadOptions() {
        CliTest.Run r = CliTest.run("demo", "--epochs", "0", "--out", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--epochs must be >= 1"), r.err());
    }

    CliTest.Run example(String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "example";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--out";
        all[args.length + 2] = dir.toString();
        all[args.length + 3] = "--threads";
        all[args.length + 4] = "1";
        return CliTest.run(all);
    }

    @Test
    void linregReachesTestR2() {
        CliTest.Run r = example("linreg", "--epochs", "300");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(lastLine(r.out()).matches("linreg: test R2 \\(normal equation\\) = 0\\.4\\d+ \\(target >= 0\\.4, met\\)"), r.out());
    }

    @Test
    void logregReachesTestAccuracy() {
        CliTest.Run r = example("logreg", "--epochs", "200");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(lastLine(r.out()).startsWith("logreg: test accuracy = "), r.out());
        assertTrue(Files.exists(dir.resolve("logreg-confusion.png")));
    }

    @Test
    void pcaKeeps90PercentWithFewComponents() {
        CliTest.Run r = example("pca");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(lastLine(r.out()).matches("pca: components for 90% variance = (1\\d|2\\d|30)\\.0000 \\(target <= 30\\.0, met\\)"), r.out());
    }

    @Test
    void autoencoderErrorFallsFiveFold() {
        CliTest.Run r = example("autoencoder", "--epochs", "15");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(lastLine(r.out()).startsWith("autoencoder: test error reduction (x) = "), r.out());
    }

    @Test
    void charLstmContinuesHelloWorld() {
        CliTest.Run r = example("char-lstm", "--epochs", "12");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("prompt \"hello\" -> \"hello world hello world hello\""), r.out());
    }

    @Test
    void resnetLearnsTheDigits() {
        // The shipped resnet_small.json: 96.7% after 10 epochs with this seed; exit 0 = target met.
        CliTest.Run r = example("resnet", "--epochs", "10");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(lastLine(r.out()).startsWith("resnet: test accuracy = "), r.out());
    }

    @Test
    void inceptionLearnsTheDigits() {
        // The smallest run that meets the target with this seed (95.3% after 10 epochs); exit 0 = target met.
        CliTest.Run r = example("inception", "--epochs", "10");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(lastLine(r.out()).matches("inception: test accuracy = 0\\.9[5-9]\\d+ \\(target >= 0\\.95, met\\)"), r.out());
    }

    @Test
    void fcnSegmentsTheDisks() {
        // 6 epochs is the smallest run that meets the target with this seed (mean IoU 0.869; 4 epochs give 0.786).
        CliTest.Run r = example("fcn", "--epochs", "6");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(lastLine(r.out()).matches("fcn: test mean IoU = 0\\.(8|9)\\d+ \\(target >= 0\\.8, met\\)"), r.out());
        assertTrue(r.out().contains("test IoU: not-disk 0.9"), r.out());
    }

    @Test
    void unknownOrMissingExampleListsTheKnownOnes() {
        CliTest.Run r = example("nope");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown example 'nope'; examples: linreg, logreg, pca, autoencoder, char-lstm, resnet, inception, fcn"), r.err());
        r = CliTest.run("example");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("name an example: linreg"), r.err());
    }
}

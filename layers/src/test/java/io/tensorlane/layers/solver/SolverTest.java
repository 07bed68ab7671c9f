package io.tensorlane.layers.solver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.layers.data.Dataset;
import io.tensorlane.layers.loss.LossRegistry;
import io.tensorlane.layers.loss.SoftmaxCrossEntropy;
import io.tensorlane.layers.net.Net;
import io.tensorlane.layers.net.NetFile;
import io.tensorlane.layers.optim.LrSchedule;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SolverTest {
    /** Three Gaussian blobs in 2-D: separable, but not by a line through the origin. */
    static Dataset blobs(int n, long seed) {
        Random r = new Random(seed);
        float[][] centres = {{2, 2}, {-2, 1}, {0, -2}};
        float[] f = new float[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(3);
            f[2 * i] = centres[y[i]][0] + (float) r.nextGaussian() * 0.6f;
            f[2 * i + 1] = centres[y[i]][1] + (float) r.nextGaussian() * 0.6f;
        }
        return Dataset.of(f, new long[] {2}, y);
    }

    static final String MLP = """
            {"name": "blobs", "input": [2], "seed": 3, "layers": [
              {"type": "linear", "out": 16}, {"type": "relu"}, {"type": "linear", "out": 3}]}""";

    @Test
    void trainsKeepsTheBestAndWritesTheChart(@TempDir Path dir) throws Exception {
        Net net = NetFile.parse(MLP, "mlp").net();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path png = dir.resolve("out/training.png");
        Solver s = Solver.builder(net, new SoftmaxCrossEntropy(), blobs(300, 1), blobs(100, 2))
                .optimizer("momentum", Map.of("lr", 0.05, "momentum", 0.9)).schedule(LrSchedule.step(2, 0.5f))
                .epochs(4).batchSize(20).seed(7).progress(new PrintStream(log, true, StandardCharsets.UTF_8)).terminal(false)
                .chart(png).build();
        double before = s.checkAccuracy(blobs(100, 2), 0, 64);
        Solver.History h = s.train();

        assertEquals(4 * 15, h.loss().size());
        double first = h.loss().subList(0, 5).stream().mapToDouble(d -> d).average().orElseThrow();
        double last = h.loss().subList(55, 60).stream().mapToDouble(d -> d).average().orElseThrow();
        assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);
        assertEquals(4, h.valAccuracy().size());
        assertTrue(h.bestValMetric() > 0.9 && h.bestValMetric() > before, "best " + h.bestValMetric() + " before " + before);
        assertEquals(h.valAccuracy().stream().mapToDouble(d -> d).max().orElseThrow(), h.bestValMetric());
        // The restored parameters are the best epoch's: validation accuracy now equals the best.
        assertEquals(h.bestValMetric(), s.checkAccuracy(blobs(100, 2), 0, 64));
        assertEquals(0.05f * 0.5f, s.optimizer().learningRate(), 1e-7f); // epoch index 3 of step(2, 0.5): one halving

        byte[] head = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(head, 4));
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("epoch 1/4 batch 15/15 loss "), text);
        assertTrue(text.contains("samples/s ETA "), text);
        assertTrue(text.contains("epoch 4/4 done: loss "), text);
        assertTrue(!text.contains("\r"), "plain lines when not a terminal");
    }

    @Test
    void keepsBestParametersWhenLaterEpochsGetWorse() {
        Net net = NetFile.parse(MLP, "mlp").net();
        // A learning rate far too high: training diverges after a good start, the best epoch is kept.
        Solver s = Solver.builder(net, new SoftmaxCrossEntropy(), blobs(200, 1), blobs(100, 2))
                .optimizer("sgd", Map.of("lr", 0.5)).schedule((base, epoch) -> epoch == 0 ? base : base * 40f)
                .epochs(3).batchSize(20).seed(1).progress(null).build();
        Solver.History h = s.train();
        assertEquals(h.bestValMetric(), s.checkAccuracy(blobs(100, 2), 0, 50));
        assertEquals(h.valAccuracy().stream().mapToDouble(d -> d).max().orElseThrow(), h.bestValMetric());
    }

    @Test
    void regressionUsesValidationLoss() {
        Random r = new Random(4);
        float[] f = new float[400 * 4];
        for (int i = 0; i < f.length; i += 4) {
            float a = (float) r.nextGaussian(), b = (float) r.nextGaussian();
            f[i] = a; f[i + 1] = b; f[i + 2] = a + b; f[i + 3] = a - b; // rank 2: a 2-unit bottleneck can learn it
        }
        Dataset data = Dataset.autoencoder(f, new long[] {4});
        Net net = NetFile.parse("""
                {"input": [4], "seed": 2, "layers": [{"type": "linear", "out": 2}, {"type": "linear", "out": 4}]}""", "ae").net();
        Solver s = Solver.builder(net, LossRegistry.create("mse"), data.slice(0, 300), data.slice(300, 400))
                .optimizer("adam", Map.of("lr", 0.02)).epochs(6).batchSize(25).seed(3).progress(null).build();
        double before = s.evaluateLoss(data.slice(300, 400), 0, 100);
        Solver.History h = s.train();
        assertTrue(h.bestValMetric() < 0.2 * before, before + " -> " + h.bestValMetric());
        assertEquals(6, h.valLoss().size());
    }

    @Test
    void badOptionsFailAtBuild() {
        Net net = NetFile.parse(MLP, "mlp").net();
        var b = Solver.builder(net, new SoftmaxCrossEntropy(), blobs(10, 1), blobs(10, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> b.optimizer("sgd", Map.of("learning_rate", 0.1)));
        assertEquals("optimizer sgd: unknown option \"learning_rate\" (valid: clip_norm, lr, weight_decay)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.batchSize(0));
        var reg = assertThrows(IllegalArgumentException.class,
                () -> Solver.builder(net, LossRegistry.create("mse"), blobs(10, 1), blobs(10, 2)).build());
        assertEquals("solver: mse needs data sets with float targets, got class labels", reg.getMessage());
    }
}

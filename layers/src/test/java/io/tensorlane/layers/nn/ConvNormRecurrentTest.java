package io.tensorlane.layers.nn;

import static io.tensorlane.layers.nn.LayerGradientTest.check;
import static io.tensorlane.layers.nn.LayerGradientTest.input;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.ConvTranspose2dDesc;
import io.tensorlane.layers.GradientCheck;
import io.tensorlane.layers.Init;
import io.tensorlane.layers.Layer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.LayerRegistry;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Gradient checks and behaviour of the convolution, normalization, dropout and recurrent layers. */
class ConvNormRecurrentTest {
    static Layer build(String type, Map<String, ?> options, long... inShape) {
        return LayerRegistry.create(type, options, inShape, new Random(3));
    }

    static IllegalArgumentException buildError(String type, Map<String, ?> options, long... inShape) {
        return assertThrows(IllegalArgumentException.class,
                () -> LayerRegistry.create(new LayerConfig("$.layers[1]", type, options), List.of(inShape), new Random(3)));
    }

    static void nonzeroBias(io.tensorlane.layers.Param b) {
        for (int i = 0; i < b.numel(); i++) b.value().setFloat(0.05f * (i % 7) - 0.1f, i);
    }

    @Test
    void conv2dStridePadGroupsAndDilation() {
        Conv2d c = new Conv2d(4, 6, Conv2dDesc.of(3).stride(2).pad(1).groups(2), true, Init.HE_NORMAL, new Random(1));
        nonzeroBias(c.bias());
        assertArrayEquals(new long[] {6, 2, 3, 3}, c.weight().value().shape());
        assertArrayEquals(new long[] {2, 6, 3, 3}, c.outputShape(new long[] {2, 4, 5, 5}));
        check(c, input(1, 2, 4, 5, 5));
        Conv2d d = new Conv2d(3, 2, Conv2dDesc.of(2, 3).dilation(2, 1).pad(1, 0), false, Init.XAVIER_NORMAL, new Random(2));
        assertEquals(1, d.params().size());
        check(d, input(2, 1, 3, 6, 5));
    }

    @Test
    void conv2dMatchesAHandComputedSum() {
        Conv2d c = new Conv2d(1, 1, Conv2dDesc.of(2), true, Init.ZEROS, new Random(0));
        float[] w = {1, 2, 3, 4};
        for (int i = 0; i < 4; i++) c.weight().value().setFloat(w[i], 0, 0, i / 2, i % 2);
        c.bias().value().setFloat(0.5f, 0);
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        // top-left window 1,2,4,5: 1 + 4 + 12 + 20 = 37 (+0.5)
        assertArrayEquals(new float[] {37.5f, 47.5f, 67.5f, 77.5f}, c.forward(x, Mode.EVAL).toFloatArray());
    }

    @Test
    void conv2dOptionsAndErrors() {
        Layer l = build("conv2d", Map.of("out", 8, "kernel", 3, "pad", 1), 1, 3, 8, 8);
        assertArrayEquals(new long[] {8, 3, 3, 3}, ((Conv2d) l).weight().value().shape());
        assertArrayEquals(new long[] {4, 8, 8, 8}, l.outputShape(new long[] {4, 3, 8, 8}));
        assertEquals(Map.of("out", 8, "kernel", 3, "pad", 1), l.config());
        Layer r = build("conv2d", Map.of("out", 4, "kernel", List.of(1, 3), "stride", List.of(1, 2), "groups", 2, "bias", false), 1, 2, 4, 9);
        assertArrayEquals(new long[] {1, 4, 4, 4}, r.outputShape(new long[] {1, 2, 4, 9}));
        assertEquals("$.layers[1].kernel: required option of conv2d is missing",
                buildError("conv2d", Map.of("out", 8), 1, 3, 8, 8).getMessage());
        assertEquals("$.layers[1].stride: must be >= 1, got 0",
                buildError("conv2d", Map.of("out", 8, "kernel", 3, "stride", 0), 1, 3, 8, 8).getMessage());
        assertEquals("$.layers[1].kernel: expected an integer or a list of 2, got a list of 3",
                buildError("conv2d", Map.of("out", 8, "kernel", List.of(1, 2, 3)), 1, 3, 8, 8).getMessage());
        assertEquals("$.layers[1] (conv2d): input must be (N, C, H, W), got [1, 64]",
                buildError("conv2d", Map.of("out", 8, "kernel", 3), 1, 64).getMessage());
        assertEquals("$.layers[1] (conv2d): conv2d: groups=2 must divide in=3 and out=8",
                buildError("conv2d", Map.of("out", 8, "kernel", 3, "groups", 2), 1, 3, 8, 8).getMessage());
        Layer unpadded = build("conv2d", Map.of("out", 8, "kernel", 3), 1, 3, 8, 8);
        var small = assertThrows(IllegalArgumentException.class, () -> unpadded.outputShape(new long[] {1, 3, 2, 2}));
        assertTrue(small.getMessage().startsWith("conv2d: "), small.getMessage());
        var ch = assertThrows(IllegalArgumentException.class, () -> l.forward(input(1, 1, 2, 8, 8), Mode.TRAIN));
        assertTrue(ch.getMessage().contains("x has 2 channels but w expects 3"), ch.getMessage());
    }

    @Test
    void convTranspose2dWithOutputPadding() {
        ConvTranspose2d c = new ConvTranspose2d(4, 6, ConvTranspose2dDesc.of(3).stride(2).pad(1).outputPadding(1).groups(2), true,
                Init.HE_NORMAL, new Random(4));
        nonzeroBias(c.bias());
        assertArrayEquals(new long[] {4, 3, 3, 3}, c.weight().value().shape());
        // (3 - 1) * 2 - 2 + 2 + 1 + 1 = 6: the usual exact 2x upsampling
        assertArrayEquals(new long[] {2, 6, 6, 6}, c.outputShape(new long[] {2, 4, 3, 3}));
        check(c, input(5, 2, 4, 3, 3));
        Layer l = build("conv_transpose2d", Map.of("out", 3, "kernel", 2, "stride", 2), 1, 5, 4, 4);
        assertArrayEquals(new long[] {1, 3, 8, 8}, l.outputShape(new long[] {1, 5, 4, 4}));
        assertEquals(Map.of("out", 3, "kernel", 2, "stride", 2), l.config());
        assertEquals("$.layers[1].output_padding: must be smaller than the stride",
                buildError("conv_transpose2d", Map.of("out", 3, "kernel", 2, "output_padding", 1), 1, 5, 4, 4).getMessage());
    }

    @Test
    void batchNorm2dTrainGradientsAndRunningStats() {
        BatchNorm2d bn = new BatchNorm2d(3);
        for (int i = 0; i < 3; i++) {
            bn.gamma().value().setFloat(1f + 0.3f * i, i);
            bn.beta().value().setFloat(0.1f * i, i);
        }
        check(bn, input(6, 2, 3, 2, 3));

        BatchNorm2d fresh = new BatchNorm2d(2, 0.8f, 1e-5f);
        Tensor x = input(7, 3, 2, 2, 2);
        Tensor y = fresh.forward(x, Mode.TRAIN);
        for (int ch = 0; ch < 2; ch++) {
            double mean = 0, sq = 0;
            for (int n = 0; n < 3; n++) for (int i = 0; i < 4; i++) mean += x.getFloat(n, ch, i / 2, i % 2);
            mean /= 12;
            for (int n = 0; n < 3; n++) for (int i = 0; i < 4; i++) sq += Math.pow(x.getFloat(n, ch, i / 2, i % 2) - mean, 2);
            double var = sq / 12;
            assertEquals(0.2 * mean, fresh.runningMean().getFloat(ch), 1e-6);
            assertEquals(0.8 + 0.2 * var, fresh.runningVar().getFloat(ch), 1e-6);
            assertEquals((x.getFloat(1, ch, 1, 0) - mean) / Math.sqrt(var + 1e-5), y.getFloat(1, ch, 1, 0), 1e-4);
        }
        assertEquals(List.of("running_mean", "running_var"), List.copyOf(fresh.state().keySet()));
        // EVAL uses (and does not change) the running statistics.
        float rm = fresh.runningMean().getFloat(1), rv = fresh.runningVar().getFloat(1);
        Tensor e = fresh.forward(x, Mode.EVAL);
        assertEquals((x.getFloat(2, 1, 0, 1) - rm) / Math.sqrt(rv + 1e-5), e.getFloat(2, 1, 0, 1), 1e-5);
        assertEquals(rm, fresh.runningMean().getFloat(1));
    }

    @Test
    void batchNorm1dEvalGradientsAndOptions() {
        BatchNorm1d bn = new BatchNorm1d(5);
        for (int i = 0; i < 3; i++) bn.forward(input(10 + i, 4, 5), Mode.TRAIN);
        var rs = GradientCheck.layer(bn, List.of(input(9, 4, 5)), Mode.EVAL, 3, GradientCheck.DEFAULT_STEP);
        for (var r : rs) r.requireBelow(LayerGradientTest.TOL);
        check(new BatchNorm1d(5), input(8, 6, 5));
        Layer l = build("batch_norm2d", Map.of("momentum", 0.5, "eps", 1e-3), 1, 4, 3, 3);
        assertEquals(Map.of("momentum", 0.5f, "eps", 1e-3f), l.config());
        assertEquals("$.layers[1].momentum: must be in [0, 1] (the fraction of the running value kept), got 1.5",
                buildError("batch_norm1d", Map.of("momentum", 1.5), 1, 4).getMessage());
        assertEquals("$.layers[1].eps: must be > 0, got 0.0", buildError("batch_norm1d", Map.of("eps", 0), 1, 4).getMessage());
        assertEquals("$.layers[1] (batch_norm1d): input must be (N, D), got [1, 4, 3, 3]",
                buildError("batch_norm1d", Map.of(), 1, 4, 3, 3).getMessage());
        var e = assertThrows(IllegalArgumentException.class, () -> bn.forward(input(1, 2, 4), Mode.TRAIN));
        assertEquals("batch_norm1d: input must be (N, D) with 5 features, got [2, 4]", e.getMessage());
    }

    @Test
    void dropoutMasksInTrainAndIsIdentityInEval() {
        Dropout d = new Dropout(0.25f, 11);
        Tensor x = input(1, 40, 50);
        assertSame(x, d.forward(x, Mode.EVAL));
        Tensor dOut = input(2, 40, 50);
        assertSame(dOut, d.backward(dOut));

        float[] y1 = d.forward(x, Mode.TRAIN).toFloatArray();
        float[] g1 = d.backward(dOut).toFloatArray();
        float[] xs = x.toFloatArray(), ds = dOut.toFloatArray();
        int dropped = 0;
        for (int i = 0; i < y1.length; i++) {
            if (y1[i] == 0f) {
                dropped++;
                assertEquals(0f, Math.abs(g1[i]));
            } else {
                assertEquals(xs[i] / 0.75f, y1[i], 1e-6f);
                assertEquals(ds[i] / 0.75f, g1[i], 1e-6f);
            }
        }
        assertEquals(0.25, dropped / 2000.0, 0.04);
        float[] y2 = d.forward(x, Mode.TRAIN).toFloatArray();
        assertNotEquals(Arrays.toString(y1), Arrays.toString(y2), "a new mask each step");
        // Same seed, same sequence of masks.
        Dropout again = new Dropout(0.25f, 11);
        assertArrayEquals(y1, again.forward(x, Mode.TRAIN).toFloatArray());
        assertArrayEquals(y2, again.forward(x, Mode.TRAIN).toFloatArray());

        check(new Dropout(0.4f, 5).repeatMask(true), input(3, 3, 8));
        assertEquals(Map.of("p", 0.5f), build("dropout", Map.of(), 1, 4).config());
        assertEquals("$.layers[1].p: the drop probability must be in [0, 1), got 1.0",
                buildError("dropout", Map.of("p", 1), 1, 4).getMessage());
    }

    @Test
    void rnnAndLstmOverSequences() {
        RNN rnn = new RNN(4, 5, true, new Random(5));
        nonzeroBias(rnn.b());
        assertArrayEquals(new long[] {2, 3, 5}, rnn.outputShape(new long[] {2, 3, 4}));
        check(rnn, input(1, 2, 3, 4));
        RNN last = new RNN(4, 5, false, new Random(6));
        assertArrayEquals(new long[] {2, 5}, last.outputShape(new long[] {2, 3, 4}));
        check(last, input(2, 2, 3, 4));

        LSTM lstm = new LSTM(3, 4, true, new Random(7));
        assertEquals(1f, lstm.b().value().getFloat(4), "forget-gate bias starts at 1");
        assertArrayEquals(new long[] {3, 16}, lstm.wx().value().shape());
        check(lstm, input(3, 2, 4, 3));
        LSTM lastL = (LSTM) build("lstm", Map.of("hidden", 4, "return_sequences", false), 1, 4, 3);
        assertEquals(Map.of("hidden", 4, "return_sequences", false), lastL.config());
        check(lastL, input(4, 2, 4, 3));
        // The last-step output equals the last step of the full sequence output.
        LSTM full = new LSTM(3, 4, true, new Random(8)), only = new LSTM(3, 4, false, new Random(8));
        Tensor x = input(5, 2, 4, 3);
        Tensor h = full.forward(x, Mode.EVAL), hl = only.forward(x, Mode.EVAL);
        for (int n = 0; n < 2; n++) for (int j = 0; j < 4; j++) assertEquals(h.getFloat(n, 3, j), hl.getFloat(n, j));

        assertEquals("$.layers[1] (rnn): input must be a sequence (N, T, D), got [1, 4]",
                buildError("rnn", Map.of("hidden", 3), 1, 4).getMessage());
        assertEquals("$.layers[1].hidden: required option of lstm is missing", buildError("lstm", Map.of(), 1, 4, 3).getMessage());
        var e = assertThrows(IllegalArgumentException.class, () -> rnn.forward(input(1, 2, 3, 5), Mode.TRAIN));
        assertEquals("rnn: input must be (N, T, 4), got [2, 3, 5]", e.getMessage());
    }

    @Test
    void mulOfTwoAndThreeAndASquareInAGraph() {
        check(new Mul(), input(1, 2, 5), input(2, 2, 5));
        check(new Mul(), input(3, 3, 4), input(4, 3, 4), input(5, 3, 4));
        Tensor a = Tensor.of(new float[] {2, -3}, 1, 2), b = Tensor.of(new float[] {4, 0.5f}, 1, 2);
        assertArrayEquals(new float[] {8, -1.5f}, new Mul().forward(List.of(a, b), Mode.EVAL).toFloatArray());
        // h * h through a graph: d/dh = 2h, the two input gradients summed at the fan-out.
        var g = io.tensorlane.layers.net.Graph.builder().add("sq", new Mul(), "input", "input").build();
        g.forward(a, Mode.TRAIN);
        assertArrayEquals(new float[] {4, -6}, g.backward(Tensor.of(new float[] {1, 1}, 1, 2)).toFloatArray());
        var e = assertThrows(IllegalArgumentException.class, () -> new Mul().forward(List.of(a, input(1, 2, 2)), Mode.TRAIN));
        assertEquals("mul: input 1 has shape [2, 2] but input 0 has [1, 2]", e.getMessage());
    }

    @Test
    void withoutInputGradientTheFirstLayerSkipsDxButKeepsParamGrads() {
        Tensor x = input(1, 2, 2, 5, 5), g = input(2, 2, 6);
        float[][] grads = new float[2][];
        Tensor[] dx = new Tensor[2];
        for (int k = 0; k < 2; k++) {
            var net = new io.tensorlane.layers.net.Sequential(new Conv2d(2, 3, 3, 1, new Random(1)), new ReLU(), new Linear(75, 6, new Random(2)));
            net.setInputGradient(k == 0);
            net.zeroGrad();
            net.forward(x, Mode.TRAIN);
            dx[k] = net.backward(g);
            grads[k] = net.params().getFirst().grad().toFloatArray();
        }
        assertArrayEquals(new long[] {2, 2, 5, 5}, dx[0].shape());
        assertEquals(null, dx[1]);
        assertArrayEquals(grads[0], grads[1]);
    }

    @Test
    void buffersAreReusedForTheSameShape() {
        Conv2d c = new Conv2d(2, 3, 3, 1, new Random(1));
        Tensor y1 = c.forward(input(1, 2, 2, 5, 5), Mode.TRAIN);
        Tensor d1 = c.backward(input(2, 2, 3, 5, 5));
        Tensor y2 = c.forward(input(3, 2, 2, 5, 5), Mode.TRAIN);
        Tensor d2 = c.backward(input(4, 2, 3, 5, 5));
        assertSame(y1, y2);
        assertSame(d1, d2);
        Tensor y3 = c.forward(input(5, 1, 2, 5, 5), Mode.TRAIN);
        assertArrayEquals(new long[] {1, 3, 5, 5}, y3.shape());
        // Linear's scratch-then-accumulate: two backwards give twice the gradient.
        Linear l = new Linear(3, 2, new Random(2));
        Tensor x = input(6, 4, 3), g = input(7, 4, 2);
        l.forward(x, Mode.TRAIN);
        l.backward(g);
        float[] once = l.bias().grad().toFloatArray();
        l.forward(x, Mode.TRAIN);
        l.backward(g);
        for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], l.bias().grad().getFloat(i), 1e-5f);
    }
}

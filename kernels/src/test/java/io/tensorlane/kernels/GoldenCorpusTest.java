package io.tensorlane.kernels;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.stream.Stream;

import static io.tensorlane.kernels.FloatAsserts.assertClose;

/**
 * Both implementations against the PyTorch golden cases (src/test/resources/reference), with each
 * case's own tolerance rule |a - e| &lt;= atol + rtol * |e|. Data sits at an odd offset inside a
 * larger off-heap segment; sigmoid/tanh backward take the implementation's own forward output.
 */
class GoldenCorpusTest {
    static Stream<String> cases() {
        return Stream.of("relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax",
                "softmax_loss", "svm_loss", "mse_loss", "sigmoid_bce_loss").flatMap(op -> GoldenCase.filesOf(op).stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void scalarMatchesGolden(String file) {
        verify(Kernels.get(Impl.SCALAR), GoldenCase.load(file));
    }

    @Tag("simd")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void simdMatchesGolden(String file) {
        verify(Kernels.get(Impl.SIMD), GoldenCase.load(file));
    }

    private static final long OFF = 3;

    private static void verify(KernelSet k, GoldenCase c) {
        String op = c.root().get("op").asText();
        try (Arena arena = Arena.ofConfined()) {
            switch (op) {
                case "relu", "leaky_relu", "sigmoid", "tanh" -> activation(k, c, op, arena);
                case "softmax", "log_softmax" -> softmax(k, c, op, arena);
                case "softmax_loss", "svm_loss" -> classification(k, c, op, arena);
                case "mse_loss" -> mse(k, c, arena);
                case "sigmoid_bce_loss" -> bce(k, c, arena);
                default -> throw new IllegalStateException("unexpected op " + op);
            }
        }
    }

    private static GuardedBuffer in(Arena arena, float[] data) {
        return GuardedBuffer.floats(GuardedBuffer.Memory.NATIVE, arena, OFF, data);
    }

    private static GuardedBuffer out(Arena arena, long n) {
        return GuardedBuffer.floats(GuardedBuffer.Memory.NATIVE, arena, OFF, n);
    }

    private static void activation(KernelSet k, GoldenCase c, String op, Arena arena) {
        float[] x = c.floats("inputs", "x");
        int n = x.length;
        GuardedBuffer xb = in(arena, x);
        GuardedBuffer db = in(arena, c.floats("inputs", "dout"));
        GuardedBuffer y = out(arena, n);
        GuardedBuffer dx = out(arena, n);
        ActivationKernels a = k.activations();
        switch (op) {
            case "relu" -> {
                a.relu(n, xb.seg, OFF, y.seg, OFF);
                a.reluBackward(n, xb.seg, OFF, db.seg, OFF, dx.seg, OFF);
            }
            case "leaky_relu" -> {
                float slope = (float) c.param("negative_slope").asDouble();
                a.leakyRelu(n, slope, xb.seg, OFF, y.seg, OFF);
                a.leakyReluBackward(n, slope, xb.seg, OFF, db.seg, OFF, dx.seg, OFF);
            }
            case "sigmoid" -> {
                a.sigmoid(n, xb.seg, OFF, y.seg, OFF);
                a.sigmoidBackward(n, y.seg, OFF, db.seg, OFF, dx.seg, OFF);
            }
            default -> {
                a.tanh(n, xb.seg, OFF, y.seg, OFF);
                a.tanhBackward(n, y.seg, OFF, db.seg, OFF, dx.seg, OFF);
            }
        }
        assertClose(c + " out", c.floats("outputs", "out"), y.toFloats(), c.rtol(), c.atol());
        assertClose(c + " dx", c.floats("grads", "dx"), dx.toFloats(), c.rtol(), c.atol());
        y.assertGuardsIntact(c + " out");
        dx.assertGuardsIntact(c + " dx");
    }

    private static void softmax(KernelSet k, GoldenCase c, String op, Arena arena) {
        float[] x = c.floats("inputs", "x");
        long[] shape = c.shape("inputs", "x");
        long cols = shape[shape.length - 1];
        long rows = x.length / cols;
        GuardedBuffer xb = in(arena, x);
        GuardedBuffer db = in(arena, c.floats("inputs", "dout"));
        GuardedBuffer y = out(arena, x.length);
        GuardedBuffer dx = out(arena, x.length);
        if (op.equals("softmax")) {
            k.softmax().softmax(rows, cols, xb.seg, OFF, y.seg, OFF);
            k.softmax().softmaxBackward(rows, cols, y.seg, OFF, db.seg, OFF, dx.seg, OFF);
        } else {
            k.softmax().logSoftmax(rows, cols, xb.seg, OFF, y.seg, OFF);
            k.softmax().logSoftmaxBackward(rows, cols, y.seg, OFF, db.seg, OFF, dx.seg, OFF);
        }
        assertClose(c + " out", c.floats("outputs", "out"), y.toFloats(), c.rtol(), c.atol());
        assertClose(c + " dx", c.floats("grads", "dx"), dx.toFloats(), c.rtol(), c.atol());
        y.assertGuardsIntact(c + " out");
        dx.assertGuardsIntact(c + " dx");
    }

    private static void classification(KernelSet k, GoldenCase c, String op, Arena arena) {
        float[] x = c.floats("inputs", "x");
        long[] shape = c.shape("inputs", "x");
        long n = shape[0];
        long cls = shape[1];
        GuardedBuffer xb = in(arena, x);
        GuardedBuffer labels = GuardedBuffer.ints(GuardedBuffer.Memory.NATIVE, arena, OFF, c.ints("inputs", "y"));
        GuardedBuffer dx = out(arena, x.length);
        double loss = op.equals("softmax_loss")
                ? k.losses().softmaxCrossEntropy(n, cls, xb.seg, OFF, labels.seg, OFF, dx.seg, OFF)
                : k.losses().svmHinge(n, cls, (float) c.param("margin").asDouble(), xb.seg, OFF, labels.seg, OFF, dx.seg, OFF);
        assertLoss(c, loss);
        assertClose(c + " dx", c.floats("grads", "dx"), dx.toFloats(), c.rtol(), c.atol());
        dx.assertGuardsIntact(c + " dx");
        // without a gradient segment the loss is the same and nothing is written
        double lossOnly = op.equals("softmax_loss")
                ? k.losses().softmaxCrossEntropy(n, cls, xb.seg, OFF, labels.seg, OFF, null, 0)
                : k.losses().svmHinge(n, cls, (float) c.param("margin").asDouble(), xb.seg, OFF, labels.seg, OFF, null, 0);
        assertClose(c + " loss without dx", loss, lossOnly, 0, 0);
    }

    private static void mse(KernelSet k, GoldenCase c, Arena arena) {
        float[] p = c.floats("inputs", "pred");
        GuardedBuffer pb = in(arena, p);
        GuardedBuffer tb = in(arena, c.floats("inputs", "target"));
        GuardedBuffer d = out(arena, p.length);
        MseReduction red = MseReduction.parse(c.param("reduction").asText());
        long batch = c.param("N").asLong();
        double loss = k.losses().mse(red, p.length, batch, pb.seg, OFF, tb.seg, OFF, d.seg, OFF);
        assertLoss(c, loss);
        assertClose(c + " dpred", c.floats("grads", "dpred"), d.toFloats(), c.rtol(), c.atol());
        d.assertGuardsIntact(c + " dpred");
    }

    private static void bce(KernelSet k, GoldenCase c, Arena arena) {
        float[] x = c.floats("inputs", "x");
        GuardedBuffer xb = in(arena, x);
        GuardedBuffer tb = in(arena, c.floats("inputs", "target"));
        GuardedBuffer d = out(arena, x.length);
        double loss = k.losses().sigmoidBce(x.length, xb.seg, OFF, tb.seg, OFF, d.seg, OFF);
        assertLoss(c, loss);
        assertClose(c + " dx", c.floats("grads", "dx"), d.toFloats(), c.rtol(), c.atol());
        d.assertGuardsIntact(c + " dx");
    }

    private static void assertLoss(GoldenCase c, double loss) {
        float expected = c.floats("outputs", "loss")[0];
        assertClose(c + " loss", expected, (float) loss, c.rtol(), c.atol());
    }

}

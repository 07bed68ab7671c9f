package io.tensorlane.kernels;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;

import static io.tensorlane.kernels.FloatAsserts.assertClose;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Batch norm, dropout and the optimizers of both implementations against the PyTorch golden cases
 * (src/test/resources/reference), each case with its own tolerance. Data sits at an odd offset inside guarded
 * off-heap buffers; the batch-norm channels are split in two ranges to exercise the range contract.
 */
class NormGoldenTest {
    static Stream<String> cases() {
        return Stream.of("batchnorm_train", "batchnorm_train_spatial", "batchnorm_eval", "batchnorm_eval_spatial",
                "dropout", "sgd", "sgd_momentum", "nesterov_momentum", "adagrad", "rmsprop", "adam")
                .flatMap(op -> GoldenCase.filesOf(op).stream());
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

    private static final long OFF = 5;

    private static void verify(KernelSet k, GoldenCase c) {
        String op = c.root().get("op").asText();
        try (Arena arena = Arena.ofConfined()) {
            if (op.startsWith("batchnorm")) batchNorm(k, c, op.startsWith("batchnorm_train"), arena);
            else if (op.equals("dropout")) dropout(k, c, arena);
            else optimizer(k, c, op, arena);
        }
    }

    private static GuardedBuffer in(Arena arena, float[] data) {
        return GuardedBuffer.floats(GuardedBuffer.Memory.NATIVE, arena, OFF, data);
    }

    private static GuardedBuffer out(Arena arena, long n) {
        return GuardedBuffer.floats(GuardedBuffer.Memory.NATIVE, arena, OFF, n);
    }

    private static void check(GoldenCase c, String section, String name, GuardedBuffer actual) {
        assertClose(c + " " + name, c.floats(section, name), actual.toFloats(), c.rtol(), c.atol());
        actual.assertGuardsIntact(c + " " + name);
    }

    private static void batchNorm(KernelSet k, GoldenCase c, boolean training, Arena arena) {
        long[] sh = c.shape("inputs", "x");
        long outer = sh[0], ch = sh[1], inner = 1;
        for (int i = 2; i < sh.length; i++) inner *= sh[i];
        float eps = (float) c.param("eps").asDouble(), momentum = (float) c.param("momentum").asDouble();
        long n = outer * ch * inner;
        GuardedBuffer x = in(arena, c.floats("inputs", "x")), dout = in(arena, c.floats("inputs", "dout"));
        GuardedBuffer gamma = in(arena, c.floats("inputs", "gamma")), beta = in(arena, c.floats("inputs", "beta"));
        GuardedBuffer rm = in(arena, c.floats("inputs", "running_mean")), rv = in(arena, c.floats("inputs", "running_var"));
        GuardedBuffer y = out(arena, n), dx = out(arena, n), mean = out(arena, ch), var = out(arena, ch);
        GuardedBuffer dg = out(arena, ch), db = out(arena, ch);
        NormKernels nk = k.norm();
        long split = ch / 2;
        GuardedBuffer sm = training ? mean : rm, sv = training ? var : rv;
        for (long[] r : new long[][] {{0, split}, {split, ch}}) {
            if (training) {
                nk.batchNormTrainForward(outer, ch, inner, r[0], r[1], x.seg, OFF, gamma.seg, OFF, beta.seg, OFF, eps, momentum,
                        rm.seg, OFF, rv.seg, OFF, y.seg, OFF, mean.seg, OFF, var.seg, OFF);
            } else {
                nk.batchNormEvalForward(outer, ch, inner, r[0], r[1], x.seg, OFF, gamma.seg, OFF, beta.seg, OFF,
                        rm.seg, OFF, rv.seg, OFF, eps, y.seg, OFF);
            }
        }
        for (long[] r : new long[][] {{0, split}, {split, ch}}) {
            nk.batchNormBackward(training, outer, ch, inner, r[0], r[1], x.seg, OFF, dout.seg, OFF, gamma.seg, OFF,
                    sm.seg, OFF, sv.seg, OFF, eps, dx.seg, OFF, dg.seg, OFF, db.seg, OFF);
        }
        check(c, "outputs", "out", y);
        if (training) {
            assertClose(c + " batch_mean", c.floats("outputs", "batch_mean"), mean.toFloats(), c.rtol(), c.atol());
            assertClose(c + " batch_var", c.floats("outputs", "batch_var"), var.toFloats(), c.rtol(), c.atol());
            assertClose(c + " running_mean", c.floats("outputs", "running_mean"), rm.toFloats(), c.rtol(), c.atol());
            assertClose(c + " running_var", c.floats("outputs", "running_var"), rv.toFloats(), c.rtol(), c.atol());
            rm.assertGuardsIntact(c + " running_mean");
        }
        check(c, "grads", "dx", dx);
        check(c, "grads", "dgamma", dg);
        check(c, "grads", "dbeta", db);
    }

    private static void dropout(KernelSet k, GoldenCase c, Arena arena) {
        float[] x = c.floats("inputs", "x");
        float p = (float) c.param("p").asDouble();
        GuardedBuffer xb = in(arena, x), mask = in(arena, c.floats("inputs", "mask")), d = in(arena, c.floats("inputs", "dout"));
        GuardedBuffer y = out(arena, x.length), dx = out(arena, x.length);
        k.norm().dropoutApply(x.length, Dropout.scale(p), xb.seg, OFF, mask.seg, OFF, y.seg, OFF);
        k.norm().dropoutApply(x.length, Dropout.scale(p), d.seg, OFF, mask.seg, OFF, dx.seg, OFF);
        check(c, "outputs", "out", y);
        check(c, "grads", "dx", dx);
    }

    private static void optimizer(KernelSet k, GoldenCase c, String op, Arena arena) {
        float[] w0 = c.floats("inputs", "w");
        float[] grads = c.floats("inputs", "grads");
        int d = w0.length, steps = grads.length / d;
        GuardedBuffer w = in(arena, w0), s1 = in(arena, new float[d]), s2 = in(arena, new float[d]);
        GuardedBuffer g = out(arena, d);
        OptimizerKernels o = k.optim();
        float lr = (float) c.param("lr").asDouble();
        float[] trace = new float[steps * d];
        for (int t = 0; t < steps; t++) {
            MemorySegment.copy(grads, t * d, g.seg, JAVA_FLOAT, OFF * Float.BYTES, d);
            switch (op) {
                case "sgd" -> o.sgd(d, lr, 0f, w.seg, OFF, g.seg, OFF);
                case "sgd_momentum", "nesterov_momentum" -> o.momentum(d, op.startsWith("nesterov"), lr,
                        (float) c.param("momentum").asDouble(), 0f, w.seg, OFF, g.seg, OFF, s1.seg, OFF);
                case "adagrad" -> o.adagrad(d, lr, (float) c.param("eps").asDouble(), 0f, w.seg, OFF, g.seg, OFF, s1.seg, OFF);
                case "rmsprop" -> o.rmsprop(d, lr, (float) c.param("decay_rate").asDouble(), (float) c.param("eps").asDouble(),
                        0f, w.seg, OFF, g.seg, OFF, s1.seg, OFF);
                case "adam" -> {
                    float b1 = (float) c.param("beta1").asDouble(), b2 = (float) c.param("beta2").asDouble();
                    o.adam(d, lr, b1, b2, (float) c.param("eps").asDouble(), Optimizers.biasCorrection(b1, t + 1),
                            Optimizers.biasCorrection(b2, t + 1), 0f, w.seg, OFF, g.seg, OFF, s1.seg, OFF, s2.seg, OFF);
                }
                default -> throw new IllegalStateException("unexpected op " + op);
            }
            System.arraycopy(w.toFloats(), 0, trace, t * d, d);
        }
        assertClose(c + " w_steps", c.floats("outputs", "w_steps"), trace, c.rtol(), c.atol());
        w.assertGuardsIntact(c + " w");
        String first = op.equals("adam") ? "m_final" : op.contains("momentum") ? "v_final" : "cache_final";
        if (!op.equals("sgd")) assertClose(c + " " + first, c.floats("outputs", first), s1.toFloats(), c.rtol(), c.atol());
        if (op.equals("adam")) assertClose(c + " v_final", c.floats("outputs", "v_final"), s2.toFloats(), c.rtol(), c.atol());
        s1.assertGuardsIntact(c + " state");
    }
}

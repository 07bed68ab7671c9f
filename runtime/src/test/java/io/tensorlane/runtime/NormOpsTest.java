package io.tensorlane.runtime;

import static org.junit.jupiter.api.Assertions.*;

import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.Parallelism;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The issue-6 Ops entries (batch norm, dropout, optimizers, clipping) on both implementations. */
class NormOpsTest {
    static final Ops[] ALL = OpsTest.ALL;

    /** The call fails with an IllegalArgumentException whose message contains {@code fragment}. */
    static void msg(String fragment, org.junit.jupiter.api.function.Executable call) {
        TensorTest.assertMsg(call, fragment);
    }

    static Tensor random(SplittableRandom r, long... shape) {
        return OpsTest.random(r, shape);
    }

    /** Batch-norm training forward computed here in double from the definition, for x (N, C, ...). */
    static float[] bnReference(float[] x, long[] shape, float[] gamma, float[] beta, float eps) {
        int n = (int) shape[0], c = (int) shape[1], inner = x.length / (n * c);
        float[] y = new float[x.length];
        for (int ch = 0; ch < c; ch++) {
            double s = 0, q = 0;
            for (int o = 0; o < n; o++) for (int j = 0; j < inner; j++) s += x[(o * c + ch) * inner + j];
            double mu = s / (n * inner);
            for (int o = 0; o < n; o++) for (int j = 0; j < inner; j++) q += Math.pow(x[(o * c + ch) * inner + j] - mu, 2);
            double inv = 1 / Math.sqrt(q / (n * inner) + eps);
            for (int o = 0; o < n; o++) {
                for (int j = 0; j < inner; j++) {
                    int i = (o * c + ch) * inner + j;
                    y[i] = (float) ((x[i] - mu) * inv * gamma[ch] + beta[ch]);
                }
            }
        }
        return y;
    }

    @Test
    void batchNormTrainMatchesTheDefinitionForEveryRankAndNonContiguousInput() {
        SplittableRandom r = new SplittableRandom(11);
        for (long[] shape : new long[][] {{6, 5}, {3, 4, 7}, {2, 3, 4, 5}}) {
            int c = (int) shape[1];
            Tensor x = random(r, shape), gamma = random(r, c), beta = random(r, c);
            float[] expected = bnReference(x.toFloatArray(), shape, gamma.toFloatArray(), beta.toFloatArray(), 1e-5f);
            for (Ops ops : ALL) {
                Tensor rm = Tensor.of(new float[c], c), rv = Tensor.of(new float[c], c);
                java.util.Arrays.fill(rv.toFloatArray(), 1f);
                BatchNormResult res = ops.batchNormTrain(x, gamma, beta, rm, rv, 0.9f, 1e-5f);
                OpsTest.close(expected, res.out().toFloatArray(), 2e-5);
                // running mean = 0.1 * batch mean (started at 0)
                for (int i = 0; i < c; i++) assertEquals(0.1f * res.mean().getFloat(i), rm.getFloat(i), 1e-6f);
                // a non-contiguous x (a transposed copy transposed back) gives the same result
                Tensor xt = x.transpose(0, 1).contiguous().transpose(0, 1);
                assertFalse(xt.isContiguous());
                Tensor rm2 = Tensor.of(new float[c], c), rv2 = Tensor.of(new float[c], c);
                assertArrayEquals(res.out().toFloatArray(), ops.batchNormTrain(xt, gamma, beta, rm2, rv2, 0.9f, 1e-5f).out().toFloatArray());
                // in place: out == x
                Tensor xc = Tensor.of(x.toFloatArray(), shape), mean = Tensor.of(new float[c], c), var = Tensor.of(new float[c], c);
                ops.batchNormTrain(xc, gamma, beta, Tensor.of(new float[c], c), Tensor.of(new float[c], c), 0.9f, 1e-5f, xc, mean, var);
                assertArrayEquals(res.out().toFloatArray(), xc.toFloatArray());
                // backward: dbeta = sum dout per channel
                Tensor dout = random(r, shape);
                BatchNormGrads g = ops.batchNormBackward(x, dout, gamma, res.mean(), res.var(), 1e-5f);
                float[] d = dout.toFloatArray();
                int inner = d.length / ((int) shape[0] * c);
                for (int ch = 0; ch < c; ch++) {
                    double s = 0;
                    for (int o = 0; o < shape[0]; o++) for (int j = 0; j < inner; j++) s += d[(o * c + ch) * inner + j];
                    assertEquals(s, g.dbeta().getFloat(ch), 1e-4);
                }
            }
        }
    }

    @Test
    void batchNormResultsDoNotDependOnTheThreadCount() {
        SplittableRandom r = new SplittableRandom(12);
        long[] shape = {4, 70, 3, 11};
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.allocate(arena, DType.F32, shape), dout = Tensor.allocate(arena, DType.F32, shape);
            Ops.on(Device.cpu()).copy(random(r, shape), x);
            Ops.on(Device.cpu()).copy(random(r, shape), dout);
            Tensor gamma = random(r, 70), beta = random(r, 70);
            float[][] outs = new float[2][], dxs = new float[2][];
            int i = 0;
            for (Parallelism p : new Parallelism[] {Parallelism.single(), Parallelism.threads(3)}) {
                Ops ops = Ops.on(Device.cpu(Impl.SIMD)).with(p);
                BatchNormResult res = ops.batchNormTrain(x, gamma, beta, Tensor.of(new float[70], 70), Tensor.of(new float[70], 70), 0.9f, 1e-5f);
                outs[i] = res.out().toFloatArray();
                dxs[i++] = ops.batchNormBackward(x, dout, gamma, res.mean(), res.var(), 1e-5f).dx().toFloatArray();
            }
            assertArrayEquals(outs[0], outs[1]);
            assertArrayEquals(dxs[0], dxs[1]);
        }
    }

    @Test
    void batchNormRejectsMismatchedShapes() {
        Ops ops = ALL[0];
        Tensor x = Tensor.of(new float[20], 4, 5), c5 = Tensor.of(new float[5], 5), c3 = Tensor.of(new float[3], 3);
        msg("batchNormTrain: runningVar has shape [3] but x=[4,5] has 5 features (expected [5])",
                () -> ops.batchNormTrain(x, c5, c5, Tensor.of(new float[5], 5), c3, 0.9f, 1e-5f));
        msg("batchNormTrain: gamma has shape [3] but x=[4,5] has 5 features",
                () -> ops.batchNormTrain(x, c3, c5, Tensor.of(new float[5], 5), Tensor.of(new float[5], 5), 0.9f, 1e-5f));
        Tensor x4 = Tensor.of(new float[2 * 3 * 4], 2, 3, 2, 2);
        msg("batchNormEval: beta has shape [5] but x=[2,3,2,2] has 3 channels",
                () -> ops.batchNormEval(x4, c3, c5, c3, c3, 1e-5f));
        msg("batchNormTrain: x must be (N, D), (N, C, L) or (N, C, H, W), got x=[20]",
                () -> ops.batchNormTrain(Tensor.of(new float[20], 20), c5, c5, c5, c5, 0.9f, 1e-5f));
        msg("batchNormTrain: x=[0,5] has no values per channel",
                () -> ops.batchNormTrain(Tensor.of(new float[0], 0, 5), c5, c5, c5, c5, 0.9f, 1e-5f));
        msg("batchNormTrain: eps must be > 0", () -> ops.batchNormTrain(x, c5, c5, c5, Tensor.of(new float[5], 5), 0.9f, -1f));
        msg("batchNormTrain: momentum must be in [0, 1]", () -> ops.batchNormTrain(x, c5, c5, c5, Tensor.of(new float[5], 5), 2f, 1e-5f));
        msg("batchNormTrain: out has shape [5, 4] but x has [4, 5]", () -> ops.batchNormTrain(x, c5, c5, c5,
                Tensor.of(new float[5], 5), 0.9f, 1e-5f, Tensor.of(new float[20], 5, 4), Tensor.of(new float[5], 5), Tensor.of(new float[5], 5)));
        msg("batchNormBackward: dout has shape [5, 4] but x has [4, 5]",
                () -> ops.batchNormBackward(x, Tensor.of(new float[20], 5, 4), c5, c5, c5, 1e-5f));
        msg("batchNormEvalBackward: runningMean has shape [3]",
                () -> ops.batchNormEvalBackward(x, x, c5, c3, c5, 1e-5f));
        msg("batchNormBackward: dx [0, 20) and x [0, 20) share memory", () -> ops.batchNormBackward(x, Tensor.of(new float[20], 4, 5), c5, c5, c5, 1e-5f,
                x, Tensor.of(new float[5], 5), Tensor.of(new float[5], 5)));
        msg("batchNormTrain: runningMean must be F32", () -> ops.batchNormTrain(x, c5, c5, Tensor.ofInts(new int[5], 5), c5, 0.9f, 1e-5f));
    }

    @Test
    void dropoutThroughOps() {
        SplittableRandom r = new SplittableRandom(13);
        Tensor x = random(r, 3, 50);
        for (Ops ops : ALL) {
            DropoutResult d = ops.dropout(x, 0.4f, 7L);
            float[] xs = x.toFloatArray(), m = d.mask().toFloatArray(), o = d.out().toFloatArray();
            for (int i = 0; i < xs.length; i++) assertEquals(xs[i] * m[i] * (float) (1 / 0.6), o[i], 1e-6f);
            assertArrayEquals(o, ops.dropoutWithMask(x, d.mask(), 0.4f).toFloatArray());
            assertArrayEquals(m, ops.dropout(x, 0.4f, 7L).mask().toFloatArray(), "same seed, same mask");
            assertArrayEquals(m, ALL[0].dropout(x, 0.4f, 7L).mask().toFloatArray(), "scalar and SIMD masks agree");
            Tensor dout = random(r, 3, 50);
            float[] dx = ops.dropoutBackward(dout, d.mask(), 0.4f).toFloatArray(), dv = dout.toFloatArray();
            for (int i = 0; i < dx.length; i++) assertEquals(dv[i] * m[i] * (float) (1 / 0.6), dx[i], 1e-6f);
        }
        Ops ops = ALL[1];
        msg("dropout: p (the drop probability) must be in [0, 1), got 1.0", () -> ops.dropout(x, 1f, 1L));
        msg("dropoutWithMask: mask has shape [50, 3] but x has [3, 50]", () -> ops.dropoutWithMask(x, Tensor.of(new float[150], 50, 3), 0.5f));
        msg("dropoutBackward: dx has shape [150] but dout has [3, 50]",
                () -> ops.dropoutBackward(x, x, 0.5f, Tensor.of(new float[150], 150)));
        msg("dropout: mask [0, 150) and x [0, 150) share memory", () -> ops.dropout(x, 0.5f, 1L, Tensor.of(new float[150], 3, 50), x));
    }

    @Test
    void optimizerStepsThroughOps() {
        for (Ops ops : ALL) {
            Tensor w = Tensor.of(new float[] {1f, 2f, 3f, 4f}, 2, 2), v = Tensor.of(new float[4], 2, 2);
            // a transposed gradient view is read in w's element order
            Tensor g = Tensor.of(new float[] {0.1f, 0.3f, 0.2f, 0.4f}, 2, 2).transpose(0, 1);
            assertTrue(ops.momentumStep(w, g, v, 0.5f, 0.9f, 0f));
            assertArrayEquals(new float[] {0.95f, 1.9f, 2.85f, 3.8f}, w.toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {-0.05f, -0.1f, -0.15f, -0.2f}, v.toFloatArray(), 1e-6f);
            Tensor m = Tensor.of(new float[4], 2, 2), s = Tensor.of(new float[4], 2, 2);
            Tensor bad = Tensor.of(new float[] {0f, Float.NaN, 0f, 0f}, 2, 2);
            float[] before = w.toFloatArray();
            assertFalse(ops.adamStep(w, bad, m, s, 1, 0.1f, 0.9f, 0.999f, 1e-8f, 0f));
            assertFalse(ops.sgdStep(w, bad, 0.1f, 0f));
            assertArrayEquals(before, w.toFloatArray(), "skipped steps change nothing");
            assertArrayEquals(new float[4], m.toFloatArray());
            assertTrue(ops.adagradStep(w, g.contiguous(), s, 0.1f, 1e-8f, 0f));
            assertTrue(ops.rmspropStep(w, g.contiguous(), Tensor.of(new float[4], 2, 2), 0.1f, 0.99f, 1e-8f, 0f));
            assertTrue(ops.nesterovStep(w, g, Tensor.of(new float[4], 2, 2), 0.1f, 0.9f, 0.01f));
            msg("adamStep: beta2 must be in [0, 1), got 1.0", () -> ops.adamStep(w, g, m, s, 1, 0.1f, 0.9f, 1f, 1e-8f, 0f));
            msg("sgdStep: lr must be finite and >= 0, got -1.0", () -> ops.sgdStep(w, g, -1f, 0f));
            msg("momentumStep: v has shape [4] but w has [2, 2]", () -> ops.momentumStep(w, g, Tensor.of(new float[4], 4), 0.1f, 0.9f, 0f));
            msg("adamStep: m [0, 4) and v [0, 4) share memory", () -> ops.adamStep(w, g, m, m, 1, 0.1f, 0.9f, 0.999f, 1e-8f, 0f));
            msg("sgdStep: g has shape [4] but w has [2, 2]", () -> ops.sgdStep(w, Tensor.of(new float[4], 4), 0.1f, 0f));
            msg("adamStep: step t must be >= 1", () -> ops.adamStep(w, g, m, s, 0, 0.1f, 0.9f, 0.999f, 1e-8f, 0f));
            msg("rmspropStep: weightDecay must be finite and >= 0", () -> ops.rmspropStep(w, g, s, 0.1f, 0.9f, 1e-8f, -0.1f));
            msg("sgdStep: w", () -> ops.sgdStep(Tensor.of(new float[4], 2, 2).transpose(0, 1), g, 0.1f, 0f));
        }
    }

    @Test
    void gradientNormClipping() {
        for (Ops ops : ALL) {
            Tensor a = Tensor.of(new float[] {3f, 0f}, 2), b = Tensor.of(new float[] {0f, 4f, 0f}, 3);
            assertEquals(25.0, ops.gradSumSquares(List.of(a, b)));
            assertEquals(5.0, ops.clipGradNorm(List.of(a, b), 10.0));
            assertArrayEquals(new float[] {3f, 0f}, a.toFloatArray(), "below maxNorm: untouched");
            assertEquals(5.0, ops.clipGradNorm(List.of(a, b), 1.0), 1e-12);
            float scale = (float) (1.0 / (5.0 + 1e-6));
            assertArrayEquals(new float[] {3f * scale, 0f}, a.toFloatArray(), 1e-7f);
            assertArrayEquals(new float[] {0f, 4f * scale, 0f}, b.toFloatArray(), 1e-7f);
            Tensor bad = Tensor.of(new float[] {1f, Float.POSITIVE_INFINITY}, 2);
            assertTrue(Double.isInfinite(ops.clipGradNorm(List.of(a, bad), 1.0)));
            assertArrayEquals(new float[] {3f * scale, 0f}, a.toFloatArray(), 1e-7f, "non-finite norm: untouched");
            msg("clipGradNorm: maxNorm must be finite and > 0, got 0.0", () -> ops.clipGradNorm(List.of(a), 0));
            msg("gradSumSquares: grads[1] must be F32", () -> ops.gradSumSquares(List.of(a, Tensor.ofInts(new int[2], 2))));
        }
    }
}

package io.tensorlane.runtime;

import static io.tensorlane.runtime.TensorTest.assertMsg;
import static org.junit.jupiter.api.Assertions.*;

import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.MseReduction;
import io.tensorlane.kernels.Parallelism;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every Ops entry against a direct computation in the test, on both implementations. */
class OpsTest {
    static final Ops[] ALL = {Ops.on(Device.cpu(Impl.SCALAR)), Ops.on(Device.cpu(Impl.SIMD))};

    static Tensor random(SplittableRandom r, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 6 - 3);
        return Tensor.of(v, shape);
    }

    static void close(float[] e, float[] a, double tol) {
        assertEquals(e.length, a.length);
        for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], tol * Math.max(1, Math.abs(e[i])), "at " + i);
    }

    @Test
    void elementwiseAndActivations() {
        SplittableRandom r = new SplittableRandom(1);
        Tensor a = random(r, 3, 5), b = random(r, 3, 5);
        float[] av = a.toFloatArray(), bv = b.toFloatArray();
        for (Ops ops : ALL) {
            float[] add = ops.add(a, b).toFloatArray(), sub = ops.sub(a, b).toFloatArray(), mul = ops.mul(a, b).toFloatArray();
            float[] sc = ops.scale(a, 2f).toFloatArray(), relu = ops.relu(a).toFloatArray();
            float[] sig = ops.sigmoid(a).toFloatArray(), th = ops.tanh(a).toFloatArray(), lr = ops.leakyRelu(a, 0.1f).toFloatArray();
            float[] rb = ops.reluBackward(a, b).toFloatArray();
            float[] sb = ops.sigmoidBackward(ops.sigmoid(a), b).toFloatArray();
            float[] tb = ops.tanhBackward(ops.tanh(a), b).toFloatArray();
            float[] lb = ops.leakyReluBackward(a, b, 0.1f).toFloatArray();
            for (int i = 0; i < av.length; i++) {
                assertEquals(av[i] + bv[i], add[i]);
                assertEquals(av[i] - bv[i], sub[i]);
                assertEquals(av[i] * bv[i], mul[i]);
                assertEquals(2 * av[i], sc[i]);
                assertEquals(Math.max(av[i], 0), relu[i]);
                assertEquals(av[i] > 0 ? av[i] : 0.1f * av[i], lr[i], 1e-7);
                assertEquals(1 / (1 + Math.exp(-av[i])), sig[i], 1e-6);
                assertEquals(Math.tanh(av[i]), th[i], 1e-6);
                assertEquals(av[i] > 0 ? bv[i] : 0, rb[i]);
                assertEquals(av[i] > 0 ? bv[i] : 0.1f * bv[i], lb[i], 1e-7);
                double s = 1 / (1 + Math.exp(-av[i]));
                assertEquals(bv[i] * s * (1 - s), sb[i], 1e-6);
                assertEquals(bv[i] * (1 - Math.tanh(av[i]) * Math.tanh(av[i])), tb[i], 1e-6);
            }
            Tensor y = Tensor.of(bv.clone(), 3, 5);
            ops.axpy(0.5f, a, y);
            for (int i = 0; i < av.length; i++) assertEquals(bv[i] + 0.5f * av[i], y.toFloatArray()[i], 1e-6);
            ops.fill(y, 7f);
            for (float v : y.toFloatArray()) assertEquals(7f, v);
            Tensor dst = Tensor.of(new float[15], 5, 3);
            ops.copy(a.transpose(0, 1), dst);
            assertArrayEquals(a.transpose(0, 1).toFloatArray(), dst.toFloatArray());
            // non-contiguous inputs are accepted
            assertArrayEquals(ops.relu(a.transpose(0, 1).contiguous()).toFloatArray(), ops.relu(a.transpose(0, 1)).toFloatArray());
        }
    }

    @Test
    void softmaxAlongAnyDim() {
        SplittableRandom r = new SplittableRandom(2);
        Tensor x = random(r, 2, 3, 4);
        for (Ops ops : ALL) {
            for (int dim = -3; dim < 3; dim++) {
                Tensor p = ops.softmax(x, dim);
                Tensor lp = ops.logSoftmax(x, dim);
                int d = dim < 0 ? dim + 3 : dim;
                long[] sh = x.shape();
                // sums along dim are 1, and log-softmax = log(softmax)
                for (long i = 0; i < sh[0]; i++) for (long j = 0; j < sh[1]; j++) for (long k = 0; k < sh[2]; k++) {
                    long[] idx = {i, j, k};
                    if (idx[d] != 0) continue;
                    double s = 0, m = Double.NEGATIVE_INFINITY;
                    for (long t = 0; t < sh[d]; t++) {
                        idx[d] = t;
                        m = Math.max(m, x.getFloat(idx));
                    }
                    for (long t = 0; t < sh[d]; t++) {
                        idx[d] = t;
                        s += Math.exp(x.getFloat(idx) - m);
                    }
                    for (long t = 0; t < sh[d]; t++) {
                        idx[d] = t;
                        double e = Math.exp(x.getFloat(idx) - m) / s;
                        assertEquals(e, p.getFloat(idx), 1e-6);
                        assertEquals(Math.log(e), lp.getFloat(idx), 1e-5);
                    }
                }
            }
            Tensor dout = random(r, 2, 3, 4);
            Tensor y = ops.softmax(x);
            float[] dx = ops.softmaxBackward(y, dout).toFloatArray();
            float[] yv = y.toFloatArray(), dv = dout.toFloatArray();
            for (int row = 0; row < 6; row++) {
                double dot = 0;
                for (int j = 0; j < 4; j++) dot += yv[row * 4 + j] * dv[row * 4 + j];
                for (int j = 0; j < 4; j++) assertEquals(yv[row * 4 + j] * (dv[row * 4 + j] - dot), dx[row * 4 + j], 1e-6);
            }
            float[] ldx = ops.logSoftmaxBackward(ops.logSoftmax(x), dout).toFloatArray();
            for (int row = 0; row < 6; row++) {
                double sum = 0;
                for (int j = 0; j < 4; j++) sum += dv[row * 4 + j];
                for (int j = 0; j < 4; j++) assertEquals(dv[row * 4 + j] - yv[row * 4 + j] * sum, ldx[row * 4 + j], 1e-5);
            }
            // backward along a non-last dim equals backward on the transposed problem
            Tensor y0 = ops.softmax(x, 0), d0 = random(r, 2, 3, 4);
            Tensor viaT = ops.softmaxBackward(y0.transpose(0, 2).contiguous(), d0.transpose(0, 2).contiguous()).transpose(0, 2);
            close(viaT.toFloatArray(), ops.softmaxBackward(y0, d0, 0).toFloatArray(), 1e-6);
        }
    }

    @Test
    void reductionsAlongEachDim() {
        SplittableRandom r = new SplittableRandom(3);
        Tensor x = random(r, 3, 4, 5);
        long[] sh = x.shape();
        for (Ops ops : ALL) {
            for (int d = 0; d < 3; d++) {
                Tensor sum = ops.sum(x, d), mean = ops.mean(x, d), max = ops.max(x, d), arg = ops.argmax(x, d), var = ops.variance(x, d);
                assertEquals(2, sum.rank());
                assertEquals(DType.I32, arg.dtype());
                int[] o = new int[2];
                for (long i = 0; i < sh[0]; i++) for (long j = 0; j < sh[1]; j++) for (long k = 0; k < sh[2]; k++) {
                    long[] idx = {i, j, k};
                    if (idx[d] != 0) continue;
                    double s = 0, ss = 0, m = Double.NEGATIVE_INFINITY;
                    int am = -1;
                    for (long t = 0; t < sh[d]; t++) {
                        idx[d] = t;
                        float v = x.getFloat(idx);
                        s += v;
                        if (v > m) {
                            m = v;
                            am = (int) t;
                        }
                    }
                    double mu = s / sh[d];
                    for (long t = 0; t < sh[d]; t++) {
                        idx[d] = t;
                        ss += (x.getFloat(idx) - mu) * (x.getFloat(idx) - mu);
                    }
                    long[] oi = new long[2];
                    for (int q = 0, p = 0; q < 3; q++) if (q != d) oi[p++] = idx[q];
                    assertEquals(s, sum.getFloat(oi), 1e-5);
                    assertEquals(mu, mean.getFloat(oi), 1e-6);
                    assertEquals(m, max.getFloat(oi));
                    assertEquals(am, arg.getInt(oi));
                    assertEquals(ss / sh[d], var.getFloat(oi), 1e-5);
                }
            }
        }
    }

    @Test
    void losses() {
        SplittableRandom r = new SplittableRandom(4);
        Tensor x = random(r, 4, 3);
        Tensor y = Tensor.ofInts(new int[] {0, 2, 1, 2}, 4);
        float[] xv = x.toFloatArray();
        for (Ops ops : ALL) {
            LossResult ce = ops.softmaxCrossEntropy(x, y);
            double loss = 0;
            for (int i = 0; i < 4; i++) {
                double m = Math.max(xv[i * 3], Math.max(xv[i * 3 + 1], xv[i * 3 + 2]));
                double z = 0;
                for (int j = 0; j < 3; j++) z += Math.exp(xv[i * 3 + j] - m);
                loss -= xv[i * 3 + y.getInt(i)] - m - Math.log(z);
                for (int j = 0; j < 3; j++) {
                    double p = Math.exp(xv[i * 3 + j] - m) / z;
                    assertEquals((p - (j == y.getInt(i) ? 1 : 0)) / 4, ce.grad().getFloat(i, j), 1e-6);
                }
            }
            assertEquals(loss / 4, ce.loss(), 1e-6);

            LossResult svm = ops.svmLoss(x, y);
            double sl = 0;
            for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) {
                if (j == y.getInt(i)) continue;
                sl += Math.max(0, xv[i * 3 + j] - xv[i * 3 + y.getInt(i)] + 1);
            }
            assertEquals(sl / 4, svm.loss(), 1e-6);

            Tensor t = random(r, 4, 3);
            LossResult mse = ops.mseLoss(x, t, MseReduction.MEAN), euc = ops.mseLoss(x, t, MseReduction.EUCLIDEAN);
            double ss = 0;
            for (int i = 0; i < 12; i++) ss += Math.pow(xv[i] - t.toFloatArray()[i], 2);
            assertEquals(ss / 12, mse.loss(), 1e-5);
            assertEquals(ss / 8, euc.loss(), 1e-5);
            assertEquals(2 * (xv[5] - t.toFloatArray()[5]) / 12, mse.grad().toFloatArray()[5], 1e-6);
            assertEquals((xv[5] - t.toFloatArray()[5]) / 4, euc.grad().toFloatArray()[5], 1e-6);

            Tensor tgt = Tensor.of(new float[] {0, 1, 1, 0, 0.3f, 1, 0, 0, 1, 1, 0, 0.5f}, 4, 3);
            LossResult bce = ops.sigmoidBceLoss(x, tgt);
            double bl = 0;
            for (int i = 0; i < 12; i++) {
                double v = xv[i], tv = tgt.toFloatArray()[i];
                bl += Math.max(v, 0) - v * tv + Math.log1p(Math.exp(-Math.abs(v)));
            }
            assertEquals(bl / 12, bce.loss(), 1e-6);
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        SplittableRandom r = new SplittableRandom(9);
        Tensor x = random(r, 300, 1000);
        Ops base = Ops.on(Device.cpu()).with(Parallelism.single());
        float[] relu = base.relu(x).toFloatArray(), sm = base.softmax(x).toFloatArray();
        float[] s0 = base.sum(x, 0).toFloatArray(), s1 = base.sum(x, 1).toFloatArray();
        for (int threads : new int[] {2, 3}) {
            Ops ops = base.with(Parallelism.threads(threads));
            assertArrayEquals(relu, ops.relu(x).toFloatArray());
            assertArrayEquals(sm, ops.softmax(x).toFloatArray());
            assertArrayEquals(s0, ops.sum(x, 0).toFloatArray());
            assertArrayEquals(s1, ops.sum(x, 1).toFloatArray());
        }
    }

    @Test
    void resultsLiveInTheInputsArena() {
        try (Arena arena = Arena.ofConfined()) {
            Ops ops = Ops.on(Device.cpu());
            Tensor x = ops.allocate(arena, DType.F32, 4, 10);
            assertSame(arena, ops.softmax(x).arena().orElseThrow());
            assertSame(arena, ops.argmax(x, 1).arena().orElseThrow());
        }
    }

    @Test
    void badInputIsRejectedWithOpArgumentAndShapes() {
        Ops ops = Ops.on(Device.cpu());
        Tensor a = Tensor.of(new float[12], 3, 4), b = Tensor.of(new float[15], 3, 5);
        assertMsg(() -> ops.add(a, b), "add: b has shape [3, 5] but a has [3, 4]");
        assertMsg(() -> ops.softmax(Tensor.of(new float[40], 4, 10), 2), "softmax: dim 2 out of range for x=[4,10]");
        assertMsg(() -> ops.sum(a, -3), "sum: dim -3 out of range for x=[3,4]");
        Tensor ints = Tensor.ofInts(new int[12], 3, 4);
        assertMsg(() -> ops.relu(ints), "relu: x must be F32, got I32");
        Tensor x = Tensor.of(new float[80], 8, 10);
        assertMsg(() -> ops.softmaxCrossEntropy(x, Tensor.of(new float[8], 8)), "softmaxCrossEntropy: labels must be I32, got F32 (labels=[8])");
        assertMsg(() -> ops.softmaxCrossEntropy(x, Tensor.ofInts(new int[7], 7)), "labels has shape [7] but x has 8 rows (x=[8,10], labels=[7])");
        int[] bad = new int[8];
        bad[5] = 10;
        assertMsg(() -> ops.svmLoss(x, Tensor.ofInts(bad, 8)), "svmLoss: labels[5] = 10 is outside [0, 10)");
        assertMsg(() -> ops.softmaxCrossEntropy(Tensor.of(new float[0], 0, 10), Tensor.ofInts(new int[0], 0)), "at least one row");
        assertMsg(() -> ops.softmaxCrossEntropy(Tensor.of(new float[8], 8), Tensor.ofInts(new int[8], 8)), "must be 2-D");
        assertMsg(() -> ops.relu(a, Tensor.of(new float[12], 4, 3)), "relu: out has shape [4, 3] but x has [3, 4]");
        assertMsg(() -> ops.relu(a, Tensor.of(new float[12], 4, 3).transpose(0, 1)), "relu: out", "not contiguous");
        assertMsg(() -> ops.mseLoss(a, b, MseReduction.MEAN), "mseLoss: target has shape [3, 5] but pred has [3, 4]");
        assertMsg(() -> ops.mseLoss(a, a, null), "reduction is null");
        assertMsg(() -> ops.copy(a, ints), "copy: dst is I32 but src is F32");
        // zero-size tensors are fine where the math allows
        Tensor empty = Tensor.of(new float[0], 0, 5);
        assertEquals(0, ops.relu(empty).numel());
        assertEquals(0, ops.softmax(empty).numel());
        assertArrayEquals(new long[] {5}, ops.sum(empty, 0).shape());
    }
}

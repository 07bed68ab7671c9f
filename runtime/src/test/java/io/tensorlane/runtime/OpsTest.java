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
        assertMsg(() -> ops.softmaxCrossEntropy(x, Tensor.ofInts(new int[7], 7)), "softmaxCrossEntropy: labels has 7 entries but x has 8 rows (x=[8,10], labels=[7])");
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

    // ---------------------------------------------------------------- threads and memory kinds

    /** An executor that counts what it is given and runs it on its own pool. */
    static final class CountingExecutor implements java.util.concurrent.Executor, AutoCloseable {
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        final java.util.concurrent.atomic.AtomicInteger submitted = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void execute(Runnable r) {
            submitted.incrementAndGet();
            pool.execute(r);
        }

        @Override
        public void close() {
            pool.shutdown();
        }
    }

    @Test
    void confinedArenaTensorsRunOnTheCallerAndSharedOnesUseThePool() {
        SplittableRandom r = new SplittableRandom(11);
        Tensor src = random(r, 3 * (int) Ops.GRAIN + 5);
        float[] expected = Ops.on(Device.cpu()).with(Parallelism.single()).relu(src).toFloatArray();
        try (CountingExecutor ex = new CountingExecutor()) {
            Ops ops = Ops.on(Device.cpu()).with(Parallelism.on(ex, 3));
            try (Arena confined = Arena.ofConfined()) {
                Tensor x = Tensor.allocate(confined, DType.F32, src.shape());
                ops.copy(src, x);
                Tensor y = ops.relu(x); // pool threads may not touch confined memory: runs on the caller
                assertArrayEquals(expected, y.toFloatArray());
                Tensor sm = ops.softmax(x.slice(0, 0, 100_000).reshape(100, 1000));
                assertEquals(100, sm.dim(0));
                assertEquals(0, ex.submitted.get(), "nothing was handed to other threads");
            }
            try (Arena shared = Arena.ofShared()) {
                Tensor x = Tensor.allocate(shared, DType.F32, src.shape());
                ops.copy(src, x);
                assertArrayEquals(expected, ops.relu(x).toFloatArray());
                assertTrue(ex.submitted.get() > 0, "shared memory is split over the executor");
            }
        }
    }

    /**
     * Bit-identical results for 1, 2 and 3 threads on every chunked path (elementwise, activations,
     * softmax over rows, row reductions, column reductions per outer block, column reductions of one
     * block). Reductions and softmax are compared on the scalar twin: the SIMD kernels' horizontal
     * sums (reduceLanes ADD, whose float order the Vector API leaves open) can differ between JIT
     * tiers even on one thread, which would hide what this test checks; lane-wise ops are compared on
     * both implementations.
     */
    @Test
    void resultsDoNotDependOnTheThreadCount() {
        SplittableRandom r = new SplittableRandom(12);
        Tensor x = random(r, 40, 50, 100); // 200k elements: several chunks on every path
        Tensor d = random(r, 40, 50, 100);
        Tensor wide = random(r, 300, 1000);
        java.util.List<java.util.function.Function<Ops, Tensor>> laneWise = java.util.List.of(
                o -> o.add(x, d), o -> o.scale(x, 3f), o -> o.relu(wide), o -> o.sigmoid(x), o -> o.tanhBackward(o.tanh(x), d),
                o -> o.leakyRelu(x.transpose(0, 2), 0.1f));
        java.util.List<java.util.function.Function<Ops, Tensor>> rowWise = java.util.List.of(
                o -> o.softmax(x), o -> o.softmax(wide), o -> o.softmax(x, 1), o -> o.logSoftmaxBackward(o.logSoftmax(x), d),
                o -> o.sum(x, 2), o -> o.sum(wide, 1), o -> o.sum(x, 1), o -> o.sum(x, 0), o -> o.sum(wide, 0),
                o -> o.mean(x, 1), o -> o.variance(x, 1), o -> o.max(x, 1), o -> o.argmax(x, 1), o -> o.argmax(x, 2));
        for (Device device : new Device[] {Device.cpu(Impl.SCALAR), Device.cpu(Impl.SIMD)}) {
            Ops base = Ops.on(device).with(Parallelism.single());
            var calls = new java.util.ArrayList<>(laneWise);
            if (device.kernels().impl() == Impl.SCALAR) calls.addAll(rowWise);
            for (int threads : new int[] {2, 3}) {
                Ops ops = base.with(Parallelism.threads(threads));
                for (int i = 0; i < calls.size(); i++) {
                    Tensor one = calls.get(i).apply(base), many = calls.get(i).apply(ops);
                    String what = device.name() + " call " + i + " with " + threads + " threads";
                    if (one.dtype() == DType.I32) assertArrayEquals(one.toIntArray(), many.toIntArray(), what);
                    else assertArrayEquals(one.toFloatArray(), many.toFloatArray(), what);
                }
            }
        }
    }

    // ---------------------------------------------------------------- outputs, in place and aliasing

    @Test
    void outFormsWriteTheSameAsAllocatingForms() {
        SplittableRandom r = new SplittableRandom(13);
        Tensor x = random(r, 5, 7), d = random(r, 5, 7);
        for (Ops ops : ALL) {
            Tensor out = Tensor.of(new float[35], 5, 7);
            ops.sub(x, d, out);
            assertArrayEquals(ops.sub(x, d).toFloatArray(), out.toFloatArray());
            ops.leakyRelu(x, 0.2f, out);
            assertArrayEquals(ops.leakyRelu(x, 0.2f).toFloatArray(), out.toFloatArray());
            ops.logSoftmax(x, 0, out);
            assertArrayEquals(ops.logSoftmax(x, 0).toFloatArray(), out.toFloatArray());
            ops.softmaxBackward(ops.softmax(x), d, -1, out);
            assertArrayEquals(ops.softmaxBackward(ops.softmax(x), d).toFloatArray(), out.toFloatArray());

            Tensor row = Tensor.of(new float[5], 5), col = Tensor.of(new float[7], 7);
            ops.sum(x, 1, row);
            assertArrayEquals(ops.sum(x, 1).toFloatArray(), row.toFloatArray());
            ops.variance(x, 0, col);
            assertArrayEquals(ops.variance(x, 0).toFloatArray(), col.toFloatArray());
            ops.max(x, 0, col);
            assertArrayEquals(ops.max(x, 0).toFloatArray(), col.toFloatArray());
            Tensor arg = Tensor.ofInts(new int[5], 5);
            ops.argmax(x, -1, arg);
            assertArrayEquals(ops.argmax(x, -1).toIntArray(), arg.toIntArray());
            ops.mean(x, 1, row);
            assertArrayEquals(ops.mean(x, 1).toFloatArray(), row.toFloatArray());

            Tensor labels = Tensor.ofInts(new int[] {0, 6, 3, 3, 1}, 5);
            LossResult full = ops.softmaxCrossEntropy(x, labels);
            LossResult into = ops.softmaxCrossEntropy(x, labels, out);
            assertSame(out, into.grad());
            assertArrayEquals(full.grad().toFloatArray(), out.toFloatArray());
            LossResult lossOnly = ops.softmaxCrossEntropy(x, labels, null);
            assertNull(lossOnly.grad());
            assertEquals(full.loss(), lossOnly.loss());
            assertEquals(ops.svmLoss(x, labels, 0.5f).loss(), ops.svmLoss(x, labels, 0.5f, null).loss());
            ops.svmLoss(x, labels, 0.5f, out);
            assertArrayEquals(ops.svmLoss(x, labels, 0.5f).grad().toFloatArray(), out.toFloatArray());
            ops.mseLoss(x, d, MseReduction.EUCLIDEAN, out);
            assertArrayEquals(ops.mseLoss(x, d, MseReduction.EUCLIDEAN).grad().toFloatArray(), out.toFloatArray());
            Tensor t01 = ops.sigmoid(d);
            assertEquals(ops.sigmoidBceLoss(x, t01).loss(), ops.sigmoidBceLoss(x, t01, null).loss());
            ops.sigmoidBceLoss(x, t01, out);
            assertArrayEquals(ops.sigmoidBceLoss(x, t01).grad().toFloatArray(), out.toFloatArray());
        }
    }

    @Test
    void inPlaceIsAllowedAndPartialOverlapRejected() {
        SplittableRandom r = new SplittableRandom(14);
        for (Ops ops : ALL) {
            Tensor x = random(r, 6, 9);
            float[] relu = ops.relu(x).toFloatArray(), sm = ops.softmax(x).toFloatArray(), sm0 = ops.softmax(x, 0).toFloatArray();
            Tensor y = Tensor.of(x.toFloatArray(), 6, 9);
            ops.relu(y, y);
            assertArrayEquals(relu, y.toFloatArray());
            y = Tensor.of(x.toFloatArray(), 6, 9);
            ops.softmax(y, -1, y);
            assertArrayEquals(sm, y.toFloatArray());
            y = Tensor.of(x.toFloatArray(), 6, 9);
            ops.softmax(y, 0, y); // via a transposed scratch copy, then back
            assertArrayEquals(sm0, y.toFloatArray());
            y = Tensor.of(x.toFloatArray(), 6, 9);
            ops.add(y, x, y);
            assertArrayEquals(ops.scale(x, 2f).toFloatArray(), y.toFloatArray());
            y = Tensor.of(x.toFloatArray(), 6, 9);
            ops.axpy(1f, y, y);
            assertArrayEquals(ops.scale(x, 2f).toFloatArray(), y.toFloatArray());

            Tensor flat = Tensor.of(x.toFloatArray(), 54);
            assertMsg(() -> ops.relu(flat.slice(0, 0, 50), flat.slice(0, 4, 54)), "relu: out [50] overlaps x [50] without being the same elements");
            assertMsg(() -> ops.add(flat.slice(0, 0, 27), flat.slice(0, 27, 54), flat.slice(0, 20, 47)), "add: out [27] overlaps a [27]");
            assertMsg(() -> ops.sum(flat.reshape(6, 9), 1, flat.slice(0, 3, 9)), "sum: out [6] overlaps x [6,9]; use a separate output");
            assertMsg(() -> ops.softmaxCrossEntropy(flat.reshape(6, 9), Tensor.ofInts(new int[6], 6), flat.reshape(6, 9)),
                    "softmaxCrossEntropy: dx [6,9] overlaps x [6,9]");
            // a strided input is copied before anything is written, so it may overlap the output
            Tensor sq = Tensor.of(iota(16), 4, 4);
            float[] expect = sq.transpose(0, 1).toFloatArray();
            ops.copy(sq.transpose(0, 1), sq);
            assertArrayEquals(expect, sq.toFloatArray());
        }
    }

    private static float[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return v;
    }

    @Test
    void stridedInputsGiveTheSameResultsAsContiguousOnes() {
        SplittableRandom r = new SplittableRandom(15);
        Tensor big = random(r, 9, 8);
        Tensor xT = big.transpose(0, 1).slice(0, 1, 7); // [6, 9], strided
        Tensor x = xT.contiguous();
        assertFalse(xT.isContiguous());
        Tensor labels = Tensor.ofInts(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2}, 12).slice(0, 0, 6);
        for (Ops ops : ALL) {
            assertArrayEquals(ops.tanh(x).toFloatArray(), ops.tanh(xT).toFloatArray());
            assertArrayEquals(ops.mul(x, x).toFloatArray(), ops.mul(xT, xT).toFloatArray());
            assertArrayEquals(ops.logSoftmax(x, 0).toFloatArray(), ops.logSoftmax(xT, 0).toFloatArray());
            assertArrayEquals(ops.sum(x, 0).toFloatArray(), ops.sum(xT, 0).toFloatArray());
            assertArrayEquals(ops.argmax(x, 1).toIntArray(), ops.argmax(xT, 1).toIntArray());
            assertEquals(ops.svmLoss(x, labels).loss(), ops.svmLoss(xT, labels).loss());
            assertArrayEquals(ops.svmLoss(x, labels).grad().toFloatArray(), ops.svmLoss(xT, labels).grad().toFloatArray());
        }
    }

    @Test
    void scratchCopiesDoNotPileUpInTheCallersArena() {
        try (Arena arena = Memory.arena()) {
            Ops ops = Ops.on(Device.cpu());
            Tensor x = ops.allocate(arena, DType.F32, 30, 40);
            Tensor out = ops.allocate(arena, DType.F32, 40, 30);
            long before = out.segment().address();
            for (int i = 0; i < 3; i++) ops.relu(x.transpose(0, 1), out);
            ops.softmax(out, 0, out);
            Tensor y = ops.softmax(x, 0);
            assertSame(arena, y.arena().orElseThrow(), "results live like x");
            assertEquals(before, out.segment().address());
        }
    }

    @Test
    void scalarAndSimdDevicesAgree() {
        SplittableRandom r = new SplittableRandom(16);
        Ops s = ALL[0], v = ALL[1];
        assertEquals("cpu:scalar", s.device().name());
        assertEquals("cpu:simd", v.device().name());
        for (long[] shape : new long[][] {{1, 1}, {3, 7}, {5, 33}, {17, 65}, {2, 1000}}) {
            Tensor x = random(r, shape), d = random(r, shape);
            int[] lab = new int[(int) shape[0]];
            for (int i = 0; i < lab.length; i++) lab[i] = r.nextInt((int) shape[1]);
            Tensor labels = Tensor.ofInts(lab, shape[0]);
            java.util.List<java.util.function.Function<Ops, Tensor>> calls = java.util.List.of(
                    o -> o.add(x, d), o -> o.mul(x, d), o -> o.relu(x), o -> o.leakyReluBackward(x, d, 0.01f),
                    o -> o.sigmoid(x), o -> o.tanh(x), o -> o.sigmoidBackward(o.sigmoid(x), d),
                    o -> o.softmax(x), o -> o.logSoftmax(x, 0), o -> o.softmaxBackward(o.softmax(x), d),
                    o -> o.sum(x, 1), o -> o.mean(x, 0), o -> o.max(x, 1), o -> o.variance(x, 1),
                    o -> o.softmaxCrossEntropy(x, labels).grad(), o -> o.svmLoss(x, labels).grad(),
                    o -> o.mseLoss(x, d, MseReduction.MEAN).grad(), o -> o.sigmoidBceLoss(x, o.sigmoid(d)).grad());
            for (int i = 0; i < calls.size(); i++) {
                // The SIMD kernels use polynomial exp/tanh and float accumulators: a few ulp apart from the twin.
                float[] e = calls.get(i).apply(s).toFloatArray(), g = calls.get(i).apply(v).toFloatArray();
                for (int j = 0; j < e.length; j++) {
                    assertEquals(e[j], g[j], 2e-5 * Math.max(1, Math.abs(e[j])), "call " + i + " at " + j + " for " + java.util.Arrays.toString(shape));
                }
            }
            assertArrayEquals(s.argmax(x, 1).toIntArray(), v.argmax(x, 1).toIntArray());
            assertEquals(s.softmaxCrossEntropy(x, labels).loss(), v.softmaxCrossEntropy(x, labels).loss(), 1e-5);
            assertEquals(s.sigmoidBceLoss(x, s.sigmoid(d)).loss(), v.sigmoidBceLoss(x, v.sigmoid(d)).loss(), 1e-5);
        }
    }

    // ---------------------------------------------------------------- bad input, one class at a time

    @Test
    void everyClassOfBadInputIsNamed() {
        Ops ops = Ops.on(Device.cpu());
        Tensor a = Tensor.of(new float[12], 3, 4);
        Tensor ints = Tensor.ofInts(new int[12], 3, 4);
        // wrong dtype, for inputs and outputs
        assertMsg(() -> ops.sum(ints, 0), "sum: x must be F32, got I32 (x=[3,4])");
        assertMsg(() -> ops.argmax(a, 1, Tensor.of(new float[3], 3)), "argmax: out must be I32, got F32 (out=[3])");
        assertMsg(() -> ops.mseLoss(a, ints, MseReduction.MEAN), "mseLoss: target must be F32, got I32");
        assertMsg(() -> ops.softmaxBackward(a, ints), "softmax_backward: dout must be F32");
        // shape mismatches
        assertMsg(() -> ops.sum(a, 1, Tensor.of(new float[4], 4)), "sum: out has shape [4] but x=[3,4] reduced over dim 1 has [3]");
        assertMsg(() -> ops.sigmoidBackward(a, Tensor.of(new float[12], 4, 3)), "sigmoid_backward: dout has shape [4, 3] but y has [3, 4]");
        assertMsg(() -> ops.axpy(1f, a, Tensor.of(new float[12], 12)), "axpy: y has shape [12] but x has [3, 4]");
        assertMsg(() -> ops.svmLoss(a, Tensor.ofInts(new int[3], 3, 1)), "svmLoss: labels must be 1-D (N), got labels=[3,1]");
        assertMsg(() -> ops.sigmoidBceLoss(a, Tensor.of(new float[3], 3)), "sigmoidBceLoss: target has shape [3] but logits has [3, 4]");
        // out-of-range dims
        assertMsg(() -> ops.logSoftmax(a, -3), "log_softmax: dim -3 out of range for x=[3,4]");
        assertMsg(() -> ops.softmax(Tensor.of(new float[1])), "softmax: dim -1 out of range for x=[] (a scalar has no dims)");
        assertMsg(() -> ops.variance(a, 2), "variance: dim 2 out of range for x=[3,4]");
        // non-contiguous outputs
        assertMsg(() -> ops.softmax(a, 1, Tensor.of(new float[12], 4, 3).transpose(0, 1)), "softmax: out [3,4] with strides [1, 3] is not contiguous");
        assertMsg(() -> ops.fill(a.transpose(0, 1), 0f), "fill: out [4,3] with strides [1, 4] is not contiguous");
        assertMsg(() -> ops.axpy(1f, a, Tensor.of(new float[24], 3, 8).slice(1, 0, 4)), "axpy: y [3,4] with strides [8, 1] is not contiguous");
        // labels outside [0, C) and empty batches where the math needs elements
        int[] bad = {0, -1, 2};
        assertMsg(() -> ops.softmaxCrossEntropy(a, Tensor.ofInts(bad, 3)), "softmaxCrossEntropy: labels[1] = -1 is outside [0, 4) (x=[3,4])");
        assertMsg(() -> ops.svmLoss(a, Tensor.ofInts(new int[3], 3), Float.NaN), "svmLoss: margin must be finite and >= 0, got NaN");
        assertMsg(() -> ops.mseLoss(Tensor.of(new float[0], 0, 3), Tensor.of(new float[0], 0, 3), MseReduction.MEAN), "mseLoss: pred must have a batch dim and at least one element, got pred=[0,3]");
        assertMsg(() -> ops.sigmoidBceLoss(Tensor.of(new float[0], 0), Tensor.of(new float[0], 0)), "sigmoidBceLoss: logits is empty");
        assertMsg(() -> ops.max(Tensor.of(new float[0], 3, 0), 1), "max: cannot reduce over dim 1 of size 0 (x=[3,0])");
        assertMsg(() -> ops.argmax(Tensor.of(new float[0], 0, 3), 0), "argmax: cannot reduce over dim 0 of size 0 (x=[0,3])");
        assertMsg(() -> ops.relu(null), "relu: x is null");
        // where the math allows, empty is fine
        assertArrayEquals(new float[] {0, 0, 0}, ops.sum(Tensor.of(new float[0], 3, 0), 1).toFloatArray());
        assertTrue(Float.isNaN(ops.mean(Tensor.of(new float[0], 0, 2), 0).toFloatArray()[1]));
        assertEquals(0, ops.max(Tensor.of(new float[0], 0, 3), 1).numel(), "nothing to reduce into");
        assertEquals(0, ops.add(Tensor.of(new float[0], 0, 5), Tensor.of(new float[0], 0, 5)).numel());
        assertEquals(0, ops.softmaxBackward(Tensor.of(new float[0], 2, 0), Tensor.of(new float[0], 2, 0)).numel());
    }
}

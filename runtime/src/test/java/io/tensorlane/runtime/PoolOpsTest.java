package io.tensorlane.runtime;

import static io.tensorlane.runtime.TensorTest.assertMsg;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Pool2dDesc;
import io.tensorlane.kernels.RoiPoolDesc;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The pooling ops through {@link Ops}: finite-difference gradient checks (centred, in double) of every
 * backward on small shapes for both implementations, thread-count independence, strided inputs, and
 * each class of bad input.
 */
class PoolOpsTest {
    static final Ops[] ALL = {Ops.on(Device.cpu(Impl.SCALAR)), Ops.on(Device.cpu(Impl.SIMD))};

    /** Distinct values 0.05 apart, shuffled: no ties, and a +-1e-3 nudge never changes a maximum. */
    static Tensor distinct(Random rnd, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        List<Float> v = new ArrayList<>();
        for (int i = 0; i < n; i++) v.add((i - n / 2) * 0.05f);
        Collections.shuffle(v, rnd);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = v.get(i);
        return Tensor.of(a, shape);
    }

    static Tensor random(Random rnd, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return Tensor.of(a, shape);
    }

    static double dot(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        assertEquals(x.length, y.length);
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
        return s;
    }

    /**
     * Checks {@code analytic} = dL/dx for L(x) = sum(f(x) * dout) by centred differences: each x[i]
     * nudged by +-eps (the actual float step is used), L evaluated in double.
     */
    static void gradCheck(String what, Tensor x, Tensor dout, Function<Tensor, Tensor> f, Tensor analytic) {
        float[] xv = x.toFloatArray(), g = analytic.toFloatArray();
        float eps = 1e-3f;
        for (int i = 0; i < xv.length; i++) {
            float[] p = xv.clone(), m = xv.clone();
            p[i] += eps;
            m[i] -= eps;
            double lp = dot(f.apply(Tensor.of(p, x.shape())), dout), lm = dot(f.apply(Tensor.of(m, x.shape())), dout);
            double num = (lp - lm) / ((double) p[i] - m[i]);
            assertEquals(num, g[i], 2e-3 * Math.max(1, Math.abs(num)), what + ": dx[" + i + "]");
        }
    }

    @Test
    void maxPoolGradients() {
        Random rnd = new Random(1);
        for (Ops ops : ALL) {
            for (Pool2dDesc d : new Pool2dDesc[] {Pool2dDesc.of(2), Pool2dDesc.of(3).stride(2).pad(1), Pool2dDesc.of(2, 3).stride(3, 1)}) {
                Tensor x = distinct(rnd, 2, 2, 7, 6);
                PoolResult r = ops.maxPool2d(x, d);
                Tensor dout = random(rnd, r.out().shape());
                gradCheck("max_pool2d " + d, x, dout, t -> ops.maxPool2d(t, d).out(),
                        ops.maxPool2dBackward(dout, r.indices(), d, x.shape()));
            }
        }
    }

    @Test
    void avgPoolGradients() {
        Random rnd = new Random(2);
        for (Ops ops : ALL) {
            for (Pool2dDesc d : new Pool2dDesc[] {Pool2dDesc.of(2), Pool2dDesc.of(3).stride(2).pad(1),
                    Pool2dDesc.of(3).stride(1).pad(1).countIncludePad(false), Pool2dDesc.of(2).stride(3)}) {
                Tensor x = random(rnd, 1, 3, 7, 8);
                Tensor dout = random(rnd, d.outputShape("test", x.shape()));
                gradCheck("avg_pool2d " + d, x, dout, t -> ops.avgPool2d(t, d), ops.avgPool2dBackward(dout, d, x.shape()));
            }
        }
    }

    @Test
    void globalAvgPoolGradient() {
        Random rnd = new Random(3);
        for (Ops ops : ALL) {
            Tensor x = random(rnd, 2, 3, 3, 5), dout = random(rnd, 2, 3, 1, 1);
            gradCheck("global_avg_pool", x, dout, ops::globalAvgPool, ops.globalAvgPoolBackward(dout, x.shape()));
            // (N, C) is accepted for dout and out too
            Tensor flat = random(rnd, 2, 3);
            assertArrayEquals(ops.globalAvgPoolBackward(flat, x.shape()).toFloatArray(),
                    ops.globalAvgPoolBackward(flat.reshape(2, 3, 1, 1), x.shape()).toFloatArray());
        }
    }

    @Test
    void maxUnpoolGradientAndRoundTrip() {
        Random rnd = new Random(4);
        for (Ops ops : ALL) {
            Tensor img = distinct(rnd, 2, 2, 6, 7);
            PoolResult p = ops.maxPool2d(img, Pool2dDesc.of(2));
            Tensor x = random(rnd, p.out().shape());
            Tensor dout = random(rnd, 2, 2, 6, 7);
            gradCheck("max_unpool2d", x, dout, t -> ops.maxUnpool2d(t, p.indices(), 6, 7),
                    ops.maxUnpool2dBackward(dout, p.indices()));
            // unpooling the pooled maxima puts each back where it came from
            float[] up = ops.maxUnpool2d(p.out(), p.indices(), 6, 7).toFloatArray(), iv = img.toFloatArray();
            int[] idx = p.indices().toIntArray();
            for (int k = 0; k < idx.length; k++) {
                int plane = k / 9;
                assertEquals(iv[plane * 42 + idx[k]], up[plane * 42 + idx[k]]);
            }
        }
    }

    @Test
    void roiPoolGradient() {
        Random rnd = new Random(5);
        Tensor rois = Tensor.of(new float[] {0, 0, 0, 13, 9, 1, 3, 2, 9, 11, 0, -4, -2, 6, 5, 1, 10, 8, 20, 20}, 4, 5);
        RoiPoolDesc d = RoiPoolDesc.of(3, 2, 0.5f);
        for (Ops ops : ALL) {
            Tensor x = distinct(rnd, 2, 2, 6, 7);
            PoolResult r = ops.roiPool(x, rois, d);
            Tensor dout = random(rnd, r.out().shape());
            gradCheck("roi_pool", x, dout, t -> ops.roiPool(t, rois, d).out(),
                    ops.roiPoolBackward(dout, r.indices(), rois, d, x.shape()));
        }
    }

    @Test
    void resultsDoNotDependOnThreadsOrStrides() {
        Random rnd = new Random(6);
        Tensor x = random(rnd, 2, 48, 28, 28); // 96 planes: two parallel chunks of whole planes
        Tensor xt = Tensor.of(x.toFloatArray(), 2, 48, 28, 28).transpose(2, 3); // a strided view
        Pool2dDesc d = Pool2dDesc.of(3).stride(2).pad(1);
        for (Ops base : ALL) {
            Ops two = base.with(Parallelism.threads(2));
            PoolResult a = base.with(Parallelism.single()).maxPool2d(x, d), b = two.maxPool2d(x, d);
            assertArrayEquals(a.out().toFloatArray(), b.out().toFloatArray());
            assertArrayEquals(a.indices().toIntArray(), b.indices().toIntArray());
            Tensor dout = random(rnd, a.out().shape());
            assertArrayEquals(base.maxPool2dBackward(dout, a.indices(), d, x.shape()).toFloatArray(),
                    two.maxPool2dBackward(dout, a.indices(), d, x.shape()).toFloatArray());
            assertArrayEquals(base.avgPool2d(x, d).toFloatArray(), two.avgPool2d(x, d).toFloatArray());
            assertArrayEquals(base.avgPool2d(xt.contiguous(), d).toFloatArray(), two.avgPool2d(xt, d).toFloatArray());
            assertArrayEquals(base.globalAvgPool(x).toFloatArray(), two.globalAvgPool(x).toFloatArray());
        }
    }

    @Test
    void badInputsNameOpArgumentAndShapes() {
        Ops ops = ALL[0];
        Tensor x = Tensor.of(new float[32], 1, 2, 4, 4);
        Pool2dDesc d = Pool2dDesc.of(2);
        assertMsg(() -> ops.maxPool2d(Tensor.of(new float[16], 4, 4), d), "max_pool2d: x must be 4-D (N, C, H, W), got x=[4,4]");
        assertMsg(() -> ops.maxPool2d(Tensor.ofInts(new int[32], 1, 2, 4, 4), d), "max_pool2d: x must be F32, got I32 (x=[1,2,4,4])");
        assertMsg(() -> ops.maxPool2d(x, Pool2dDesc.of(7).pad(1)), "max_pool2d: kernel 7 larger than padded input 6 (x=[1,2,4,4])");
        assertMsg(() -> ops.maxPool2d(x, null), "max_pool2d: desc is null");
        assertMsg(() -> ops.maxPool2d(x, d, Tensor.of(new float[8], 1, 2, 2, 2), Tensor.of(new float[8], 1, 2, 2, 2)),
                "max_pool2d: indices must be I32, got F32");
        assertMsg(() -> ops.maxPool2d(x, d, Tensor.of(new float[9], 1, 1, 3, 3), Tensor.ofInts(new int[8], 1, 2, 2, 2)),
                "max_pool2d: out has shape [1,1,3,3] but x=[1,2,4,4] pooled by");
        Tensor wide = Tensor.of(new float[16], 1, 2, 2, 4);
        assertMsg(() -> ops.avgPool2d(x, d, wide.slice(3, 0, 2)), "avg_pool2d: out [1,2,2,2] with strides [16, 8, 4, 1] is not contiguous");
        PoolResult r = ops.maxPool2d(x, d);
        assertMsg(() -> ops.maxPool2dBackward(Tensor.of(new float[2], 1, 2, 1, 1), r.indices(), d, 1, 2, 4, 4),
                "max_pool2d_backward: dout has shape [1,2,1,1] but x=[1,2,4,4] pooled by");
        assertMsg(() -> ops.maxPool2dBackward(r.out(), Tensor.ofInts(new int[] {0, 1, 2, 3, 4, 5, 6, 99}, 1, 2, 2, 2), d, 1, 2, 4, 4),
                "max_pool2d_backward: indices[7] = 99 is outside [0, 16) (x=[1,2,4,4])");
        assertMsg(() -> ops.maxPool2dBackward(r.out(), r.indices(), d, 2, 4, 4), "max_pool2d_backward: xShape must be 4-D");
        assertMsg(() -> ops.globalAvgPool(x, Tensor.of(new float[2], 2)), "global_avg_pool: out has shape [2] but expected [1, 2, 1, 1] or [1, 2]");
        assertMsg(() -> ops.maxUnpool2d(r.out(), Tensor.ofInts(new int[4], 1, 1, 2, 2), 4, 4),
                "max_unpool2d: indices has shape [1,1,2,2] but x has [1,2,2,2]");
        assertMsg(() -> ops.maxUnpool2d(r.out(), r.indices(), 3, 3), "max_unpool2d: indices[");
        assertMsg(() -> ops.maxUnpool2d(r.out(), r.indices(), -1, 4), "max_unpool2d: out has a negative dim");
        Tensor rois = Tensor.of(new float[] {0, 3, 0, 1, 2}, 1, 5);
        assertMsg(() -> ops.roiPool(x, rois, RoiPoolDesc.of(2, 2, 1f)), "roi_pool: ROI 0 [3.0, 0.0, 1.0, 2.0] has x2 1.0 < x1 3.0 (rois=[1, 5])");
        assertMsg(() -> ops.roiPool(x, Tensor.of(new float[4], 1, 4), RoiPoolDesc.of(2, 2, 1f)),
                "roi_pool: rois must be (R, 5) rows [batch_idx, x1, y1, x2, y2], got rois=[1,4]");
        assertMsg(() -> ops.roiPool(x, Tensor.of(new float[] {1, 0, 0, 1, 1}, 1, 5), RoiPoolDesc.of(2, 2, 1f)),
                "roi_pool: ROI 0 has batch index 1.0, expected an integer in [0, 1)");
        PoolResult ok = ops.roiPool(x, Tensor.of(new float[] {0, 0, 0, 1, 1}, 1, 5), RoiPoolDesc.of(2, 2, 1f));
        assertMsg(() -> ops.roiPoolBackward(ok.out(), ok.indices(), Tensor.of(new float[] {0, 0, 0, 1, 1}, 1, 5),
                RoiPoolDesc.of(3, 3, 1f), 1, 2, 4, 4), "roi_pool_backward: dout has shape [1,2,2,2] but rois=[1,5] on x=[1,2,4,4] pooled to 3x3 give [1,2,3,3]");
    }
}

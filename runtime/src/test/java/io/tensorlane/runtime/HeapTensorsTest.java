package io.tensorlane.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.KernelSet;
import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.MseReduction;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Heap-wrapped tensors ({@link Tensor#of}) never reach a kernel: Ops reads them through native copies and
 * has the kernels write heap outputs (and heap results) into native stand-ins that it copies back (a heap segment in any vector loop slows
 * every kernel of the JVM; see {@link Tensor}). A kernel set that records every non-native segment it is
 * handed checks the first part; the same ops on native copies of the data check the values.
 */
class HeapTensorsTest {
    private final List<String> heapSeen = new ArrayList<>();

    @SuppressWarnings("unchecked")
    private <T> T spy(Class<T> type, T target) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            if (args != null) {
                for (Object a : args) {
                    if (a instanceof MemorySegment s && !s.isNative()) heapSeen.add(type.getSimpleName() + "." + m.getName());
                }
            }
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private Ops spyOps() {
        KernelSet k = Kernels.get();
        KernelSet s = new KernelSet(k.impl(), k.species(),
                spy(io.tensorlane.kernels.ElementwiseKernels.class, k.elementwise()),
                spy(io.tensorlane.kernels.ActivationKernels.class, k.activations()),
                spy(io.tensorlane.kernels.SoftmaxKernels.class, k.softmax()),
                spy(io.tensorlane.kernels.ReductionKernels.class, k.reductions()),
                spy(io.tensorlane.kernels.LossKernels.class, k.losses()),
                spy(io.tensorlane.kernels.GemmKernels.class, k.gemm()),
                spy(io.tensorlane.kernels.ConvKernels.class, k.conv()),
                spy(io.tensorlane.kernels.NormKernels.class, k.norm()),
                spy(io.tensorlane.kernels.OptimizerKernels.class, k.optim()),
                spy(io.tensorlane.kernels.RecurrentKernels.class, k.recurrent()),
                spy(io.tensorlane.kernels.DetectionKernels.class, k.detection()),
                spy(io.tensorlane.kernels.PoolKernels.class, k.pool()));
        return Ops.on(Device.of("cpu:spy", s));
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    /** A native copy with the same values. */
    private static Tensor nat(Tensor h) {
        Tensor t = Tensor.allocate(Arena.ofAuto(), h.dtype(), h.shape());
        Tensor.copyStrided(h.contiguous(), t);
        return t;
    }

    @Test
    void heapInputsAndOutputsNeverReachTheKernelsAndGetTheSameValues() {
        Ops ops = spyOps();
        Random r = new Random(7);
        float[] av = random(r, 7 * 33), bv = random(r, 7 * 33), wv = random(r, 33 * 5);
        Tensor a = Tensor.of(av.clone(), 7, 33), b = Tensor.of(bv.clone(), 7, 33), w = Tensor.of(wv.clone(), 33, 5);
        Tensor na = nat(a), nb = nat(b), nw = nat(w);

        // allocating forms: heap inputs give heap results (written through native stand-ins), values as on native inputs
        Tensor sum = ops.add(a, b);
        assertFalse(sum.segment().isNative(), "heap inputs give heap results");
        assertArrayEquals(ops.add(na, nb).toFloatArray(), sum.toFloatArray());
        assertArrayEquals(ops.softmax(na, 0).toFloatArray(), ops.softmax(a, 0).toFloatArray());
        assertArrayEquals(ops.matmul(na, nw).toFloatArray(), ops.matmul(a, w).toFloatArray());
        Tensor wt = Tensor.of(random(r, 5 * 33), 5, 33);
        assertArrayEquals(ops.matmul(na, nat(wt).transpose(0, 1)).toFloatArray(), ops.matmul(a, wt.transpose(0, 1)).toFloatArray());

        // heap outputs: written back into the caller's arrays (in place included)
        float[] hv = av.clone();
        Tensor h = Tensor.of(hv, 7, 33);
        ops.relu(h, h);
        assertArrayEquals(ops.relu(na).toFloatArray(), hv);
        float[] yv = bv.clone();
        ops.axpy(0.5f, a, Tensor.of(yv, 7, 33));
        Tensor ny = nat(b);
        ops.axpy(0.5f, na, ny);
        assertArrayEquals(ny.toFloatArray(), yv, "axpy reads y's old values through the native copy");
        float[] cv = random(r, 7 * 5);
        Tensor nc = Tensor.copyOf(cv, 7, 5);
        ops.matmul(na, nw, nc, 1f, 0.5f);
        Tensor hc = Tensor.of(cv.clone(), 7, 5);
        ops.matmul(a, w, hc, 1f, 0.5f);
        assertArrayEquals(nc.toFloatArray(), hc.toFloatArray(), "beta != 0 reads the heap output's old values");
        Tensor sm = Tensor.of(new float[7 * 33], 7, 33), nsm = Tensor.copyOf(new float[7 * 33], 7, 33);
        ops.softmax(a, 1, sm);
        ops.softmax(na, 1, nsm);
        assertArrayEquals(nsm.toFloatArray(), sm.toFloatArray());
        Tensor rowSums = Tensor.of(new float[7], 7);
        ops.sum(a, 1, rowSums);
        assertArrayEquals(ops.sum(na, 1).toFloatArray(), rowSums.toFloatArray());
        Tensor dx = Tensor.of(new float[7 * 33], 7, 33);
        LossResult l = ops.softmaxCrossEntropy(a, Tensor.ofInts(new int[] {0, 1, 2, 3, 4, 5, 32}, 7), dx);
        LossResult nl = ops.softmaxCrossEntropy(na, nat(Tensor.ofInts(new int[] {0, 1, 2, 3, 4, 5, 32}, 7)));
        assertEquals(nl.loss(), l.loss());
        assertArrayEquals(nl.grad().toFloatArray(), dx.toFloatArray());
        Tensor dp = Tensor.of(new float[7 * 33], 7, 33);
        ops.mseLoss(a, b, MseReduction.MEAN, dp);
        assertArrayEquals(ops.mseLoss(na, nb, MseReduction.MEAN).grad().toFloatArray(), dp.toFloatArray());
        Tensor filled = Tensor.of(new float[5], 5);
        ops.fill(filled, 2.5f);
        assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f, 2.5f, 2.5f}, filled.toFloatArray());

        // a convolution of heap tensors (allocating form)
        Tensor x = Tensor.of(random(r, 2 * 3 * 9 * 9), 2, 3, 9, 9), k = Tensor.of(random(r, 4 * 3 * 3 * 3), 4, 3, 3, 3);
        Tensor y = ops.conv2d(x, k, null, Conv2dDesc.of(3).pad(1));
        assertArrayEquals(ops.conv2d(nat(x), nat(k), null, Conv2dDesc.of(3).pad(1)).toFloatArray(), y.toFloatArray());

        assertEquals(List.of(), heapSeen, "kernels handed heap segments");
    }

    @Test
    void poolNormOptimizerRecurrentAndDetectionOpsStageHeapTensorsToo() {
        Ops ops = spyOps();
        Random r = new Random(11);
        Tensor x = Tensor.of(random(r, 2 * 3 * 6 * 6), 2, 3, 6, 6), nx = nat(x);
        io.tensorlane.kernels.Pool2dDesc pd = io.tensorlane.kernels.Pool2dDesc.of(2);
        PoolResult p = ops.maxPool2d(x, pd), np = ops.maxPool2d(nx, pd);
        assertArrayEquals(np.out().toFloatArray(), p.out().toFloatArray());
        assertArrayEquals(ops.maxPool2dBackward(nat(p.out()), np.indices(), pd, 2, 3, 6, 6).toFloatArray(),
                ops.maxPool2dBackward(p.out(), p.indices(), pd, 2, 3, 6, 6).toFloatArray());

        // batch norm with heap running statistics: updated in the caller's arrays
        float[] rmv = new float[3], rvv = {1, 1, 1};
        Tensor gamma = Tensor.of(new float[] {1, 2, 3}, 3), beta = Tensor.of(new float[] {0, 1, 0}, 3);
        Tensor nrm = Tensor.copyOf(new float[3], 3), nrv = Tensor.copyOf(new float[] {1, 1, 1}, 3);
        BatchNormResult bn = ops.batchNormTrain(x, gamma, beta, Tensor.of(rmv, 3), Tensor.of(rvv, 3), 0.9f, 1e-5f);
        BatchNormResult nbn = ops.batchNormTrain(nx, nat(gamma), nat(beta), nrm, nrv, 0.9f, 1e-5f);
        assertArrayEquals(nbn.out().toFloatArray(), bn.out().toFloatArray());
        assertArrayEquals(nrm.toFloatArray(), rmv, "running mean written back");
        assertArrayEquals(nrv.toFloatArray(), rvv, "running var written back");
        assertArrayEquals(ops.dropout(nx, 0.3f, 5).out().toFloatArray(), ops.dropout(x, 0.3f, 5).out().toFloatArray());

        // an optimizer step on heap weights and state
        float[] wv = random(r, 40), vv = new float[40], gv = random(r, 40);
        Tensor nw = Tensor.copyOf(wv, 40), nv = Tensor.copyOf(vv, 40);
        assertTrue(ops.momentumStep(Tensor.of(wv, 40), Tensor.of(gv, 40), Tensor.of(vv, 40), 0.1f, 0.9f, 0f));
        ops.momentumStep(nw, Tensor.copyOf(gv, 40), nv, 0.1f, 0.9f, 0f);
        assertArrayEquals(nw.toFloatArray(), wv, "weights updated in the caller's array");
        assertArrayEquals(nv.toFloatArray(), vv, "velocity updated in the caller's array");

        // an LSTM step
        Tensor xs = Tensor.of(random(r, 2 * 5), 2, 5), h = Tensor.of(random(r, 2 * 3), 2, 3), c = Tensor.of(random(r, 2 * 3), 2, 3);
        Tensor wx = Tensor.of(random(r, 5 * 12), 5, 12), wh = Tensor.of(random(r, 3 * 12), 3, 12), b = Tensor.of(random(r, 12), 12);
        LstmOutput l = ops.lstmStep(xs, h, c, wx, wh, b), nl = ops.lstmStep(nat(xs), nat(h), nat(c), nat(wx), nat(wh), nat(b));
        assertArrayEquals(nl.h().toFloatArray(), l.h().toFloatArray());
        assertArrayEquals(nl.c().toFloatArray(), l.c().toFloatArray());

        // an output sharing a heap array with an input is still rejected (the kernels only see the copies)
        float[] shared = random(r, 2 * 3);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ops.lstmStep(xs, Tensor.of(shared, 2, 3), c, wx, wh, b, Tensor.of(shared, 2, 3),
                        Tensor.of(new float[6], 2, 3), Tensor.of(new float[24], 2, 12)));
        assertTrue(e.getMessage().startsWith("lstmStep: h [0, 6) and h0 [0, 6) share memory"), e.getMessage());

        // detection
        Tensor boxes = Tensor.of(new float[] {0, 0, 2, 2, 1, 1, 3, 3}, 2, 4);
        assertArrayEquals(ops.iou(nat(boxes), nat(boxes)).toFloatArray(), ops.iou(boxes, boxes).toFloatArray());
        Tensor pred = Tensor.of(random(r, 8), 2, 4), dpred = Tensor.of(new float[8], 2, 4);
        LossResult sl = ops.smoothL1Loss(pred, boxes, 1f, dpred), nsl = ops.smoothL1Loss(nat(pred), nat(boxes), 1f);
        assertEquals(nsl.loss(), sl.loss());
        assertArrayEquals(nsl.grad().toFloatArray(), dpred.toFloatArray());

        assertEquals(List.of(), heapSeen, "kernels handed heap segments");
    }

    @Test
    void scratchBuffersAreReusedZeroFilledAndOnlyWhenReleasedAsCopies() {
        Tensor a = Tensor.scratch(DType.F32, 64, 33);
        assertTrue(a.segment().isNative());
        a.setFloat(7f, 3, 5);
        Tensor.releaseCopy(Tensor.of(new float[64 * 33], 64, 33), a);
        Tensor b = Tensor.scratch(DType.F32, 33, 64);
        assertTrue(a.segment() == b.segment(), "a released buffer is reused by the next op on this thread");
        assertEquals(0f, b.getFloat(5, 5), "reused buffers are zero-filled");
        for (float v : b.toFloatArray()) assertEquals(0f, v);
        Tensor.releaseCopy(b, b); // an op's own input (not a copy it made) is never pooled
        Tensor c = Tensor.scratch(DType.F32, 33, 64);
        assertFalse(c.segment() == b.segment(), "not pooled when it was the original");
        Tensor.releaseCopy(null, c);
        Tensor.releaseCopy(null, c); // released twice: one entry
        assertTrue(Tensor.scratch(DType.F32, 64, 33).segment() == c.segment());
        assertFalse(Tensor.scratch(DType.F32, 64, 33).segment() == c.segment(), "handed out once only");
    }

    @Test
    void copyOfIsANativeCopy() {
        float[] v = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.copyOf(v, 2, 3);
        assertTrue(t.segment().isNative());
        v[0] = 9;
        assertEquals(1f, t.getFloat(0, 0), "later changes to the array are not seen");
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.toFloatArray());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Tensor.copyOf(v, 4, 2),
                "copyOf: shape [4, 2] holds 8 elements but the array has 6");
    }
}

package io.tensorlane.runtime;

import static io.tensorlane.runtime.TensorTest.assertMsg;
import static org.junit.jupiter.api.Assertions.*;

import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.Parallelism;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The recurrent and detection Ops: step/sequence consistency, views, accumulation, threads, bad input. */
class RecurrentOpsTest {
    static final Ops[] ALL = {Ops.on(Device.cpu(Impl.SCALAR)), Ops.on(Device.cpu(Impl.SIMD))};

    static Tensor random(SplittableRandom r, double scale, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return Tensor.of(v, shape);
    }

    static void close(float[] e, float[] a, double tol) {
        assertEquals(e.length, a.length);
        for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], tol * Math.max(1, Math.abs(e[i])), "at " + i);
    }

    @Test
    void lstmSequenceEqualsSuccessiveSteps() {
        SplittableRandom r = new SplittableRandom(1);
        int n = 2, t = 4, d = 3, h = 5;
        Tensor x = random(r, 1, n, t, d), h0 = random(r, 1, n, h), c0 = random(r, 1, n, h);
        Tensor wx = random(r, 0.5, d, 4 * h), wh = random(r, 0.5, h, 4 * h), b = random(r, 0.5, 4 * h);
        for (Ops ops : ALL) {
            LstmOutput seq = ops.lstmSeq(x, h0, c0, wx, wh, b);
            // a strided (time-major, permuted) view of the same x gives the same result
            Tensor xt = x.permute(1, 0, 2).contiguous().permute(1, 0, 2);
            assertFalse(xt.isContiguous());
            assertArrayEquals(seq.h().toFloatArray(), ops.lstmSeq(xt, h0, c0, wx, wh, b).h().toFloatArray());
            Tensor hp = h0, cp = c0;
            for (int s = 0; s < t; s++) {
                LstmOutput step = ops.lstmStep(x.slice(1, s, s + 1).contiguous().reshape(n, d), hp, cp, wx, wh, b);
                close(step.h().toFloatArray(), seq.h().slice(1, s, s + 1).contiguous().toFloatArray(), 1e-6);
                close(step.c().toFloatArray(), seq.c().slice(1, s, s + 1).contiguous().toFloatArray(), 1e-6);
                hp = step.h();
                cp = step.c();
            }
        }
    }

    @Test
    void lstmStepOverPackedWeightsEqualsThePlainStep() {
        SplittableRandom r = new SplittableRandom(4);
        int n = 3, d = 5, h = 17;
        Tensor x = random(r, 1, n, d), h0 = random(r, 1, n, h), c0 = random(r, 1, n, h);
        Tensor wx = random(r, 0.5, d, 4 * h), wh = random(r, 0.5, h, 4 * h), b = random(r, 0.5, 4 * h);
        for (Ops ops : ALL) {
            LstmOutput plain = ops.lstmStep(x, h0, c0, wx, wh, b);
            var w = ops.lstmPackWeights(wx, wh);
            Tensor hn = Tensor.of(new float[n * h], n, h), cn = Tensor.of(new float[n * h], n, h), g = Tensor.of(new float[n * 4 * h], n, 4 * h);
            ops.lstmStep(x, h0, c0, w, b, hn, cn, g);
            assertArrayEquals(plain.h().toFloatArray(), hn.toFloatArray());
            assertArrayEquals(plain.c().toFloatArray(), cn.toFloatArray());
            assertArrayEquals(plain.gates().toFloatArray(), g.toFloatArray());
            // weights of another size, and weights that are not (D,4H), (H,4H)
            var other = ops.lstmPackWeights(random(r, 0.5, d + 1, 4 * h), wh);
            assertThrows(IllegalArgumentException.class, () -> ops.lstmStep(x, h0, c0, other, b, hn, cn, g));
            assertThrows(IllegalArgumentException.class, () -> ops.lstmPackWeights(wx, random(r, 0.5, h, 3 * h)));
        }
    }

    @Test
    void rnnSequenceEqualsSuccessiveStepsAndStepBackwardMatchesSequenceOfOne() {
        SplittableRandom r = new SplittableRandom(2);
        int n = 3, t = 3, d = 4, h = 6;
        Tensor x = random(r, 1, n, t, d), h0 = random(r, 1, n, h);
        Tensor wx = random(r, 0.5, d, h), wh = random(r, 0.5, h, h), b = random(r, 0.5, h);
        for (Ops ops : ALL) {
            Tensor seq = ops.rnnSeq(x, h0, wx, wh, b);
            Tensor hp = h0;
            for (int s = 0; s < t; s++) {
                hp = ops.rnnStep(x.slice(1, s, s + 1).contiguous().reshape(n, d), hp, wx, wh, b);
                close(hp.toFloatArray(), seq.slice(1, s, s + 1).contiguous().toFloatArray(), 1e-6);
            }
            Tensor x1 = x.slice(1, 0, 1).contiguous(), dh = random(r, 1, n, 1, h);
            Tensor y1 = ops.rnnSeq(x1, h0, wx, wh, b);
            RecurrentGrads gs = ops.rnnSeqBackward(x1, h0, wx, wh, y1, dh);
            Tensor x2 = x1.reshape(n, d), y2 = y1.reshape(n, h);
            RecurrentGrads g1 = ops.rnnStepBackward(x2, h0, wx, wh, y2, dh.reshape(n, h));
            assertArrayEquals(gs.dx().toFloatArray(), g1.dx().toFloatArray());
            assertArrayEquals(gs.dh0().toFloatArray(), g1.dh0().toFloatArray());
            assertArrayEquals(gs.dWh().toFloatArray(), g1.dWh().toFloatArray());
            assertNull(g1.dc0());
        }
    }

    @Test
    void outFormsAccumulateWeightGradsAndThreadsDoNotChangeResults() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 4, t = 5, d = 7, h = 9;
        try (Arena arena = Arena.ofShared()) {
            Ops single = Ops.on(Device.cpu()).with(Parallelism.single());
            Ops two = Ops.on(Device.cpu()).with(Parallelism.threads(2));
            Tensor x = copy(arena, random(r, 1, n, t, d)), h0 = copy(arena, random(r, 1, n, h));
            Tensor wx = copy(arena, random(r, 0.5, d, 4 * h)), wh = copy(arena, random(r, 0.5, h, 4 * h));
            Tensor b = copy(arena, random(r, 0.5, 4 * h)), dh = copy(arena, random(r, 1, n, t, h));
            LstmOutput f1 = single.lstmSeq(x, h0, null, wx, wh, b);
            LstmOutput f2 = two.lstmSeq(x, h0, null, wx, wh, b);
            assertArrayEquals(f1.h().toFloatArray(), f2.h().toFloatArray());
            RecurrentGrads g1 = single.lstmSeqBackward(x, h0, null, wx, wh, f1, dh, null);
            RecurrentGrads g2 = two.lstmSeqBackward(x, h0, null, wx, wh, f2, dh, null);
            assertArrayEquals(g1.dWh().toFloatArray(), g2.dWh().toFloatArray());
            assertArrayEquals(g1.dx().toFloatArray(), g2.dx().toFloatArray());
            Tensor dx = single.allocate(arena, DType.F32, n, t, d), dh0 = single.allocate(arena, DType.F32, n, h);
            Tensor dWx = single.allocate(arena, DType.F32, d, 4 * h), dWh = single.allocate(arena, DType.F32, h, 4 * h);
            Tensor db = single.allocate(arena, DType.F32, 4 * h);
            single.fill(dWx, 1f);
            single.fill(dWh, 1f);
            single.fill(db, 1f);
            single.lstmSeqBackward(x, h0, null, wx, wh, f1, dh, null, dx, dh0, null, dWx, dWh, db);
            assertArrayEquals(g1.dx().toFloatArray(), dx.toFloatArray());
            float[] e = g1.dWx().toFloatArray(), a = dWx.toFloatArray();
            for (int i = 0; i < e.length; i++) assertEquals(e[i] + 1f, a[i], 1e-6f * Math.max(1, Math.abs(e[i])));
            float[] eb = g1.db().toFloatArray(), ab = db.toFloatArray();
            for (int i = 0; i < eb.length; i++) assertEquals(eb[i] + 1f, ab[i], 1e-6f * Math.max(1, Math.abs(eb[i])));
        }
    }

    static Tensor copy(Arena arena, Tensor t) {
        Tensor out = Tensor.allocate(arena, DType.F32, t.shape());
        Ops.on(Device.cpu()).copy(t, out);
        return out;
    }

    @Test
    void recurrentShapesAreCheckedWithMessagesNamingThem() {
        SplittableRandom r = new SplittableRandom(4);
        Ops ops = ALL[1];
        Tensor x = random(r, 1, 2, 3, 4), h0 = random(r, 1, 2, 5), wx = random(r, 1, 4, 20), wh = random(r, 1, 5, 20);
        Tensor b = random(r, 1, 20);
        assertMsg(() -> ops.lstmSeq(x, h0, null, wx, random(r, 1, 5, 16), b),
                "lstmSeq: wh has shape [5, 16] but N=2, T=3, D=4, H=5 needs [5, 20]");
        assertMsg(() -> ops.lstmSeq(x, h0, null, wx, wh, random(r, 1, 16)), "lstmSeq: b has shape [16]");
        assertMsg(() -> ops.lstmSeq(x, random(r, 1, 3, 5), null, wx, wh, b), "lstmSeq: h0 has shape [3, 5] but x=[2, 3, 4] needs [2, H]");
        assertMsg(() -> ops.lstmSeq(x, h0, random(r, 1, 2, 4), wx, wh, b), "lstmSeq: c0 has shape [2, 4]");
        assertMsg(() -> ops.lstmStep(random(r, 1, 2, 4), h0, null, wx, wh, b), "lstmStep: prevC is null");
        assertMsg(() -> ops.rnnSeq(random(r, 1, 2, 4), h0, random(r, 1, 4, 5), random(r, 1, 5, 5), random(r, 1, 5)),
                "rnnSeq: x must be 3-D (N, T, D), got x=[2, 4]");
        assertMsg(() -> ops.rnnStep(random(r, 1, 2, 4), h0, random(r, 1, 4, 5), random(r, 1, 5, 5), random(r, 1, 5),
                random(r, 1, 5, 2).transpose(0, 1)), "rnnStep: nextH [2, 5] with strides [1, 2] is not contiguous");
        LstmOutput f = ops.lstmSeq(x, h0, null, wx, wh, b);
        assertMsg(() -> ops.lstmSeqBackward(x, h0, null, wx, wh, f, random(r, 1, 2, 3, 4), null),
                "lstmSeqBackward: dh has shape [2, 3, 4]");
        assertMsg(() -> ops.lstmSeqBackward(x, h0, null, wx, wh, new LstmOutput(f.h(), f.c(), f.h()), random(r, 1, 2, 3, 5), null),
                "lstmSeqBackward: fwd.gates has shape [2, 3, 5] but N=2, T=3, D=4, H=5 needs [2, 3, 20]");
        assertMsg(() -> ops.rnnSeq(Tensor.ofInts(new int[24], 2, 3, 4), h0, wx, wh, b), "rnnSeq: x must be F32, got I32");
    }

    @Test
    void detectionOps() {
        Tensor a = Tensor.of(new float[] {0, 0, 2, 2, 1, 1, 3, 3}, 2, 4);
        Tensor bx = Tensor.of(new float[] {0, 0, 2, 2, 2, 0, 4, 2, 0, 1, 2, 3}, 3, 4);
        for (Ops ops : ALL) {
            // [0,0,2,2] vs itself 1; vs touching [2,0,4,2] 0; vs [0,1,2,3]: inter 2, union 6
            // [1,1,3,3] vs [0,0,2,2]: inter 1, union 7; vs [2,0,4,2]: inter 1, union 7; vs [0,1,2,3]: inter 2, union 6
            close(new float[] {1, 0, 1 / 3f, 1 / 7f, 1 / 7f, 1 / 3f}, ops.iou(a, bx).toFloatArray(), 1e-7);
            Tensor scores = Tensor.of(new float[] {0.5f, 0.9f, 0.7f}, 3);
            // visit 1, 2, 0: [2,0,4,2] kept; [0,1,2,3] IoU 0 with it, kept; [0,0,2,2] IoU 1/3 with box 2
            assertArrayEquals(new int[] {1, 2, 0}, ops.nms(bx, scores, 0.5f).toIntArray());
            assertArrayEquals(new int[] {1, 2}, ops.nms(bx, scores, 0.3f).toIntArray());
            Tensor anchors = Tensor.of(new float[] {0, 0, 4, 4, 10, 10, 12, 16}, 2, 4);
            Tensor boxes = Tensor.of(new float[] {1, 0.5f, 4.5f, 3, 9, 11, 13, 14}, 2, 4);
            Tensor deltas = ops.encodeBoxes(anchors, boxes, 0.1f, 0.2f);
            // box 0: centre (2.75, 1.75) size (3.5, 2.5) vs anchor centre (2, 2) size (4, 4)
            close(new float[] {0.75f / 4 / 0.1f, -0.25f / 4 / 0.1f, (float) (Math.log(3.5 / 4) / 0.2), (float) (Math.log(2.5 / 4) / 0.2)},
                    java.util.Arrays.copyOf(deltas.toFloatArray(), 4), 1e-6);
            close(boxes.toFloatArray(), ops.decodeBoxes(anchors, deltas, 0.1f, 0.2f).toFloatArray(), 1e-6);
            // out-forms: the same values into a given tensor, and in place (out = the input)
            Tensor out = Tensor.of(new float[8], 2, 4);
            ops.encodeBoxes(anchors, boxes, 0.1f, 0.2f, out);
            assertArrayEquals(deltas.toFloatArray(), out.toFloatArray());
            ops.decodeBoxes(anchors, out, 0.1f, 0.2f, out);
            assertArrayEquals(ops.decodeBoxes(anchors, deltas, 0.1f, 0.2f).toFloatArray(), out.toFloatArray());
            Tensor p = Tensor.of(new float[] {0, 2, -0.25f, 1}, 4), t = Tensor.of(new float[] {0.5f, 0, 0, 1}, 4);
            LossResult l = ops.smoothL1Loss(p, t, 1f);
            // d = -0.5, 2, -0.25, 0: 0.125 + 1.5 + 0.03125 + 0 over 4
            assertEquals((0.125 + 1.5 + 0.03125) / 4, l.loss(), 1e-7);
            close(new float[] {-0.5f / 4, 1f / 4, -0.25f / 4, 0}, l.grad().toFloatArray(), 1e-7);
            LossResult l1 = ops.smoothL1Loss(p, t, 0f, null);
            assertEquals((0.5 + 2 + 0.25) / 4, l1.loss(), 1e-7);
            assertNull(l1.grad());
        }
    }

    @Test
    void detectionBadInput() {
        Ops ops = ALL[1];
        Tensor boxes = Tensor.of(new float[8], 2, 4), scores = Tensor.of(new float[2], 2);
        assertMsg(() -> ops.nms(boxes, scores, 1.5f), "nms: iouThreshold must be in [0, 1], got 1.5");
        assertMsg(() -> ops.nms(boxes, Tensor.of(new float[3], 3), 0.5f), "nms: scores has shape [3] but boxes=[2, 4] needs [2]");
        assertMsg(() -> ops.iou(Tensor.of(new float[6], 2, 3), boxes), "iou: boxesA must be (N, 4) boxes");
        assertMsg(() -> ops.iou(boxes, boxes, Tensor.of(new float[4], 4)), "iou: out has shape [4] but needs [2, 2]");
        assertMsg(() -> ops.decodeBoxes(boxes, Tensor.of(new float[4], 1, 4), 0.1f, 0.2f),
                "decodeBoxes: deltas has shape [1, 4] but anchors=[2, 4] needs [2, 4]");
        assertMsg(() -> ops.encodeBoxes(boxes, boxes, -1f, 0.2f), "encodeBoxes: variances must be finite and > 0");
        assertMsg(() -> ops.encodeBoxes(boxes, boxes, 0.1f, 0.2f, Tensor.of(new float[4], 1, 4)),
                "encodeBoxes: deltas has shape [1, 4] but needs [2, 4]");
        Tensor deltas = Tensor.of(new float[8], 2, 4);
        assertMsg(() -> ops.decodeBoxes(boxes, deltas, 0.1f, 0.2f, boxes), "decodeBoxes: boxes [0, 8) and anchors [0, 8) share memory");
        assertMsg(() -> ops.smoothL1Loss(scores, boxes, 1f), "smoothL1Loss: target has shape [2, 4] but pred has [2]");
        assertMsg(() -> ops.smoothL1Loss(scores, scores, -0.5f), "smoothL1Loss: beta must be finite and >= 0, got -0.5");
    }
}

package io.tensorlane.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every class of bad input of {@link Recurrent} and {@link Detection}, rejected before memory is touched. */
class RecurrentValidationTest {
    static final float SENTINEL = 42f;

    static void rejects(String fragment, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    static MemorySegment filled(Arena a, long n) {
        MemorySegment s = a.allocate(Math.max(1, n) * 4);
        for (long i = 0; i < n; i++) s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, SENTINEL);
        return s;
    }

    static void untouched(MemorySegment s) {
        for (long i = 0; i < s.byteSize() / 4; i++) {
            assertEquals(SENTINEL, s.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i), "written before validation");
        }
    }

    @Test
    void lstmForwardChecksSizesBuffersAndOverlap() {
        int n = 2, t = 3, d = 4, h = 5;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x = filled(a, n * t * d), h0 = filled(a, n * h), wx = filled(a, d * 4 * h), wh = filled(a, h * 4 * h);
            MemorySegment b = filled(a, 4 * h), hOut = filled(a, n * t * h), cOut = filled(a, n * t * h), g = filled(a, n * t * 4 * h);
            MemorySegment shortWh = filled(a, h * 4 * h - 1);
            KernelSet k = Kernels.get();
            Parallelism p = Parallelism.single();
            rejects("lstmForward: H must be > 0", () -> Recurrent.lstmForward(k, n, t, d, 0, x, 0, h0, 0, null, 0, wx, 0, wh, 0,
                    b, 0, hOut, 0, cOut, 0, g, 0, p));
            rejects("lstmForward: wh (H*4H = 100 floats", () -> Recurrent.lstmForward(k, n, t, d, h, x, 0, h0, 0, null, 0, wx, 0,
                    shortWh, 0, b, 0, hOut, 0, cOut, 0, g, 0, p));
            rejects("lstmForward: h [0, 30) and wx", () -> Recurrent.lstmForward(k, n, t, d, h, x, 0, h0, 0, null, 0, wx, 0,
                    wh, 0, b, 0, wx, 0, cOut, 0, g, 0, p));
            rejects("lstmForward: h [0, 30) and c [0, 30) share memory", () -> Recurrent.lstmForward(k, n, t, d, h, x, 0, h0, 0, null, 0, wx, 0,
                    wh, 0, b, 0, hOut, 0, hOut, 0, g, 0, p));
            rejects("lstmForward: par is null", () -> Recurrent.lstmForward(k, n, t, d, h, x, 0, h0, 0, null, 0, wx, 0,
                    wh, 0, b, 0, hOut, 0, cOut, 0, g, 0, null));
            rejects("exceed the int range", () -> Recurrent.lstmForward(k, 1 << 16, 1 << 16, d, h, x, 0, h0, 0, null, 0, wx, 0,
                    wh, 0, b, 0, hOut, 0, cOut, 0, g, 0, p));
            for (MemorySegment s : new MemorySegment[] {hOut, cOut, g}) untouched(s);
        }
    }

    @Test
    void rnnBackwardChecksTheWorkspace() {
        int n = 2, t = 3, d = 4, h = 5;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x = filled(a, n * t * d), h0 = filled(a, n * h), wx = filled(a, d * h), wh = filled(a, h * h);
            MemorySegment hy = filled(a, n * t * h), dh = filled(a, n * t * h), dx = filled(a, n * t * d), dh0 = filled(a, n * h);
            MemorySegment dwx = filled(a, d * h), dwh = filled(a, h * h), db = filled(a, h);
            MemorySegment ws = filled(a, Recurrent.rnnBackwardWorkspace(n, t, h) - 1);
            rejects("rnnBackward: ws (2*N*T*H = 60 floats", () -> Recurrent.rnnBackward(Kernels.get(), n, t, d, h, x, 0, h0, 0,
                    wx, 0, wh, 0, hy, 0, dh, 0, dx, 0, dh0, 0, dwx, 0, dwh, 0, db, 0, ws, 0, Parallelism.single()));
            for (MemorySegment s : new MemorySegment[] {dx, dh0, dwx, dwh, db, ws}) untouched(s);
        }
    }

    @Test
    void detectionRejectsBadThresholdsScoresAndParameters() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment boxes = filled(a, 8), scores = filled(a, 2), keep = a.allocate(8), out = filled(a, 4);
            KernelSet k = Kernels.get();
            for (float thr : new float[] {-0.1f, 1.01f, Float.NaN}) {
                rejects("nms: iouThreshold must be in [0, 1], got " + thr,
                        () -> Detection.nms(k, 2, boxes, 0, scores, 0, thr, keep, 0));
            }
            scores.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 1, Float.NaN);
            rejects("nms: scores[1] is NaN", () -> Detection.nms(k, 2, boxes, 0, scores, 0, 0.5f, keep, 0));
            rejects("nms: keep (room for N=2 indices)", () -> Detection.nms(k, 2, boxes, 0, scores, 0, 0.5f, keep, 1));
            rejects("iou: boxesB (M*4 floats, M=3)", () -> Detection.iou(k, 1, 3, boxes, 0, boxes, 0, out, 0));
            rejects("iou: out [0, 4) and boxesA", () -> Detection.iou(k, 2, 2, boxes, 0, boxes, 0, boxes, 0));
            rejects("smoothL1Loss: beta must be finite and >= 0, got -1.0",
                    () -> Detection.smoothL1(k, 2, -1f, boxes, 0, boxes, 4, null, 0));
            rejects("smoothL1Loss: n must be > 0", () -> Detection.smoothL1(k, 0, 1f, boxes, 0, boxes, 4, null, 0));
            rejects("encodeBoxes: variances must be finite and > 0",
                    () -> Detection.encodeBoxes(k, 1, 0f, 0.2f, boxes, 0, boxes, 4, out, 0));
            rejects("decodeBoxes: boxes [0, 4) and deltas [1, 5) overlap partially",
                    () -> Detection.decodeBoxes(k, 1, 0.1f, 0.2f, out, 0, boxes, 1, boxes, 0));
            untouched(out);
        }
    }
}

package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.DetectionKernels;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Scalar reference twin of {@link DetectionKernels}. IoU is evaluated in float with exactly the
 * operations the interface documents (no fused multiply-add), so that an IoU of exactly 0.5 stays
 * exactly 0.5 and NMS's "strictly greater" rule gives the same answer as the SIMD version.
 */
public final class ScalarDetection implements DetectionKernels {
    /** log(1000/16): the largest log-scale a decoded box may take (torchvision's BoxCoder). */
    public static final float SIZE_CLIP = (float) Math.log(1000.0 / 16);

    @Override
    public void iou(int n, int m, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) {
            float ax1 = a.getAtIndex(JAVA_FLOAT, aOff + 4L * i), ay1 = a.getAtIndex(JAVA_FLOAT, aOff + 4L * i + 1);
            float ax2 = a.getAtIndex(JAVA_FLOAT, aOff + 4L * i + 2), ay2 = a.getAtIndex(JAVA_FLOAT, aOff + 4L * i + 3);
            float areaA = (ax2 - ax1) * (ay2 - ay1);
            for (int j = 0; j < m; j++) {
                float bx1 = b.getAtIndex(JAVA_FLOAT, bOff + 4L * j), by1 = b.getAtIndex(JAVA_FLOAT, bOff + 4L * j + 1);
                float bx2 = b.getAtIndex(JAVA_FLOAT, bOff + 4L * j + 2), by2 = b.getAtIndex(JAVA_FLOAT, bOff + 4L * j + 3);
                float areaB = (bx2 - bx1) * (by2 - by1);
                out.setAtIndex(JAVA_FLOAT, outOff + (long) i * m + j,
                        iou(ax1, ay1, ax2, ay2, areaA, bx1, by1, bx2, by2, areaB));
            }
        }
    }

    /** One IoU in the documented order of float operations (the SIMD tails use it too). */
    public static float iou(float ax1, float ay1, float ax2, float ay2, float areaA,
                     float bx1, float by1, float bx2, float by2, float areaB) {
        float iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
        float ih = Math.min(ay2, by2) - Math.max(ay1, by1);
        iw = iw > 0f ? iw : 0f;
        ih = ih > 0f ? ih : 0f;
        float inter = iw * ih;
        float union = areaA + areaB - inter;
        return union > 0f ? inter / union : 0f;
    }

    @Override
    public int nms(int n, MemorySegment boxes, long bOff, MemorySegment scores, long sOff, float threshold,
                   MemorySegment keep, long keepOff) {
        int[] ord = visitingOrder(n, scores, sOff);
        boolean[] suppressed = new boolean[n];
        int kept = 0;
        for (int p = 0; p < n; p++) {
            if (suppressed[p]) continue;
            int i = ord[p];
            keep.setAtIndex(JAVA_INT, keepOff + kept++, i);
            long bi = bOff + 4L * i;
            float ax1 = boxes.getAtIndex(JAVA_FLOAT, bi), ay1 = boxes.getAtIndex(JAVA_FLOAT, bi + 1);
            float ax2 = boxes.getAtIndex(JAVA_FLOAT, bi + 2), ay2 = boxes.getAtIndex(JAVA_FLOAT, bi + 3);
            float areaA = (ax2 - ax1) * (ay2 - ay1);
            for (int q = p + 1; q < n; q++) {
                if (suppressed[q]) continue;
                long bj = bOff + 4L * ord[q];
                float bx1 = boxes.getAtIndex(JAVA_FLOAT, bj), by1 = boxes.getAtIndex(JAVA_FLOAT, bj + 1);
                float bx2 = boxes.getAtIndex(JAVA_FLOAT, bj + 2), by2 = boxes.getAtIndex(JAVA_FLOAT, bj + 3);
                float areaB = (bx2 - bx1) * (by2 - by1);
                if (iou(ax1, ay1, ax2, ay2, areaA, bx1, by1, bx2, by2, areaB) > threshold) suppressed[q] = true;
            }
        }
        return kept;
    }

    /**
     * Indices by decreasing score, ties by lower index: sorts one long per box whose high half orders
     * the scores (descending) and whose low half is the index, so no comparator and no boxing.
     * Scores must not be NaN (the entry point rejects them).
     */
    public static int[] visitingOrder(int n, MemorySegment scores, long sOff) {
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            float s = scores.getAtIndex(JAVA_FLOAT, sOff + i);
            if (s == 0f) s = 0f; // -0 and +0 are the same score
            int bits = Float.floatToRawIntBits(s);
            int ascending = bits >= 0 ? bits : bits ^ 0x7fffffff; // a signed int that orders like the float
            keys[i] = ((long) ~ascending << 32) | i;              // ~ flips the order: high score first
        }
        Arrays.sort(keys);
        int[] ord = new int[n];
        for (int p = 0; p < n; p++) ord[p] = (int) keys[p];
        return ord;
    }

    @Override
    public void encodeBoxes(int n, float centerVariance, float sizeVariance, MemorySegment anchors, long aOff,
                            MemorySegment boxes, long bOff, MemorySegment deltas, long dOff) {
        for (int i = 0; i < n; i++) {
            long a = aOff + 4L * i, b = bOff + 4L * i, d = dOff + 4L * i;
            float aw = anchors.getAtIndex(JAVA_FLOAT, a + 2) - anchors.getAtIndex(JAVA_FLOAT, a);
            float ah = anchors.getAtIndex(JAVA_FLOAT, a + 3) - anchors.getAtIndex(JAVA_FLOAT, a + 1);
            float acx = anchors.getAtIndex(JAVA_FLOAT, a) + 0.5f * aw, acy = anchors.getAtIndex(JAVA_FLOAT, a + 1) + 0.5f * ah;
            float gw = boxes.getAtIndex(JAVA_FLOAT, b + 2) - boxes.getAtIndex(JAVA_FLOAT, b);
            float gh = boxes.getAtIndex(JAVA_FLOAT, b + 3) - boxes.getAtIndex(JAVA_FLOAT, b + 1);
            float gcx = boxes.getAtIndex(JAVA_FLOAT, b) + 0.5f * gw, gcy = boxes.getAtIndex(JAVA_FLOAT, b + 1) + 0.5f * gh;
            deltas.setAtIndex(JAVA_FLOAT, d, (gcx - acx) / aw / centerVariance);
            deltas.setAtIndex(JAVA_FLOAT, d + 1, (gcy - acy) / ah / centerVariance);
            deltas.setAtIndex(JAVA_FLOAT, d + 2, (float) Math.log(gw / aw) / sizeVariance);
            deltas.setAtIndex(JAVA_FLOAT, d + 3, (float) Math.log(gh / ah) / sizeVariance);
        }
    }

    @Override
    public void decodeBoxes(int n, float centerVariance, float sizeVariance, MemorySegment anchors, long aOff,
                            MemorySegment deltas, long dOff, MemorySegment boxes, long bOff) {
        for (int i = 0; i < n; i++) {
            long a = aOff + 4L * i, b = bOff + 4L * i, d = dOff + 4L * i;
            float aw = anchors.getAtIndex(JAVA_FLOAT, a + 2) - anchors.getAtIndex(JAVA_FLOAT, a);
            float ah = anchors.getAtIndex(JAVA_FLOAT, a + 3) - anchors.getAtIndex(JAVA_FLOAT, a + 1);
            float acx = anchors.getAtIndex(JAVA_FLOAT, a) + 0.5f * aw, acy = anchors.getAtIndex(JAVA_FLOAT, a + 1) + 0.5f * ah;
            float cx = deltas.getAtIndex(JAVA_FLOAT, d) * centerVariance * aw + acx;
            float cy = deltas.getAtIndex(JAVA_FLOAT, d + 1) * centerVariance * ah + acy;
            float w = (float) Math.exp(Math.min(deltas.getAtIndex(JAVA_FLOAT, d + 2) * sizeVariance, SIZE_CLIP)) * aw;
            float hh = (float) Math.exp(Math.min(deltas.getAtIndex(JAVA_FLOAT, d + 3) * sizeVariance, SIZE_CLIP)) * ah;
            boxes.setAtIndex(JAVA_FLOAT, b, cx - 0.5f * w);
            boxes.setAtIndex(JAVA_FLOAT, b + 1, cy - 0.5f * hh);
            boxes.setAtIndex(JAVA_FLOAT, b + 2, cx + 0.5f * w);
            boxes.setAtIndex(JAVA_FLOAT, b + 3, cy + 0.5f * hh);
        }
    }

    @Override
    public double smoothL1(long n, float beta, MemorySegment pred, long pOff, MemorySegment target, long tOff,
                           MemorySegment grad, long gOff) {
        double sum = 0;
        float invN = (float) (1.0 / n);
        for (long i = 0; i < n; i++) {
            float d = pred.getAtIndex(JAVA_FLOAT, pOff + i) - target.getAtIndex(JAVA_FLOAT, tOff + i);
            float ad = Math.abs(d);
            if (ad < beta) {
                sum += 0.5 * d * d / beta;
            } else {
                sum += ad - 0.5 * beta;
            }
            if (grad != null) {
                float g = ad < beta ? d / beta : Math.signum(d);
                grad.setAtIndex(JAVA_FLOAT, gOff + i, g * invN);
            }
        }
        return sum / n;
    }
}

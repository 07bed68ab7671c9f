package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Validating entry points of the detection family (see {@link DetectionKernels} for the exact float
 * semantics). Boxes are contiguous rows {@code (x1, y1, x2, y2)}, continuous coordinates (no +1), as
 * torchvision. Every check happens before anything is written; failures are
 * {@link IllegalArgumentException}s naming the op, the argument and the sizes.
 */
public final class Detection {
    private Detection() {
    }

    /** Pairwise IoU: {@code a (N,4)}, {@code b (M,4)} → {@code out (N,M)}. */
    public static void iou(KernelSet k, int n, int m, MemorySegment a, long aOff, MemorySegment b, long bOff,
                           MemorySegment out, long outOff) {
        String op = "iou";
        notNull(op, k);
        Checks.nonNegative(op, "N", n);
        Checks.nonNegative(op, "M", m);
        long nm = (long) n * m;
        Checks.floats(op, "boxesA (N*4 floats, N=" + n + ")", a, aOff, 4L * n);
        Checks.floats(op, "boxesB (M*4 floats, M=" + m + ")", b, bOff, 4L * m);
        Checks.floats(op, "out (N*M floats, N=" + n + ", M=" + m + ")", out, outOff, nm);
        Checks.disjoint(op, "out", out, outOff, nm, Float.BYTES, "boxesA", a, aOff, 4L * n, Float.BYTES);
        Checks.disjoint(op, "out", out, outOff, nm, Float.BYTES, "boxesB", b, bOff, 4L * m, Float.BYTES);
        if (nm == 0) return;
        k.detection().iou(n, m, a, aOff, b, bOff, out, outOff);
    }

    /** {@link #iou(KernelSet, int, int, MemorySegment, long, MemorySegment, long, MemorySegment, long)} with the selected kernels. */
    public static void iou(int n, int m, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        iou(Kernels.get(), n, m, a, aOff, b, bOff, out, outOff);
    }

    /**
     * Greedy NMS (torchvision {@code nms}): boxes {@code (N,4)}, scores {@code (N)} (not NaN), threshold in
     * [0, 1]; a box is dropped when its IoU with a kept box is strictly greater than the threshold. Writes
     * the kept indices by decreasing score into {@code keep} (int32, room for N) and returns their count.
     */
    public static int nms(KernelSet k, int n, MemorySegment boxes, long bOff, MemorySegment scores, long sOff,
                          float threshold, MemorySegment keep, long keepOff) {
        String op = "nms";
        notNull(op, k);
        Checks.nonNegative(op, "N", n);
        if (!(threshold >= 0f && threshold <= 1f)) {
            throw new IllegalArgumentException(op + ": iouThreshold must be in [0, 1], got " + threshold);
        }
        Checks.floats(op, "boxes (N*4 floats, N=" + n + ")", boxes, bOff, 4L * n);
        Checks.floats(op, "scores (N floats, N=" + n + ")", scores, sOff, n);
        Checks.ints(op, "keep (room for N=" + n + " indices)", keep, keepOff, n);
        Checks.disjoint(op, "keep", keep, keepOff, n, Integer.BYTES, "boxes", boxes, bOff, 4L * n, Float.BYTES);
        Checks.disjoint(op, "keep", keep, keepOff, n, Integer.BYTES, "scores", scores, sOff, n, Float.BYTES);
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(scores.getAtIndex(JAVA_FLOAT, sOff + i))) {
                throw new IllegalArgumentException(op + ": scores[" + i + "] is NaN (N=" + n + ")");
            }
        }
        if (n == 0) return 0;
        return k.detection().nms(n, boxes, bOff, scores, sOff, threshold, keep, keepOff);
    }

    /** {@link #nms(KernelSet, int, MemorySegment, long, MemorySegment, long, float, MemorySegment, long)} with the selected kernels. */
    public static int nms(int n, MemorySegment boxes, long bOff, MemorySegment scores, long sOff, float threshold,
                          MemorySegment keep, long keepOff) {
        return nms(Kernels.get(), n, boxes, bOff, scores, sOff, threshold, keep, keepOff);
    }

    /**
     * Regression targets of boxes {@code (N,4)} against anchors {@code (N,4)} → deltas {@code (N,4)}:
     * {@code ((gcx-acx)/aw/cv, (gcy-acy)/ah/cv, log(gw/aw)/sv, log(gh/ah)/sv)}. SSD uses cv = 0.1,
     * sv = 0.2; Faster R-CNN's weights (10, 10, 5, 5) are the same with cv = 0.1, sv = 0.2; cv = sv = 1
     * gives the plain deltas. Variances must be finite and positive.
     */
    public static void encodeBoxes(KernelSet k, int n, float centerVariance, float sizeVariance,
                                   MemorySegment anchors, long aOff, MemorySegment boxes, long bOff,
                                   MemorySegment deltas, long dOff) {
        String op = "encodeBoxes";
        coder(op, k, n, centerVariance, sizeVariance, anchors, aOff, "boxes", boxes, bOff, "deltas", deltas, dOff);
        if (n == 0) return;
        k.detection().encodeBoxes(n, centerVariance, sizeVariance, anchors, aOff, boxes, bOff, deltas, dOff);
    }

    /** Inverse of {@link #encodeBoxes}: deltas {@code (N,4)} applied to anchors → boxes {@code (N,4)}. */
    public static void decodeBoxes(KernelSet k, int n, float centerVariance, float sizeVariance,
                                   MemorySegment anchors, long aOff, MemorySegment deltas, long dOff,
                                   MemorySegment boxes, long bOff) {
        String op = "decodeBoxes";
        coder(op, k, n, centerVariance, sizeVariance, anchors, aOff, "deltas", deltas, dOff, "boxes", boxes, bOff);
        if (n == 0) return;
        k.detection().decodeBoxes(n, centerVariance, sizeVariance, anchors, aOff, deltas, dOff, boxes, bOff);
    }

    private static void coder(String op, KernelSet k, int n, float cv, float sv, MemorySegment anchors, long aOff,
                              String inName, MemorySegment in, long inOff, String outName, MemorySegment out, long outOff) {
        notNull(op, k);
        Checks.nonNegative(op, "N", n);
        if (!(cv > 0f) || Float.isInfinite(cv) || !(sv > 0f) || Float.isInfinite(sv)) {
            throw new IllegalArgumentException(op + ": variances must be finite and > 0, got centerVariance=" + cv
                    + ", sizeVariance=" + sv);
        }
        long len = 4L * n;
        Checks.floats(op, "anchors (N*4 floats, N=" + n + ")", anchors, aOff, len);
        Checks.floats(op, inName + " (N*4 floats, N=" + n + ")", in, inOff, len);
        Checks.floats(op, outName + " (N*4 floats, N=" + n + ")", out, outOff, len);
        Checks.disjointOrSame(op, outName, out, outOff, len, inName, in, inOff, len);
        Checks.disjoint(op, outName, out, outOff, len, Float.BYTES, "anchors", anchors, aOff, len, Float.BYTES);
    }

    /**
     * Smooth-L1 loss, mean over n elements (PyTorch {@code smooth_l1_loss(reduction='mean', beta)}),
     * beta &gt;= 0 (0 is the L1 loss); writes {@code dLoss/dpred} into grad unless it is null.
     */
    public static double smoothL1(KernelSet k, long n, float beta, MemorySegment pred, long pOff,
                                  MemorySegment target, long tOff, MemorySegment grad, long gOff) {
        String op = "smoothL1Loss";
        notNull(op, k);
        Checks.positive(op, "n", n);
        if (!(beta >= 0f) || Float.isInfinite(beta)) {
            throw new IllegalArgumentException(op + ": beta must be finite and >= 0, got " + beta);
        }
        Checks.floats(op, "pred (n=" + n + ")", pred, pOff, n);
        Checks.floats(op, "target (n=" + n + ")", target, tOff, n);
        if (grad != null) {
            Checks.floats(op, "grad (n=" + n + ")", grad, gOff, n);
            Checks.disjointOrSame(op, "grad", grad, gOff, n, "pred", pred, pOff, n);
            Checks.disjointOrSame(op, "grad", grad, gOff, n, "target", target, tOff, n);
        }
        return k.detection().smoothL1(n, beta, pred, pOff, target, tOff, grad, gOff);
    }

    private static void notNull(String op, KernelSet k) {
        if (k == null) throw new IllegalArgumentException(op + ": kernel set is null");
    }
}

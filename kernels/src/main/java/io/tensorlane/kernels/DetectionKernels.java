package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Box kernels for object detection. Boxes are rows of 4 floats {@code (x1, y1, x2, y2)} in continuous
 * coordinates (no +1), contiguous. Offsets count elements. Unchecked: see {@link Detection}.
 */
public interface DetectionKernels {
    /**
     * Pairwise IoU, {@code out[i, j] = iou(a[i], b[j])}, out n x m contiguous. Per pair, in float:
     * {@code inter = max(0, min(ax2,bx2) - max(ax1,bx1)) * max(0, min(ay2,by2) - max(ay1,by1))},
     * {@code iou = inter / (areaA + areaB - inter)} (torchvision {@code box_iou}); 0 when the union is 0.
     */
    void iou(int n, int m, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /**
     * Greedy NMS: visits boxes by decreasing score (ties: lower index first), keeps a box unless its IoU
     * (computed as in {@link #iou}) with an already kept box is strictly greater than {@code threshold}.
     * Writes the kept indices, in the order kept, to {@code keep} (int32, room for n) and returns their
     * count. Scores must not be NaN. Allocates its O(n) working arrays once per call.
     */
    int nms(int n, MemorySegment boxes, long bOff, MemorySegment scores, long sOff, float threshold,
            MemorySegment keep, long keepOff);

    /**
     * Anchor-relative regression targets (SSD / Faster R-CNN): with centre form (cx, cy, w, h),
     * {@code d = ((gcx-acx)/aw/cv, (gcy-acy)/ah/cv, log(gw/aw)/sv, log(gh/ah)/sv)}.
     */
    void encodeBoxes(int n, float centerVariance, float sizeVariance, MemorySegment anchors, long aOff,
                     MemorySegment boxes, long bOff, MemorySegment deltas, long dOff);

    /**
     * Inverse of {@link #encodeBoxes}: {@code cx = dx*cv*aw + acx}, {@code w = exp(min(dw*sv, clip))*aw},
     * back to corners. {@code clip = log(1000/16)} as torchvision's BoxCoder, so that a wild delta cannot
     * overflow.
     */
    void decodeBoxes(int n, float centerVariance, float sizeVariance, MemorySegment anchors, long aOff,
                     MemorySegment deltas, long dOff, MemorySegment boxes, long bOff);

    /**
     * Smooth-L1 (Huber-like, PyTorch {@code smooth_l1_loss}, mean over n): per element d = pred - target,
     * {@code |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta}; beta == 0 is the L1 loss. Writes
     * {@code grad = dLoss/dpred} ({@code d/beta} or {@code sign(d)}, divided by n) when grad is not null.
     * Returns the mean loss (accumulated in double).
     */
    double smoothL1(long n, float beta, MemorySegment pred, long pOff, MemorySegment target, long tOff,
                    MemorySegment grad, long gOff);
}

package io.tensorlane.runtime;

import io.tensorlane.kernels.Checks;
import io.tensorlane.kernels.Detection;
import io.tensorlane.kernels.KernelSet;
import java.util.Arrays;

/**
 * Tensor-level validation and dispatch of the detection ops behind {@link Ops}: IoU matrices, NMS, box
 * encode/decode and the smooth-L1 loss (semantics in {@link Detection}). Boxes are F32 (N, 4) rows
 * {@code (x1, y1, x2, y2)}. Strided inputs are copied first; outputs must be contiguous. These run on the
 * calling thread (their cost is small next to the network that produces the boxes).
 */
final class DetectionOps {
    private DetectionOps() {
    }

    private static String s(Tensor t) {
        return Arrays.toString(t.shape());
    }

    private static Tensor f32(String op, String arg, Tensor t) {
        if (t == null) throw new IllegalArgumentException(op + ": " + arg + " is null");
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": " + arg + " must be F32, got " + t.dtype() + " (" + arg + "=" + s(t) + ")");
        }
        return t;
    }

    /** (N, 4) boxes; returns N. */
    private static int boxes(String op, String arg, Tensor t) {
        f32(op, arg, t);
        if (t.rank() != 2 || t.dim(1) != 4) {
            throw new IllegalArgumentException(op + ": " + arg + " must be (N, 4) boxes (x1, y1, x2, y2), got " + arg + "=" + s(t));
        }
        if (t.dim(0) > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException(op + ": " + arg + "=" + s(t) + " has too many boxes");
        }
        return (int) t.dim(0);
    }

    private static void out(String op, String arg, Tensor t, DType dtype, long... shape) {
        if (t == null) throw new IllegalArgumentException(op + ": " + arg + " is null");
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": " + arg + " must be " + dtype + ", got " + t.dtype() + " (" + arg + "=" + s(t) + ")");
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + arg + " has shape " + s(t) + " but needs " + Arrays.toString(shape));
        }
        if (!t.isContiguous()) throw new IllegalArgumentException(op + ": " + arg + " " + s(t) + " is not contiguous");
        if (t.segment().isReadOnly()) throw new IllegalArgumentException(op + ": " + arg + " " + s(t) + " is read-only");
    }

    static Tensor iou(KernelSet k, Tensor a, Tensor b, Tensor out) {
        String op = "iou";
        int n = boxes(op, "boxesA", a), m = boxes(op, "boxesB", b);
        if ((long) n * m > Integer.MAX_VALUE - 8 && out == null && a.arena().isEmpty()) {
            throw new IllegalArgumentException(op + ": an (" + n + ", " + m + ") heap result exceeds a Java array");
        }
        if (out == null) {
            out = Tensor.allocateLike(a, DType.F32, n, m);
        } else {
            out(op, "out", out, DType.F32, n, m);
        }
        noOverlap(op, "out", out, "boxesA", a, false);
        noOverlap(op, "out", out, "boxesB", b, false);
        Tensor ca = a.contiguousScratch(), cb = b.contiguousScratch(), co = out.nativeOutput(false);
        Detection.iou(k, n, m, ca.segment(), ca.offset(), cb.segment(), cb.offset(), co.segment(), co.offset());
        out.copyBack(co);
        Tensor.releaseCopy(a, ca);
        Tensor.releaseCopy(b, cb);
        return out;
    }

    static Tensor nms(KernelSet k, Tensor boxes, Tensor scores, float threshold) {
        String op = "nms";
        int n = boxes(op, "boxes", boxes);
        f32(op, "scores", scores);
        if (scores.rank() != 1 || scores.dim(0) != n) {
            throw new IllegalArgumentException(op + ": scores has shape " + s(scores) + " but boxes=" + s(boxes) + " needs [" + n + "]");
        }
        Tensor cb = boxes.contiguousScratch(), cs = scores.contiguousScratch();
        Tensor keep = Tensor.scratch(DType.I32, n);
        int kept = Detection.nms(k, n, cb.segment(), cb.offset(), cs.segment(), cs.offset(), threshold, keep.segment(), keep.offset());
        Tensor result = Tensor.allocateLike(boxes, DType.I32, kept);
        for (int i = 0; i < kept; i++) result.setInt(keep.getInt(i), i);
        return result;
    }

    static Tensor boxCoding(KernelSet k, boolean encode, Tensor anchors, Tensor in, float cv, float sv, Tensor out) {
        String op = encode ? "encodeBoxes" : "decodeBoxes";
        String inName = encode ? "boxes" : "deltas";
        int n = boxes(op, "anchors", anchors);
        int m = boxes(op, inName, in);
        if (m != n) {
            throw new IllegalArgumentException(op + ": " + inName + " has shape " + s(in) + " but anchors=" + s(anchors)
                    + " needs [" + n + ", 4]");
        }
        if (out == null) {
            out = Tensor.allocateLike(in, DType.F32, n, 4);
        } else {
            out(op, encode ? "deltas" : "boxes", out, DType.F32, n, 4);
        }
        String outName = encode ? "deltas" : "boxes";
        noOverlap(op, outName, out, inName, in, true);
        noOverlap(op, outName, out, "anchors", anchors, false);
        Tensor ca = anchors.contiguousScratch(), ci = in.contiguousScratch(), co = out.nativeOutput(false);
        if (encode) {
            Detection.encodeBoxes(k, n, cv, sv, ca.segment(), ca.offset(), ci.segment(), ci.offset(), co.segment(), co.offset());
        } else {
            Detection.decodeBoxes(k, n, cv, sv, ca.segment(), ca.offset(), ci.segment(), ci.offset(), co.segment(), co.offset());
        }
        out.copyBack(co);
        Tensor.releaseCopy(anchors, ca);
        Tensor.releaseCopy(in, ci);
        return out;
    }

    static LossResult smoothL1(KernelSet k, Tensor pred, Tensor target, float beta, Tensor dpred, boolean allocate) {
        String op = "smoothL1Loss";
        f32(op, "pred", pred);
        f32(op, "target", target);
        if (!Arrays.equals(pred.shape(), target.shape())) {
            throw new IllegalArgumentException(op + ": target has shape " + s(target) + " but pred has " + s(pred));
        }
        if (pred.numel() == 0) throw new IllegalArgumentException(op + ": pred is empty (pred=" + s(pred) + ")");
        if (allocate) {
            dpred = Tensor.allocateLike(pred, DType.F32, pred.shape());
        } else if (dpred != null) {
            out(op, "dpred", dpred, DType.F32, pred.shape());
        }
        noOverlap(op, "grad", dpred, "pred", pred, true);
        noOverlap(op, "grad", dpred, "target", target, true);
        Tensor cp = pred.contiguousScratch(), ct = target.contiguousScratch();
        Tensor g = dpred == null ? null : dpred.nativeOutput(false);
        double loss = Detection.smoothL1(k, pred.numel(), beta, cp.segment(), cp.offset(), ct.segment(), ct.offset(),
                g == null ? null : g.segment(), g == null ? 0 : g.offset());
        if (dpred != null) dpred.copyBack(g);
        Tensor.releaseCopy(pred, cp);
        Tensor.releaseCopy(target, ct);
        return new LossResult(loss, dpred);
    }

    /**
     * The kernels' overlap checks, on the caller's tensors: the kernels read native copies of heap inputs
     * (see {@link Tensor}), whose memory never overlaps anything. A strided input is copied before
     * anything is written, so only contiguous ones are checked (as before).
     */
    private static void noOverlap(String op, String outName, Tensor out, String inName, Tensor in, boolean sameAllowed) {
        if (out == null || in == null || !in.isContiguous()) return;
        if (sameAllowed) {
            Checks.disjointOrSame(op, outName, out.segment(), out.offset(), out.numel(), inName, in.segment(), in.offset(), in.numel());
        } else {
            Checks.disjoint(op, outName, out.segment(), out.offset(), out.numel(), (int) out.dtype().byteSize(),
                    inName, in.segment(), in.offset(), in.numel(), (int) in.dtype().byteSize());
        }
    }
}

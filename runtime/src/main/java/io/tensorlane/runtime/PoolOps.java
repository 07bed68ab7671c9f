package io.tensorlane.runtime;

import io.tensorlane.kernels.Checks;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Pool2dDesc;
import io.tensorlane.kernels.PoolKernels;
import io.tensorlane.kernels.Pooling;
import io.tensorlane.kernels.RoiPoolDesc;

import java.util.Arrays;

/**
 * Validation and dispatch of the pooling ops behind {@link Ops}' public pooling methods (issue 5):
 * shapes and dtypes are checked, strided inputs copied, outputs allocated or checked, index tensors
 * range-checked, all before anything is written; then the device's {@link PoolKernels} run over chunks
 * of whole planes (fixed by the shape, so results do not depend on the thread count).
 */
final class PoolOps {
    /** Never the owner of a confined segment (never started): probes whether pool threads may access one. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    private PoolOps() {
    }

    // ------------------------------------------------------------------ helpers

    private static String s(Tensor t) {
        return Tensor.compact(t.shape());
    }

    private static String s(long[] shape) {
        return Tensor.compact(shape);
    }

    private static Tensor typed(String op, String arg, Tensor t, DType dtype) {
        if (t == null) throw new IllegalArgumentException(op + ": " + arg + " is null");
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": " + arg + " must be " + dtype + ", got " + t.dtype() + " (" + arg + "=" + s(t) + ")");
        }
        return t;
    }

    private static Tensor nchw(String op, String arg, Tensor t, DType dtype) {
        typed(op, arg, t, dtype);
        if (t.rank() != 4) {
            throw new IllegalArgumentException(op + ": " + arg + " must be 4-D (N, C, H, W), got " + arg + "=" + s(t));
        }
        return t;
    }

    private static void shape(String op, String arg, Tensor t, long[] expected, String relation) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(op + ": " + arg + " has shape " + s(t) + " but " + relation + " " + s(expected));
        }
    }

    /** A contiguous, writable output of the given dtype and shape, or a new one "like" {@code like} when null. */
    private static Tensor out(String op, String arg, Tensor t, DType dtype, long[] shape, Tensor like, String relation) {
        if (t == null) return Tensor.allocateLike(like, dtype, shape);
        typed(op, arg, t, dtype);
        shape(op, arg, t, shape, relation);
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(op + ": " + arg + " " + s(t) + " with strides " + Arrays.toString(t.strides())
                    + " is not contiguous");
        }
        if (t.segment().isReadOnly()) throw new IllegalArgumentException(op + ": " + arg + " " + s(t) + " is read-only");
        return t;
    }

    /** Contiguous output {@code o} shares no memory with contiguous input {@code i}. */
    private static void apart(String op, String oName, Tensor o, String iName, Tensor i) {
        // on the caller's tensors (the kernels may read native copies); a strided input is copied before anything is written
        if (!i.isContiguous()) return;
        Checks.disjoint(op, oName, o.segment(), o.offset(), o.numel(), (int) o.dtype().byteSize(),
                iName, i.segment(), i.offset(), i.numel(), (int) i.dtype().byteSize());
    }

    /** Caller-only when any tensor is confined to a thread (other threads may not touch it). */
    private static Parallelism par(Ops ops, Tensor... ts) {
        Parallelism p = ops.parallelism();
        if (p.isSingle()) return p;
        for (Tensor t : ts) {
            if (t != null && !t.segment().isAccessibleBy(OTHER_THREAD)) return Parallelism.single();
        }
        return p;
    }

    private static PoolKernels k(Ops ops) {
        return ops.device().kernels().pool();
    }

    private static long[] xShape(String op, long[] xShape) {
        if (xShape == null || xShape.length != 4) {
            throw new IllegalArgumentException(op + ": xShape must be 4-D (N, C, H, W), got "
                    + (xShape == null ? "null" : Arrays.toString(xShape)));
        }
        Checks.numel(op, "xShape", xShape);
        return xShape.clone();
    }

    // ------------------------------------------------------------------ max pool

    static PoolResult maxPool2d(Ops ops, Tensor x, Pool2dDesc d, Tensor out, Tensor indices) {
        String op = "max_pool2d";
        nchw(op, "x", x, DType.F32);
        desc(op, d);
        long[] os = d.outputShape(op, x.shape());
        String rel = "x=" + s(x) + " pooled by " + d + " gives";
        Tensor o = out(op, "out", out, DType.F32, os, x, rel);
        Tensor ix = out(op, "indices", indices, DType.I32, os, x, rel);
        Tensor cx = x.contiguousScratch();
        apart(op, "out", o, "x", x);
        apart(op, "indices", ix, "x", x);
        apart(op, "indices", ix, "out", o);
        long h = x.dim(2), w = x.dim(3), ohw = os[2] * os[3];
        PoolKernels k = k(ops);
        Tensor no = o.nativeOutput(true);
        Tensor nix = ix.nativeOutput(true);
        par(ops, cx, no, nix).parallelFor(0, os[0] * os[1], Pooling.planeGrain(h * w), (p0, p1) -> k.maxPool2d(p1 - p0, h, w, d,
                cx.segment(), cx.offset() + p0 * h * w, no.segment(), no.offset() + p0 * ohw, nix.segment(), nix.offset() + p0 * ohw));
        Tensor.copyBackAll(o, no, ix, nix);
        Tensor.releaseCopy(x, cx);
        return new PoolResult(o, ix);
    }

    static Tensor maxPool2dBackward(Ops ops, Tensor dout, Tensor indices, Pool2dDesc d, long[] xShape, Tensor dx) {
        String op = "max_pool2d_backward";
        desc(op, d);
        long[] xs = dx != null ? nchw(op, "dx", dx, DType.F32).shape() : xShape(op, xShape);
        long[] os = d.outputShape(op, xs);
        String rel = "x=" + s(xs) + " pooled by " + d + " gives";
        shape(op, "dout", typed(op, "dout", dout, DType.F32), os, rel);
        shape(op, "indices", typed(op, "indices", indices, DType.I32), os, rel);
        Tensor g = out(op, "dx", dx, DType.F32, xs, dout, "x has");
        Tensor cd = dout.contiguousScratch(), ci = indices.contiguousScratch();
        apart(op, "dx", g, "dout", dout);
        apart(op, "dx", g, "indices", indices);
        long h = xs[2], w = xs[3], ohw = os[2] * os[3];
        Pooling.checkIndices(op, "indices", ci.segment(), ci.offset(), ci.numel(), 0, h * w, "x=" + s(xs));
        PoolKernels k = k(ops);
        Tensor ng = g.nativeOutput(true);
        par(ops, cd, ci, ng).parallelFor(0, xs[0] * xs[1], Pooling.planeGrain(h * w), (p0, p1) -> k.maxPool2dBackward(p1 - p0, h, w, d,
                cd.segment(), cd.offset() + p0 * ohw, ci.segment(), ci.offset() + p0 * ohw, ng.segment(), ng.offset() + p0 * h * w));
        g.copyBack(ng);
        Tensor.releaseCopies(dout, cd, indices, ci);
        return g;
    }

    private static void desc(String op, Object d) {
        if (d == null) throw new IllegalArgumentException(op + ": desc is null");
    }

    // ------------------------------------------------------------------ average pool

    static Tensor avgPool2d(Ops ops, Tensor x, Pool2dDesc d, Tensor out) {
        String op = "avg_pool2d";
        nchw(op, "x", x, DType.F32);
        desc(op, d);
        long[] os = d.outputShape(op, x.shape());
        Tensor o = out(op, "out", out, DType.F32, os, x, "x=" + s(x) + " pooled by " + d + " gives");
        Tensor cx = x.contiguousScratch();
        apart(op, "out", o, "x", x);
        long h = x.dim(2), w = x.dim(3), ohw = os[2] * os[3];
        PoolKernels k = k(ops);
        Tensor no = o.nativeOutput(true);
        par(ops, cx, no).parallelFor(0, os[0] * os[1], Pooling.planeGrain(h * w), (p0, p1) -> k.avgPool2d(p1 - p0, h, w, d,
                cx.segment(), cx.offset() + p0 * h * w, no.segment(), no.offset() + p0 * ohw));
        o.copyBack(no);
        Tensor.releaseCopy(x, cx);
        return o;
    }

    static Tensor avgPool2dBackward(Ops ops, Tensor dout, Pool2dDesc d, long[] xShape, Tensor dx) {
        String op = "avg_pool2d_backward";
        desc(op, d);
        long[] xs = dx != null ? nchw(op, "dx", dx, DType.F32).shape() : xShape(op, xShape);
        long[] os = d.outputShape(op, xs);
        shape(op, "dout", typed(op, "dout", dout, DType.F32), os, "x=" + s(xs) + " pooled by " + d + " gives");
        Tensor g = out(op, "dx", dx, DType.F32, xs, dout, "x has");
        Tensor cd = dout.contiguousScratch();
        apart(op, "dx", g, "dout", dout);
        long h = xs[2], w = xs[3], ohw = os[2] * os[3];
        PoolKernels k = k(ops);
        Tensor ng = g.nativeOutput(true);
        par(ops, cd, ng).parallelFor(0, xs[0] * xs[1], Pooling.planeGrain(h * w), (p0, p1) -> k.avgPool2dBackward(p1 - p0, h, w, d,
                cd.segment(), cd.offset() + p0 * ohw, ng.segment(), ng.offset() + p0 * h * w));
        g.copyBack(ng);
        Tensor.releaseCopy(dout, cd);
        return g;
    }

    // ------------------------------------------------------------------ global average pool

    /** (N, C, 1, 1) or (N, C): the shapes a global pool result may have. */
    private static void globalShape(String op, String arg, Tensor t, long n, long c) {
        long[] s = t.shape();
        boolean ok = (s.length == 4 && s[0] == n && s[1] == c && s[2] == 1 && s[3] == 1)
                || (s.length == 2 && s[0] == n && s[1] == c);
        if (!ok) {
            throw new IllegalArgumentException(op + ": " + arg + " has shape " + s(t) + " but expected [" + n + ", " + c
                    + ", 1, 1] or [" + n + ", " + c + "]");
        }
    }

    static Tensor globalAvgPool(Ops ops, Tensor x, Tensor out) {
        String op = "global_avg_pool";
        nchw(op, "x", x, DType.F32);
        long n = x.dim(0), c = x.dim(1);
        long hw = Pooling.globalPlane(op, n, c, x.dim(2), x.dim(3));
        Tensor o;
        if (out == null) {
            o = Tensor.allocateLike(x, DType.F32, n, c, 1, 1);
        } else {
            typed(op, "out", out, DType.F32);
            globalShape(op, "out", out, n, c);
            o = out(op, "out", out, DType.F32, out.shape(), x, "");
        }
        Tensor cx = x.contiguousScratch();
        apart(op, "out", o, "x", x);
        PoolKernels k = k(ops);
        Tensor no = o.nativeOutput(true);
        par(ops, cx, no).parallelFor(0, n * c, Pooling.planeGrain(hw), (p0, p1) -> k.globalAvgPool(p1 - p0, hw,
                cx.segment(), cx.offset() + p0 * hw, no.segment(), no.offset() + p0));
        o.copyBack(no);
        Tensor.releaseCopy(x, cx);
        return o;
    }

    static Tensor globalAvgPoolBackward(Ops ops, Tensor dout, long[] xShape, Tensor dx) {
        String op = "global_avg_pool_backward";
        long[] xs = dx != null ? nchw(op, "dx", dx, DType.F32).shape() : xShape(op, xShape);
        long n = xs[0], c = xs[1];
        long hw = Pooling.globalPlane(op, n, c, xs[2], xs[3]);
        typed(op, "dout", dout, DType.F32);
        globalShape(op, "dout", dout, n, c);
        Tensor g = out(op, "dx", dx, DType.F32, xs, dout, "x has");
        Tensor cd = dout.contiguousScratch();
        apart(op, "dx", g, "dout", dout);
        PoolKernels k = k(ops);
        Tensor ng = g.nativeOutput(true);
        par(ops, cd, ng).parallelFor(0, n * c, Pooling.planeGrain(hw), (p0, p1) -> k.globalAvgPoolBackward(p1 - p0, hw,
                cd.segment(), cd.offset() + p0, ng.segment(), ng.offset() + p0 * hw));
        g.copyBack(ng);
        Tensor.releaseCopy(dout, cd);
        return g;
    }

    // ------------------------------------------------------------------ max unpool

    static Tensor maxUnpool2d(Ops ops, Tensor x, Tensor indices, long outH, long outW, Tensor out) {
        String op = "max_unpool2d";
        nchw(op, "x", x, DType.F32);
        typed(op, "indices", indices, DType.I32);
        shape(op, "indices", indices, x.shape(), "x has");
        long n = x.dim(0), c = x.dim(1);
        long[] os = out != null ? nchw(op, "out", out, DType.F32).shape() : new long[] {n, c, outH, outW};
        if (os[0] != n || os[1] != c) {
            throw new IllegalArgumentException(op + ": out has shape " + s(os) + " but x=" + s(x) + " needs [" + n + ", " + c + ", H, W]");
        }
        Checks.numel(op, "out", os);
        long outHW = os[2] * os[3];
        if (outHW > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": output plane " + os[2] + "x" + os[3] + " exceeds the int32 index range");
        }
        Tensor o = out(op, "out", out, DType.F32, os, x, "x=" + s(x) + " unpools to");
        Tensor cx = x.contiguousScratch(), ci = indices.contiguousScratch();
        apart(op, "out", o, "x", x);
        apart(op, "out", o, "indices", indices);
        Pooling.checkIndices(op, "indices", ci.segment(), ci.offset(), ci.numel(), 0, outHW, "out=" + s(os));
        long inHW = x.dim(2) * x.dim(3);
        PoolKernels k = k(ops);
        Tensor no = o.nativeOutput(true);
        par(ops, cx, ci, no).parallelFor(0, n * c, Pooling.planeGrain(outHW), (p0, p1) -> k.maxUnpool2d(p1 - p0, inHW, outHW,
                cx.segment(), cx.offset() + p0 * inHW, ci.segment(), ci.offset() + p0 * inHW, no.segment(), no.offset() + p0 * outHW));
        o.copyBack(no);
        Tensor.releaseCopies(x, cx, indices, ci);
        return o;
    }

    static Tensor maxUnpool2dBackward(Ops ops, Tensor dout, Tensor indices, Tensor dx) {
        String op = "max_unpool2d_backward";
        nchw(op, "dout", dout, DType.F32);
        nchw(op, "indices", indices, DType.I32);
        long n = indices.dim(0), c = indices.dim(1);
        if (dout.dim(0) != n || dout.dim(1) != c) {
            throw new IllegalArgumentException(op + ": dout has shape " + s(dout) + " but indices=" + s(indices)
                    + " needs [" + n + ", " + c + ", H, W]");
        }
        long outHW = dout.dim(2) * dout.dim(3), inHW = indices.dim(2) * indices.dim(3);
        Tensor g = out(op, "dx", dx, DType.F32, indices.shape(), dout, "indices has");
        Tensor cd = dout.contiguousScratch(), ci = indices.contiguousScratch();
        apart(op, "dx", g, "dout", dout);
        apart(op, "dx", g, "indices", indices);
        Pooling.checkIndices(op, "indices", ci.segment(), ci.offset(), ci.numel(), 0, outHW, "dout=" + s(dout));
        PoolKernels k = k(ops);
        Tensor ng = g.nativeOutput(true);
        par(ops, cd, ci, ng).parallelFor(0, n * c, Pooling.planeGrain(outHW), (p0, p1) -> k.maxUnpool2dBackward(p1 - p0, inHW, outHW,
                cd.segment(), cd.offset() + p0 * outHW, ci.segment(), ci.offset() + p0 * inHW, ng.segment(), ng.offset() + p0 * inHW));
        g.copyBack(ng);
        Tensor.releaseCopies(dout, cd, indices, ci);
        return g;
    }

    // ------------------------------------------------------------------ ROI pool

    private static Tensor rois(String op, Tensor rois, long n, RoiPoolDesc d) {
        typed(op, "rois", rois, DType.F32);
        if (rois.rank() != 2 || rois.dim(1) != 5) {
            throw new IllegalArgumentException(op + ": rois must be (R, 5) rows [batch_idx, x1, y1, x2, y2], got rois=" + s(rois));
        }
        Tensor cr = rois.contiguousScratch();
        d.checkRois(op, cr.segment(), cr.offset(), cr.dim(0), n);
        return cr;
    }

    static PoolResult roiPool(Ops ops, Tensor x, Tensor rois, RoiPoolDesc d, Tensor out, Tensor argmax) {
        String op = "roi_pool";
        nchw(op, "x", x, DType.F32);
        desc(op, d);
        long n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        Pooling.roiMap(op, n, c, h, w);
        Tensor cr = rois(op, rois, n, d);
        long r = cr.dim(0);
        long[] os = {r, c, d.pooledH(), d.pooledW()};
        Checks.numel(op, "out", os);
        String rel = "rois=" + s(rois) + " on x=" + s(x) + " pooled to " + d.pooledH() + "x" + d.pooledW() + " give";
        Tensor o = out(op, "out", out, DType.F32, os, x, rel);
        Tensor a = out(op, "argmax", argmax, DType.I32, os, x, rel);
        Tensor cx = x.contiguousScratch();
        apart(op, "out", o, "x", x);
        apart(op, "argmax", a, "x", x);
        apart(op, "out", o, "rois", rois);
        apart(op, "argmax", a, "rois", rois);
        apart(op, "argmax", a, "out", o);
        PoolKernels k = k(ops);
        Tensor no = o.nativeOutput(true);
        Tensor na = a.nativeOutput(true);
        long perRoi = c * d.pooledH() * d.pooledW() * 4L;
        par(ops, cx, cr, no, na).parallelFor(0, r, Pooling.planeGrain(perRoi), (r0, r1) -> k.roiPool(r0, r1, c, h, w, d,
                cr.segment(), cr.offset(), cx.segment(), cx.offset(), no.segment(), no.offset(), na.segment(), na.offset()));
        Tensor.copyBackAll(o, no, a, na);
        Tensor.releaseCopy(x, cx);
        return new PoolResult(o, a);
    }

    static Tensor roiPoolBackward(Ops ops, Tensor dout, Tensor argmax, Tensor rois, RoiPoolDesc d, long[] xShape, Tensor dx) {
        String op = "roi_pool_backward";
        desc(op, d);
        long[] xs = dx != null ? nchw(op, "dx", dx, DType.F32).shape() : xShape(op, xShape);
        long n = xs[0], c = xs[1], h = xs[2], w = xs[3];
        Pooling.roiMap(op, n, c, h, w);
        Tensor cr = rois(op, rois, n, d);
        long[] os = {cr.dim(0), c, d.pooledH(), d.pooledW()};
        String rel = "rois=" + s(rois) + " on x=" + s(xs) + " pooled to " + d.pooledH() + "x" + d.pooledW() + " give";
        shape(op, "dout", typed(op, "dout", dout, DType.F32), os, rel);
        shape(op, "argmax", typed(op, "argmax", argmax, DType.I32), os, rel);
        Tensor g = out(op, "dx", dx, DType.F32, xs, dout, "x has");
        Tensor cd = dout.contiguousScratch(), ca = argmax.contiguousScratch();
        apart(op, "dx", g, "dout", dout);
        apart(op, "dx", g, "argmax", argmax);
        apart(op, "dx", g, "rois", rois);
        Pooling.checkIndices(op, "argmax", ca.segment(), ca.offset(), ca.numel(), -1, h * w, "x=" + s(xs));
        PoolKernels k = k(ops);
        Tensor ng = g.nativeOutput(true);
        long r = cr.dim(0);
        par(ops, cd, ca, cr, ng).parallelFor(0, c, Pooling.planeGrain(n * h * w), (c0, c1) -> k.roiPoolBackward(c0, c1, n, c, h, w, r, d,
                cr.segment(), cr.offset(), cd.segment(), cd.offset(), ca.segment(), ca.offset(), ng.segment(), ng.offset()));
        g.copyBack(ng);
        Tensor.releaseCopies(dout, cd, argmax, ca);
        return g;
    }
}

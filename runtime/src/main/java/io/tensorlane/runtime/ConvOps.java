package io.tensorlane.runtime;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.ConvKernels;
import io.tensorlane.kernels.ConvTranspose2dDesc;
import io.tensorlane.kernels.KernelSet;
import io.tensorlane.kernels.Parallelism;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Validation and dispatch of the convolution ops (issue 5) behind {@link Ops}' thin public methods: affine,
 * im2col/col2im, conv2d and conv_transpose2d, forward and backward. Every check runs before any memory is
 * touched; strided inputs are copied to contiguous scratch; outputs must be contiguous F32 of the exact
 * shape and share no memory with an input.
 */
final class ConvOps {
    /** Never the owner of a confined segment: probes whether pool threads may access one. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    private final KernelSet kernels;
    private final Parallelism par;

    ConvOps(KernelSet kernels, Parallelism par) {
        this.kernels = kernels;
        this.par = par;
    }

    private ConvKernels k() {
        return kernels.conv();
    }

    /** The caller alone when any tensor is confined to a thread, else the Ops' policy (results are the same). */
    private Parallelism parFor(Tensor... ts) {
        if (par.isSingle()) return par;
        for (Tensor t : ts) {
            if (t != null && !t.segment().isAccessibleBy(OTHER_THREAD)) return Parallelism.single();
        }
        return par;
    }

    // ------------------------------------------------------------------------------ checks

    private static String s(Tensor t) {
        return Tensor.compact(t.shape());
    }

    private static Tensor f32(String op, String arg, Tensor t) {
        if (t == null) throw new IllegalArgumentException(op + ": " + arg + " is null");
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": " + arg + " must be F32, got " + t.dtype() + " (" + arg + "=" + s(t) + ")");
        }
        return t;
    }

    private static void shape(String op, String arg, Tensor t, long[] expected, String why) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(op + ": " + arg + " has shape " + s(t) + " but " + why + " "
                    + Tensor.compact(expected));
        }
    }

    /** A contiguous, writable F32 output of the given shape. */
    private static void out(String op, String arg, Tensor t, long[] expected, String why) {
        f32(op, arg, t);
        shape(op, arg, t, expected, why);
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(op + ": " + arg + " " + s(t) + " with strides "
                    + Arrays.toString(t.strides()) + " is not contiguous");
        }
        if (t.segment().isReadOnly()) throw new IllegalArgumentException(op + ": " + arg + " " + s(t) + " is read-only");
    }

    /** The output shares no memory with the (contiguous) input or another output. */
    private static void disjoint(String op, String outName, Tensor out, String inName, Tensor in) {
        // checked on the caller's tensors, not the native copies the kernels read: a strided input is copied
        // before anything is written, a contiguous one is read in place or (heap) copied, and either way
        // an output sharing its memory is a caller's mistake to report
        if (out == null || in == null || out.numel() == 0 || in.numel() == 0 || !in.isContiguous()) return;
        MemorySegment o = out.segment().asSlice(out.offset() * Float.BYTES, out.numel() * Float.BYTES);
        MemorySegment i = in.segment().asSlice(in.offset() * Float.BYTES, in.numel() * Float.BYTES);
        if (o.asOverlappingSlice(i).isPresent()) {
            throw new IllegalArgumentException(op + ": " + outName + " " + s(out) + " overlaps " + inName + " " + s(in)
                    + "; use a separate output");
        }
    }

    /** A native stand-in for an output the kernels write (null stays null); see {@link Tensor#nativeOutput}. */
    private static Tensor stage(Tensor out) {
        return out == null ? null : out.nativeOutput(false);
    }

    private static Tensor bias(String op, Tensor b, long channels, String why) {
        if (b == null) return null;
        f32(op, "b", b);
        shape(op, "b", b, new long[] {channels}, why);
        return b.contiguousScratch();
    }

    private static MemorySegment seg(Tensor t) {
        return t == null ? null : t.segment();
    }

    private static long off(Tensor t) {
        return t == null ? 0 : t.offset();
    }

    // ------------------------------------------------------------------------------ affine

    private static long[] affineDims(String op, Tensor x, Tensor w) {
        f32(op, "x", x);
        f32(op, "w", w);
        if (x.rank() < 1) throw new IllegalArgumentException(op + ": x must have a batch dim, got x=" + s(x));
        if (w.rank() != 2) throw new IllegalArgumentException(op + ": w must be 2-D (D,M), got w=" + s(w));
        long n = x.dim(0), d = 1;
        for (int i = 1; i < x.rank(); i++) d = io.tensorlane.kernels.Checks.multiply(op, "D", d, x.dim(i));
        if (d != w.dim(0)) {
            throw new IllegalArgumentException(op + ": x has " + d + " features per row but w expects " + w.dim(0)
                    + " (x=" + s(x) + ", w=" + s(w) + ")");
        }
        long m = w.dim(1);
        if (n > Integer.MAX_VALUE || d > Integer.MAX_VALUE || m > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": dims exceed GEMM's int range (x=" + s(x) + ", w=" + s(w) + ")");
        }
        return new long[] {n, d, m};
    }

    Tensor affine(Tensor x, Tensor w, Tensor b, Tensor out) {
        String op = "affine";
        long[] nd = affineDims(op, x, w);
        long n = nd[0], d = nd[1], m = nd[2];
        Tensor cb = bias(op, b, m, "w has M=" + m + ", so b must be");
        long[] ys = {n, m};
        if (out == null) out = Tensor.allocateLike(x, DType.F32, ys);
        else out(op, "out", out, ys, "x @ w has");
        Tensor cx = x.contiguousScratch(), cw = w.contiguousScratch();
        disjoint(op, "out", out, "x", x);
        disjoint(op, "out", out, "w", w);
        disjoint(op, "out", out, "b", b);
        Tensor co = out.nativeOutput(false);
        k().affine(n, d, m, cx.segment(), cx.offset(), cw.segment(), cw.offset(), seg(cb), off(cb),
                co.segment(), co.offset(), parFor(cx, cw, cb, co));
        out.copyBack(co);
        Tensor.releaseCopies(x, cx, w, cw, b, cb);
        return out;
    }

    Grads affineBackward(Tensor x, Tensor w, Tensor dout, Tensor dx, Tensor dw, Tensor db, boolean allocate) {
        String op = "affineBackward";
        long[] nd = affineDims(op, x, w);
        long n = nd[0], d = nd[1], m = nd[2];
        f32(op, "dout", dout);
        shape(op, "dout", dout, new long[] {n, m}, "x @ w has");
        if (allocate) {
            dx = Tensor.allocateLike(x, DType.F32, x.shape());
            dw = Tensor.allocateLike(x, DType.F32, w.shape());
            db = Tensor.allocateLike(x, DType.F32, m);
        } else {
            if (dx != null) out(op, "dx", dx, x.shape(), "x has");
            if (dw != null) out(op, "dw", dw, w.shape(), "w has");
            if (db != null) out(op, "db", db, new long[] {m}, "w has M=" + m + ", so db must be");
        }
        Tensor cx = x.contiguousScratch(), cw = w.contiguousScratch(), cd = dout.contiguousScratch();
        outputs(op, new Tensor[] {dx, dw, db}, x, w, dout);
        Tensor sx = stage(dx), sw = stage(dw), sb = stage(db);
        k().affineBackward(n, d, m, cx.segment(), cx.offset(), cw.segment(), cw.offset(), cd.segment(), cd.offset(),
                seg(sx), off(sx), seg(sw), off(sw), seg(sb), off(sb), parFor(cx, cw, cd, sx, sw, sb));
        Tensor.copyBackAll(dx, sx, dw, sw, db, sb);
        Tensor.releaseCopies(x, cx, w, cw, dout, cd);
        return new Grads(dx, dw, db);
    }

    private static void outputs(String op, Tensor[] outs, Tensor x, Tensor w, Tensor dout) {
        String[] names = {"dx", "dw", "db"};
        for (int i = 0; i < 3; i++) {
            disjoint(op, names[i], outs[i], "x", x);
            disjoint(op, names[i], outs[i], "w", w);
            disjoint(op, names[i], outs[i], "dout", dout);
            for (int j = 0; j < i; j++) disjoint(op, names[i], outs[i], names[j], outs[j]);
        }
    }

    // ------------------------------------------------------------------------------ im2col / col2im

    Tensor im2col(Tensor x, Conv2dDesc desc) {
        String op = "im2col";
        f32(op, "x", x);
        notNull(op, desc);
        if (x.rank() != 3 && x.rank() != 4) {
            throw new IllegalArgumentException(op + ": x must be (C,H,W) or (N,C,H,W), got x=" + s(x));
        }
        boolean batch = x.rank() == 4;
        long n = batch ? x.dim(0) : 1;
        int o = batch ? 1 : 0;
        ConvGeometry g = desc.columns(op, x.dim(o), x.dim(o + 1), x.dim(o + 2));
        long[] ys = batch ? new long[] {n, g.colRows(), g.outPlane()} : new long[] {g.colRows(), g.outPlane()};
        Tensor out = Tensor.allocateLike(x, DType.F32, ys);
        Tensor cx = x.contiguousScratch(), co = out.nativeOutput(false);
        long xImg = g.c() * g.plane(), cImg = g.colRows() * g.outPlane();
        for (long i = 0; i < n; i++) {
            k().im2col(g, cx.segment(), cx.offset() + i * xImg, co.segment(), co.offset() + i * cImg);
        }
        out.copyBack(co);
        Tensor.releaseCopies(x, cx);
        return out;
    }

    Tensor col2im(Tensor cols, Conv2dDesc desc, long h, long w) {
        String op = "col2im";
        f32(op, "cols", cols);
        notNull(op, desc);
        if (cols.rank() != 2 && cols.rank() != 3) {
            throw new IllegalArgumentException(op + ": cols must be (C*kh*kw, L) or (N, C*kh*kw, L), got cols=" + s(cols));
        }
        boolean batch = cols.rank() == 3;
        long n = batch ? cols.dim(0) : 1;
        long rows = cols.dim(batch ? 1 : 0), kk = (long) desc.kh() * desc.kw();
        if (rows % kk != 0 || rows == 0) {
            throw new IllegalArgumentException(op + ": cols has " + rows + " rows, not a positive multiple of kh*kw="
                    + kk + " (cols=" + s(cols) + ")");
        }
        ConvGeometry g = desc.columns(op, rows / kk, h, w);
        long[] expected = batch ? new long[] {n, g.colRows(), g.outPlane()} : new long[] {g.colRows(), g.outPlane()};
        shape(op, "cols", cols, expected, "an image of " + h + "x" + w + " with this kernel/stride/padding gives");
        long[] ys = batch ? new long[] {n, g.c(), h, w} : new long[] {g.c(), h, w};
        Tensor out = Tensor.allocateLike(cols, DType.F32, ys);
        Tensor cc = cols.contiguousScratch(), co = out.nativeOutput(false);
        long xImg = g.c() * g.plane(), cImg = g.colRows() * g.outPlane();
        for (long i = 0; i < n; i++) {
            k().col2im(g, cc.segment(), cc.offset() + i * cImg, co.segment(), co.offset() + i * xImg);
        }
        out.copyBack(co);
        Tensor.releaseCopies(cols, cc);
        return out;
    }

    private static void notNull(String op, Object desc) {
        if (desc == null) throw new IllegalArgumentException(op + ": desc is null");
    }

    // ------------------------------------------------------------------------------ conv2d

    Tensor conv2d(Tensor x, Tensor w, Tensor b, Conv2dDesc desc, Tensor out) {
        String op = "conv2d";
        f32(op, "x", x);
        f32(op, "w", w);
        notNull(op, desc);
        ConvGeometry g = desc.forward(x.shape(), w.shape());
        Tensor cb = bias(op, b, g.f(), "w has F=" + g.f() + ", so b must be");
        long[] ys = {g.n(), g.f(), g.ho(), g.wo()};
        if (out == null) out = Tensor.allocateLike(x, DType.F32, ys);
        else out(op, "out", out, ys, "conv2d of x=" + s(x) + " with w=" + s(w) + " gives");
        Tensor cx = x.contiguousScratch(), cw = w.contiguousScratch();
        disjoint(op, "out", out, "x", x);
        disjoint(op, "out", out, "w", w);
        disjoint(op, "out", out, "b", b);
        Tensor co = out.nativeOutput(false);
        k().conv2d(g, cx.segment(), cx.offset(), cw.segment(), cw.offset(), seg(cb), off(cb), co.segment(), co.offset(),
                parFor(cx, cw, cb, co));
        out.copyBack(co);
        Tensor.releaseCopies(x, cx, w, cw, b, cb);
        return out;
    }

    Grads conv2dBackward(Tensor x, Tensor w, Tensor dout, Conv2dDesc desc, Tensor dx, Tensor dw, Tensor db, boolean allocate) {
        String op = "conv2dBackward";
        f32(op, "x", x);
        f32(op, "w", w);
        f32(op, "dout", dout);
        notNull(op, desc);
        ConvGeometry g = desc.forward(x.shape(), w.shape());
        shape(op, "dout", dout, new long[] {g.n(), g.f(), g.ho(), g.wo()}, "conv2d of x=" + s(x) + " with w=" + s(w) + " gives");
        if (allocate) {
            dx = Tensor.allocateLike(x, DType.F32, x.shape());
            dw = Tensor.allocateLike(x, DType.F32, w.shape());
            db = Tensor.allocateLike(x, DType.F32, g.f());
        } else {
            if (dx != null) out(op, "dx", dx, x.shape(), "x has");
            if (dw != null) out(op, "dw", dw, w.shape(), "w has");
            if (db != null) out(op, "db", db, new long[] {g.f()}, "w has F=" + g.f() + ", so db must be");
        }
        Tensor cx = x.contiguousScratch(), cw = w.contiguousScratch(), cd = dout.contiguousScratch();
        outputs(op, new Tensor[] {dx, dw, db}, x, w, dout);
        Tensor sx = stage(dx), sw = stage(dw), sb = stage(db);
        Parallelism p = parFor(cx, cw, cd, sx, sw, sb);
        if (sx != null) k().conv2dBackwardData(g, cd.segment(), cd.offset(), cw.segment(), cw.offset(), sx.segment(), sx.offset(), p);
        if (sw != null) k().conv2dBackwardWeights(g, cx.segment(), cx.offset(), cd.segment(), cd.offset(), sw.segment(), sw.offset(), p);
        if (sb != null) k().biasGrad(g.n(), g.f(), g.outPlane(), cd.segment(), cd.offset(), sb.segment(), sb.offset());
        Tensor.copyBackAll(dx, sx, dw, sw, db, sb);
        Tensor.releaseCopies(x, cx, w, cw, dout, cd);
        return new Grads(dx, dw, db);
    }

    // ------------------------------------------------------------------------------ conv_transpose2d

    Tensor convTranspose2d(Tensor x, Tensor w, Tensor b, ConvTranspose2dDesc desc, Tensor out) {
        String op = "conv_transpose2d";
        f32(op, "x", x);
        f32(op, "w", w);
        notNull(op, desc);
        ConvGeometry g = desc.forward(x.shape(), w.shape()); // the conv whose input is our output
        Tensor cb = bias(op, b, g.c(), "w gives Cout=" + g.c() + ", so b must be");
        long[] ys = {g.n(), g.c(), g.h(), g.w()};
        if (out == null) out = Tensor.allocateLike(x, DType.F32, ys);
        else out(op, "out", out, ys, "conv_transpose2d of x=" + s(x) + " with w=" + s(w) + " gives");
        Tensor cx = x.contiguousScratch(), cw = w.contiguousScratch();
        disjoint(op, "out", out, "x", x);
        disjoint(op, "out", out, "w", w);
        disjoint(op, "out", out, "b", b);
        Tensor co = out.nativeOutput(false);
        k().conv2dBackwardData(g, cx.segment(), cx.offset(), cw.segment(), cw.offset(), co.segment(), co.offset(),
                parFor(cx, cw, co));
        if (cb != null) k().addBias(g.n(), g.c(), g.plane(), cb.segment(), cb.offset(), co.segment(), co.offset());
        out.copyBack(co);
        Tensor.releaseCopies(x, cx, w, cw, b, cb);
        return out;
    }

    Grads convTranspose2dBackward(Tensor x, Tensor w, Tensor dout, ConvTranspose2dDesc desc,
                                  Tensor dx, Tensor dw, Tensor db, boolean allocate) {
        String op = "convTranspose2dBackward";
        f32(op, "x", x);
        f32(op, "w", w);
        f32(op, "dout", dout);
        notNull(op, desc);
        ConvGeometry g = desc.forward(x.shape(), w.shape());
        shape(op, "dout", dout, new long[] {g.n(), g.c(), g.h(), g.w()},
                "conv_transpose2d of x=" + s(x) + " with w=" + s(w) + " gives");
        if (allocate) {
            dx = Tensor.allocateLike(x, DType.F32, x.shape());
            dw = Tensor.allocateLike(x, DType.F32, w.shape());
            db = Tensor.allocateLike(x, DType.F32, g.c());
        } else {
            if (dx != null) out(op, "dx", dx, x.shape(), "x has");
            if (dw != null) out(op, "dw", dw, w.shape(), "w has");
            if (db != null) out(op, "db", db, new long[] {g.c()}, "w gives Cout=" + g.c() + ", so db must be");
        }
        Tensor cx = x.contiguousScratch(), cw = w.contiguousScratch(), cd = dout.contiguousScratch();
        outputs(op, new Tensor[] {dx, dw, db}, x, w, dout);
        Tensor sx = stage(dx), sw = stage(dw), sb = stage(db);
        Parallelism p = parFor(cx, cw, cd, sx, sw, sb);
        // the equivalent conv's input is dout and its output-gradient is x
        if (sx != null) k().conv2d(g, cd.segment(), cd.offset(), cw.segment(), cw.offset(), null, 0, sx.segment(), sx.offset(), p);
        if (sw != null) k().conv2dBackwardWeights(g, cd.segment(), cd.offset(), cx.segment(), cx.offset(), sw.segment(), sw.offset(), p);
        if (sb != null) k().biasGrad(g.n(), g.c(), g.plane(), cd.segment(), cd.offset(), sb.segment(), sb.offset());
        Tensor.copyBackAll(dx, sx, dw, sw, db, sb);
        Tensor.releaseCopies(x, cx, w, cw, dout, cd);
        return new Grads(dx, dw, db);
    }
}

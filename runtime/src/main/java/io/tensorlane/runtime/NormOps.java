package io.tensorlane.runtime;

import io.tensorlane.kernels.BatchNorm;
import io.tensorlane.kernels.Checks;
import io.tensorlane.kernels.Dropout;
import io.tensorlane.kernels.DropoutMask;
import io.tensorlane.kernels.NormKernels;
import io.tensorlane.kernels.Parallelism;
import java.util.Arrays;

/**
 * Validation and dispatch of batch norm and dropout for {@link Ops} (issue 6). x is (N, D) per feature,
 * (N, C, L) or (N, C, H, W) per channel; kernels see it as [N, C, inner]. Per-channel tensors are 1-D (C).
 * Work is split over channels (batch norm) or fixed element chunks (dropout), never by thread count.
 */
final class NormOps {
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });
    private static final long CHUNK = 1 << 16;

    private final NormKernels kk;
    private final Parallelism par;

    NormOps(Device device, Parallelism par) {
        this.kk = device.kernels().norm();
        this.par = par;
    }

    // ------------------------------------------------------------ shared checks

    private static String s(Tensor t) {
        return Tensor.compact(t.shape());
    }

    static Tensor f32(String op, String arg, Tensor t) {
        if (t == null) throw new IllegalArgumentException(op + ": " + arg + " is null");
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": " + arg + " must be F32, got " + t.dtype() + " (" + arg + "=" + s(t) + ")");
        }
        return t;
    }

    /** An output or in-place tensor: F32, the given shape, contiguous, writable. */
    static void writable(String op, String name, Tensor t, long[] shape, String relation) {
        f32(op, name, t);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(t.shape()) + " but "
                    + relation + " " + Arrays.toString(shape));
        }
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(op + ": " + name + " " + s(t) + " with strides "
                    + Arrays.toString(t.strides()) + " is not contiguous");
        }
        if (t.segment().isReadOnly()) throw new IllegalArgumentException(op + ": " + name + " " + s(t) + " is read-only");
    }

    static void sameShape(String op, String aName, Tensor a, String bName, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": " + bName + " has shape " + Arrays.toString(b.shape())
                    + " but " + aName + " has " + Arrays.toString(a.shape()));
        }
    }

    /** The caller alone when any tensor is confined to a thread, else par (chunking is the same either way). */
    static Parallelism parFor(Parallelism par, Tensor... ts) {
        if (par.isSingle()) return par;
        for (Tensor t : ts) {
            if (t != null && !t.segment().isAccessibleBy(OTHER_THREAD)) return Parallelism.single();
        }
        return par;
    }

    /** [outer, channels, inner] of x, after checking its rank and that each channel has values. */
    private static long[] layout(String op, Tensor x) {
        f32(op, "x", x);
        long[] sh = x.shape();
        long[] v = switch (sh.length) {
            case 2 -> new long[] {sh[0], sh[1], 1};
            case 3 -> new long[] {sh[0], sh[1], sh[2]};
            case 4 -> new long[] {sh[0], sh[1], Checks.multiply(op, "H*W", sh[2], sh[3])};
            default -> throw new IllegalArgumentException(op + ": x must be (N, D), (N, C, L) or (N, C, H, W), got x=" + s(x));
        };
        if (v[0] * v[2] == 0 && v[1] > 0) {
            throw new IllegalArgumentException(op + ": x=" + s(x) + " has no values per channel to take statistics over");
        }
        return v;
    }

    private static String channelWord(Tensor x) {
        return x.rank() == 2 ? "features" : "channels";
    }

    /** A per-channel vector: F32, shape [C]. */
    private static void perChannel(String op, String name, Tensor t, Tensor x, long c) {
        f32(op, name, t);
        if (t.rank() != 1 || t.dim(0) != c) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(t.shape()) + " but x="
                    + s(x) + " has " + c + " " + channelWord(x) + " (expected [" + c + "])");
        }
    }

    private static void perChannelOut(String op, String name, Tensor t, Tensor x, long c) {
        perChannel(op, name, t, x, c);
        writable(op, name, t, new long[] {c}, "x=" + s(x) + " needs");
    }

    /** out is exactly x or shares no memory with it; per-channel outputs share no memory with anything big. */
    private static void noOverlap(String op, String aName, Tensor a, String bName, Tensor b, boolean exactAllowed) {
        long an = a.numel(), bn = b.numel();
        if (an == 0 || bn == 0 || !a.isContiguous() || !b.isContiguous()) return;
        if (exactAllowed && an == bn) {
            Checks.disjointOrSame(op, aName, a.segment(), a.offset(), an, bName, b.segment(), b.offset(), bn);
        } else {
            Checks.disjoint(op, aName, a.segment(), a.offset(), an, Float.BYTES, bName, b.segment(), b.offset(), bn, Float.BYTES);
        }
    }

    // ------------------------------------------------------------ batch norm

    BatchNormResult batchNormTrain(Tensor x, Tensor gamma, Tensor beta, Tensor rm, Tensor rv, float momentum, float eps,
                                   Tensor out, Tensor mean, Tensor var) {
        String op = "batchNormTrain";
        long[] v = layout(op, x);
        long c = v[1];
        BatchNorm.checkEps(op, eps);
        BatchNorm.checkMomentum(op, momentum);
        perChannel(op, "gamma", gamma, x, c);
        perChannel(op, "beta", beta, x, c);
        perChannelOut(op, "runningMean", rm, x, c);
        perChannelOut(op, "runningVar", rv, x, c);
        noOverlap(op, "runningMean", rm, "runningVar", rv, false);
        if (out == null) {
            out = Tensor.allocateLike(x, DType.F32, x.shape());
            mean = Tensor.allocateLike(x, DType.F32, c);
            var = Tensor.allocateLike(x, DType.F32, c);
        } else {
            writable(op, "out", out, x.shape(), "x has");
            perChannelOut(op, "mean", mean, x, c);
            perChannelOut(op, "var", var, x, c);
            noOverlap(op, "out", out, "x", x, true);
            noOverlap(op, "mean", mean, "var", var, false);
            for (Tensor big : new Tensor[] {x, out}) {
                noOverlap(op, "mean", mean, "x/out", big, false);
                noOverlap(op, "var", var, "x/out", big, false);
            }
        }
        for (Tensor big : new Tensor[] {x, out}) {
            noOverlap(op, "runningMean", rm, "x/out", big, false);
            noOverlap(op, "runningVar", rv, "x/out", big, false);
        }
        Tensor cx = x.contiguousScratch(), cg = gamma.contiguousScratch(), cb = beta.contiguousScratch();
        // heap outputs (and running statistics, read and written) through native stand-ins (see Tensor)
        Tensor o = out.nativeOutput(false), mu = mean.nativeOutput(false), va = var.nativeOutput(false);
        Tensor srm = rm.nativeOutput(true), srv = rv.nativeOutput(true);
        parFor(par, cx, cg, cb, srm, srv, o, mu, va).parallelFor(0, c, BatchNorm.channelGrain(v[0], c, v[2]), (c0, c1) ->
                kk.batchNormTrainForward(v[0], c, v[2], c0, c1, cx.segment(), cx.offset(), cg.segment(), cg.offset(),
                        cb.segment(), cb.offset(), eps, momentum, srm.segment(), srm.offset(), srv.segment(), srv.offset(),
                        o.segment(), o.offset(), mu.segment(), mu.offset(), va.segment(), va.offset()));
        Tensor.copyBackAll(out, o, mean, mu, var, va, rm, srm, rv, srv);
        Tensor.releaseCopies(x, cx, gamma, cg, beta, cb);
        return new BatchNormResult(out, mean, var);
    }

    Tensor batchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor rm, Tensor rv, float eps, Tensor out) {
        String op = "batchNormEval";
        long[] v = layout(op, x);
        long c = v[1];
        BatchNorm.checkEps(op, eps);
        perChannel(op, "gamma", gamma, x, c);
        perChannel(op, "beta", beta, x, c);
        perChannel(op, "runningMean", rm, x, c);
        perChannel(op, "runningVar", rv, x, c);
        if (out == null) {
            out = Tensor.allocateLike(x, DType.F32, x.shape());
        } else {
            writable(op, "out", out, x.shape(), "x has");
            noOverlap(op, "out", out, "x", x, true);
            for (Tensor t : new Tensor[] {gamma, beta, rm, rv}) noOverlap(op, "out", out, "a per-channel input", t, false);
        }
        Tensor cx = x.contiguousScratch(), cg = gamma.contiguousScratch(), cb = beta.contiguousScratch(),
                cm = rm.contiguousScratch(), cv = rv.contiguousScratch(), o = out.nativeOutput(false);
        parFor(par, cx, cg, cb, cm, cv, o).parallelFor(0, c, BatchNorm.channelGrain(v[0], c, v[2]), (c0, c1) ->
                kk.batchNormEvalForward(v[0], c, v[2], c0, c1, cx.segment(), cx.offset(), cg.segment(), cg.offset(),
                        cb.segment(), cb.offset(), cm.segment(), cm.offset(), cv.segment(), cv.offset(), eps,
                        o.segment(), o.offset()));
        out.copyBack(o);
        Tensor.releaseCopies(x, cx, gamma, cg, beta, cb, rm, cm, rv, cv);
        return out;
    }

    BatchNormGrads batchNormBackward(boolean training, Tensor x, Tensor dout, Tensor gamma, Tensor mean, Tensor var, float eps,
                                     Tensor dx, Tensor dgamma, Tensor dbeta) {
        String op = training ? "batchNormBackward" : "batchNormEvalBackward";
        String meanName = training ? "mean" : "runningMean", varName = training ? "var" : "runningVar";
        long[] v = layout(op, x);
        long c = v[1];
        BatchNorm.checkEps(op, eps);
        f32(op, "dout", dout);
        sameShape(op, "x", x, "dout", dout);
        perChannel(op, "gamma", gamma, x, c);
        perChannel(op, meanName, mean, x, c);
        perChannel(op, varName, var, x, c);
        if (dx == null) {
            dx = Tensor.allocateLike(x, DType.F32, x.shape());
            dgamma = Tensor.allocateLike(x, DType.F32, c);
            dbeta = Tensor.allocateLike(x, DType.F32, c);
        } else {
            writable(op, "dx", dx, x.shape(), "x has");
            perChannelOut(op, "dgamma", dgamma, x, c);
            perChannelOut(op, "dbeta", dbeta, x, c);
            noOverlap(op, "dx", dx, "x", x, false);
            noOverlap(op, "dx", dx, "dout", dout, true);
            noOverlap(op, "dgamma", dgamma, "dbeta", dbeta, false);
            for (Tensor t : new Tensor[] {x, dout, dx, gamma, mean, var}) {
                noOverlap(op, "dgamma", dgamma, "an input or dx", t, false);
                noOverlap(op, "dbeta", dbeta, "an input or dx", t, false);
            }
            for (Tensor t : new Tensor[] {gamma, mean, var}) noOverlap(op, "dx", dx, "a per-channel input", t, false);
        }
        Tensor cx = x.contiguousScratch(), cd = dout.contiguousScratch(), cg = gamma.contiguousScratch(),
                cm = mean.contiguousScratch(), cv = var.contiguousScratch(), g = dx.nativeOutput(false),
                dg = dgamma.nativeOutput(false), db = dbeta.nativeOutput(false);
        parFor(par, cx, cd, cg, cm, cv, g, dg, db).parallelFor(0, c, BatchNorm.channelGrain(v[0], c, v[2]), (c0, c1) ->
                kk.batchNormBackward(training, v[0], c, v[2], c0, c1, cx.segment(), cx.offset(), cd.segment(), cd.offset(),
                        cg.segment(), cg.offset(), cm.segment(), cm.offset(), cv.segment(), cv.offset(), eps,
                        g.segment(), g.offset(), dg.segment(), dg.offset(), db.segment(), db.offset()));
        Tensor.copyBackAll(dx, g, dgamma, dg, dbeta, db);
        Tensor.releaseCopies(x, cx, dout, cd, gamma, cg, mean, cm, var, cv);
        return new BatchNormGrads(dx, dgamma, dbeta);
    }

    // ------------------------------------------------------------ dropout

    DropoutResult dropout(Tensor x, float p, long seed, Tensor out, Tensor mask) {
        String op = "dropout";
        f32(op, "x", x);
        Dropout.checkP(op, p);
        if (out == null) {
            out = Tensor.allocateLike(x, DType.F32, x.shape());
            mask = Tensor.allocateLike(x, DType.F32, x.shape());
        } else {
            writable(op, "out", out, x.shape(), "x has");
            writable(op, "mask", mask, x.shape(), "x has");
            noOverlap(op, "out", out, "x", x, true);
            noOverlap(op, "mask", mask, "x", x, false);
            noOverlap(op, "mask", mask, "out", out, false);
        }
        Tensor cx = x.contiguousScratch(), o = out.nativeOutput(false), m = mask.nativeOutput(false);
        int thr = DropoutMask.keepThreshold(p);
        float scale = Dropout.scale(p);
        parFor(par, cx, o, m).parallelFor(0, x.numel(), CHUNK, (a, b) -> kk.dropoutForward(b - a, a, seed, thr, scale,
                cx.segment(), cx.offset() + a, m.segment(), m.offset() + a, o.segment(), o.offset() + a));
        Tensor.copyBackAll(out, o, mask, m);
        Tensor.releaseCopy(x, cx);
        return new DropoutResult(out, mask);
    }

    Tensor dropoutWithMask(String op, String xName, Tensor x, Tensor mask, float p, Tensor out) {
        String outName = xName.equals("dout") ? "dx" : "out";
        f32(op, xName, x);
        f32(op, "mask", mask);
        Dropout.checkP(op, p);
        sameShape(op, xName, x, "mask", mask);
        if (out == null) {
            out = Tensor.allocateLike(x, DType.F32, x.shape());
        } else {
            writable(op, outName, out, x.shape(), xName + " has");
            noOverlap(op, outName, out, xName, x, true);
            noOverlap(op, outName, out, "mask", mask, true);
        }
        Tensor cx = x.contiguousScratch(), cm = mask.contiguousScratch(), o = out.nativeOutput(false);
        float scale = Dropout.scale(p);
        parFor(par, cx, cm, o).parallelFor(0, x.numel(), CHUNK, (a, b) -> kk.dropoutApply(b - a, scale,
                cx.segment(), cx.offset() + a, cm.segment(), cm.offset() + a, o.segment(), o.offset() + a));
        out.copyBack(o);
        Tensor.releaseCopies(x, cx, mask, cm);
        return out;
    }
}

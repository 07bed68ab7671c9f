package io.tensorlane.runtime;

import io.tensorlane.kernels.Checks;
import io.tensorlane.kernels.KernelSet;
import io.tensorlane.kernels.PackedMatrix;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Recurrent;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Tensor-level validation and dispatch of the recurrent ops behind {@link Ops} (vanilla tanh RNN, LSTM
 * with gate order i|f|o|g; see {@link Recurrent} for the algorithm). A step is a sequence of length 1:
 * {@code x (N,D)} is viewed as {@code (N,1,D)}. Sizes come from x (N, T, D) and the hidden state (H);
 * every other argument is checked against them with a message that names it.
 *
 * <p>Workspaces are allocated once per call (native, GC-freed), never per step. Strided inputs are
 * copied to contiguous scratch first. Weight grads passed in are accumulated into (+=).
 */
final class RecurrentOps {
    private RecurrentOps() {
    }

    /** Never the owner of a confined segment: probes whether pool threads may touch a tensor. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    /** Sizes of one call: gates = 1 (RNN) or 4 (LSTM). */
    private record Sizes(String op, int n, int t, int d, int h, int gates) {
        long[] hShape(boolean seq) {
            return seq ? new long[] {n, t, h} : new long[] {n, h};
        }

        long[] gShape(boolean seq) {
            return seq ? new long[] {n, t, (long) gates * h} : new long[] {n, (long) gates * h};
        }
    }

    // ============================================================ validation

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

    private static int dim(String op, String what, long v) {
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + what + " must be in [1, " + Integer.MAX_VALUE + "], got " + v);
        }
        return (int) v;
    }

    /** x (N,D) or (N,T,D) and the state that fixes H. */
    private static Sizes sizes(String op, boolean seq, Tensor x, String hName, Tensor h0, int gates) {
        f32(op, "x", x);
        f32(op, hName, h0);
        if (x.rank() != (seq ? 3 : 2)) {
            throw new IllegalArgumentException(op + ": x must be " + (seq ? "3-D (N, T, D)" : "2-D (N, D)") + ", got x=" + s(x));
        }
        if (h0.rank() != 2) {
            throw new IllegalArgumentException(op + ": " + hName + " must be 2-D (N, H), got " + hName + "=" + s(h0));
        }
        int n = dim(op, "N (x's dim 0)", x.dim(0));
        int t = seq ? dim(op, "T (x's dim 1)", x.dim(1)) : 1;
        int d = dim(op, "D (x's last dim)", x.dim(x.rank() - 1));
        int h = dim(op, "H (" + hName + "'s dim 1)", h0.dim(1));
        if (h0.dim(0) != n) {
            throw new IllegalArgumentException(op + ": " + hName + " has shape " + s(h0) + " but x=" + s(x) + " needs [" + n + ", H]");
        }
        if ((long) gates * h > Integer.MAX_VALUE / Math.max(1, t)) {
            throw new IllegalArgumentException(op + ": T*" + gates + "H = " + t + "*" + gates + "*" + h + " exceeds the int range");
        }
        return new Sizes(op, n, t, d, h, gates);
    }

    private static void shape(Sizes z, String arg, Tensor t, long... expected) {
        f32(z.op, arg, t);
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(z.op + ": " + arg + " has shape " + s(t) + " but N=" + z.n
                    + (z.t > 1 ? ", T=" + z.t : "") + ", D=" + z.d + ", H=" + z.h + " needs " + Arrays.toString(expected));
        }
    }

    private static void weights(Sizes z, Tensor wx, Tensor wh, Tensor b) {
        long g = (long) z.gates * z.h;
        shape(z, "wx", wx, z.d, g);
        shape(z, "wh", wh, z.h, g);
        if (b != null) shape(z, "b", b, g);
    }

    /** An output: right shape, contiguous, writable. */
    private static void out(Sizes z, String arg, Tensor t, long... expected) {
        shape(z, arg, t, expected);
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(z.op + ": " + arg + " " + s(t) + " with strides " + Arrays.toString(t.strides())
                    + " is not contiguous");
        }
        if (t.segment().isReadOnly()) throw new IllegalArgumentException(z.op + ": " + arg + " " + s(t) + " is read-only");
    }

    private static Parallelism parFor(Parallelism par, Tensor... ts) {
        if (par.isSingle()) return par;
        for (Tensor t : ts) {
            if (t != null && !t.segment().isAccessibleBy(OTHER_THREAD)) return Parallelism.single();
        }
        return par;
    }

    private static Tensor c(Tensor t) {
        return t == null ? null : t.contiguousScratch();
    }

    private static MemorySegment seg(Tensor t) {
        return t == null ? null : t.segment();
    }

    /**
     * The kernels' own check that outputs share no memory with inputs or with each other ({@link Recurrent}),
     * run here for the pairs that involve a heap tensor: the kernels see native copies of those (see
     * {@link Tensor}), whose memory never overlaps anything. Native pairs are left to the kernels (same message).
     * Only contiguous tensors are checked, as strided ones are copied before anything is written.
     */
    private static void heapApart(String op, Tensor[] ins, String[] inNames, Tensor[] outs, String[] outNames) {
        for (int i = 0; i < outs.length; i++) {
            for (int j = 0; j < ins.length; j++) apart(op, outNames[i], outs[i], inNames[j], ins[j]);
            for (int j = i + 1; j < outs.length; j++) apart(op, outNames[i], outs[i], outNames[j], outs[j]);
        }
    }

    private static void apart(String op, String aName, Tensor a, String bName, Tensor b) {
        if (a == null || b == null || (a.segment().isNative() && b.segment().isNative())) return;
        if (!a.isContiguous() || !b.isContiguous()) return;
        Checks.disjoint(op, aName, a.segment(), a.offset(), a.numel(), Float.BYTES, bName, b.segment(), b.offset(), b.numel(), Float.BYTES);
    }

    /** A native stand-in for an output (null stays null), copied in too: see {@link Tensor#nativeOutput}. */
    private static Tensor stage(Tensor out) {
        return out == null ? null : out.nativeOutput(true);
    }

    private static long off(Tensor t) {
        return t == null ? 0 : t.offset();
    }

    private static MemorySegment workspace(long floats) {
        return Arena.ofAuto().allocate(Math.max(1, floats) * Float.BYTES, 64);
    }

    private static Tensor like(Tensor ref, long... shape) {
        return Tensor.allocateLike(ref, DType.F32, shape);
    }

    // ============================================================ RNN

    static Tensor rnn(KernelSet k, Parallelism par, String op, boolean seq, Tensor x, Tensor h0, Tensor wx, Tensor wh,
                      Tensor b, Tensor hOut) {
        String hName = seq ? "h0" : "prevH";
        Sizes z = sizes(op, seq, x, hName, h0, 1);
        weights(z, wx, wh, b);
        if (hOut == null) {
            hOut = like(x, z.hShape(seq));
        } else {
            out(z, seq ? "h" : "nextH", hOut, z.hShape(seq));
        }
        heapApart(op, new Tensor[] {x, h0, wx, wh, b}, new String[] {"x", "h0", "wx", "wh", "b"},
                new Tensor[] {hOut}, new String[] {"h"});
        Tensor cx = c(x), ch = c(h0), cwx = c(wx), cwh = c(wh), cb = c(b);
        MemorySegment ws = workspace(Recurrent.rnnForwardWorkspace(z.h));
        Tensor shOut = stage(hOut);
        Recurrent.rnnForward(k, z.n, z.t, z.d, z.h, cx.segment(), cx.offset(), ch.segment(), ch.offset(),
                cwx.segment(), cwx.offset(), cwh.segment(), cwh.offset(), cb.segment(), cb.offset(),
                shOut.segment(), shOut.offset(), ws, 0, parFor(par, cx, ch, cwx, cwh, cb, shOut));
        Tensor.copyBackAll(hOut, shOut);
        return hOut;
    }

    static RecurrentGrads rnnBackward(KernelSet k, Parallelism par, String op, boolean seq, Tensor x, Tensor h0,
                                      Tensor wx, Tensor wh, Tensor hOut, Tensor dh,
                                      Tensor dx, Tensor dh0, Tensor dWx, Tensor dWh, Tensor db) {
        String hName = seq ? "h0" : "prevH";
        Sizes z = sizes(op, seq, x, hName, h0, 1);
        weights(z, wx, wh, null);
        shape(z, seq ? "h" : "nextH", hOut, z.hShape(seq));
        shape(z, seq ? "dh" : "dNextH", dh, z.hShape(seq));
        if (dx == null) {
            dx = like(x, x.shape());
            dh0 = like(x, z.n, z.h);
            dWx = like(x, wx.shape());
            dWh = like(x, wh.shape());
            db = like(x, z.h);
        } else {
            out(z, "dx", dx, x.shape());
            out(z, seq ? "dh0" : "dPrevH", dh0, z.n, z.h);
            out(z, "dWx", dWx, wx.shape());
            out(z, "dWh", dWh, wh.shape());
            out(z, "db", db, z.h);
        }
        heapApart(op, new Tensor[] {x, h0, wx, wh, hOut, dh}, new String[] {"x", "h0", "wx", "wh", "h", "dh"},
                new Tensor[] {dx, dh0, dWx, dWh, db}, new String[] {"dx", "dh0", "dWx", "dWh", "db"});
        Tensor cx = c(x), ch = c(h0), cwx = c(wx), cwh = c(wh), chy = c(hOut), cdh = c(dh);
        MemorySegment ws = workspace(Recurrent.rnnBackwardWorkspace(z.n, z.t, z.h));
        Tensor sdx = stage(dx);
        Tensor sdh0 = stage(dh0);
        Tensor sdWx = stage(dWx);
        Tensor sdWh = stage(dWh);
        Tensor sdb = stage(db);
        Recurrent.rnnBackward(k, z.n, z.t, z.d, z.h, cx.segment(), cx.offset(), ch.segment(), ch.offset(),
                cwx.segment(), cwx.offset(), cwh.segment(), cwh.offset(), chy.segment(), chy.offset(), cdh.segment(), cdh.offset(),
                sdx.segment(), sdx.offset(), sdh0.segment(), sdh0.offset(), sdWx.segment(), sdWx.offset(),
                sdWh.segment(), sdWh.offset(), sdb.segment(), sdb.offset(), ws, 0,
                parFor(par, cx, ch, cwx, cwh, chy, cdh, sdx, sdh0, sdWx, sdWh, sdb));
        Tensor.copyBackAll(dx, sdx, dh0, sdh0, dWx, sdWx, dWh, sdWh, db, sdb);
        return new RecurrentGrads(dx, dh0, null, dWx, dWh, db);
    }

    // ============================================================ LSTM

    static LstmOutput lstm(KernelSet k, Parallelism par, String op, boolean seq, Tensor x, Tensor h0, Tensor c0,
                           Tensor wx, Tensor wh, Tensor b, Tensor hOut, Tensor cOut, Tensor gates) {
        String hName = seq ? "h0" : "prevH", cName = seq ? "c0" : "prevC";
        Sizes z = sizes(op, seq, x, hName, h0, 4);
        if (c0 != null || !seq) shape(z, cName, c0, z.n, z.h);
        weights(z, wx, wh, b);
        if (hOut == null) {
            hOut = like(x, z.hShape(seq));
            cOut = like(x, z.hShape(seq));
            gates = like(x, z.gShape(seq));
        } else {
            out(z, seq ? "h" : "nextH", hOut, z.hShape(seq));
            out(z, seq ? "c" : "nextC", cOut, z.hShape(seq));
            out(z, "gates", gates, z.gShape(seq));
        }
        heapApart(op, new Tensor[] {x, h0, c0, wx, wh, b}, new String[] {"x", "h0", "c0", "wx", "wh", "b"},
                new Tensor[] {hOut, cOut, gates}, new String[] {"h", "c", "gates"});
        Tensor cx = c(x), ch = c(h0), cc = c(c0), cwx = c(wx), cwh = c(wh), cb = c(b);
        Tensor shOut = stage(hOut);
        Tensor scOut = stage(cOut);
        Tensor sgates = stage(gates);
        Recurrent.lstmForward(k, z.n, z.t, z.d, z.h, cx.segment(), cx.offset(), ch.segment(), ch.offset(), seg(cc), off(cc),
                cwx.segment(), cwx.offset(), cwh.segment(), cwh.offset(), cb.segment(), cb.offset(),
                shOut.segment(), shOut.offset(), scOut.segment(), scOut.offset(), sgates.segment(), sgates.offset(),
                parFor(par, cx, ch, cc, cwx, cwh, cb, shOut, scOut, sgates));
        Tensor.copyBackAll(hOut, shOut, cOut, scOut, gates, sgates);
        return new LstmOutput(hOut, cOut, gates);
    }

    /** wx (D,4H) and wh (H,4H) packed once for {@link #lstmPacked} (see {@link Recurrent#lstmPackWeights}). */
    static PackedMatrix lstmPackWeights(KernelSet k, String op, Tensor wx, Tensor wh) {
        f32(op, "wx", wx);
        f32(op, "wh", wh);
        if (wx.rank() != 2 || wh.rank() != 2 || wh.dim(1) != 4 * wh.dim(0) || wx.dim(1) != wh.dim(1)) {
            throw new IllegalArgumentException(op + ": wx " + s(wx) + " and wh " + s(wh) + " must be (D,4H) and (H,4H)");
        }
        int d = dim(op, "D", wx.dim(0)), h = dim(op, "H", wh.dim(0));
        Tensor cwx = c(wx), cwh = c(wh);
        return Recurrent.lstmPackWeights(k, d, h, cwx.segment(), cwx.offset(), cwh.segment(), cwh.offset());
    }

    /** {@link #lstm} (a step, into given outputs) with the weights packed by {@link #lstmPackWeights}. */
    static void lstmPacked(KernelSet k, Parallelism par, String op, Tensor x, Tensor h0, Tensor c0,
                           PackedMatrix w, Tensor b, Tensor hOut, Tensor cOut, Tensor gates) {
        Sizes z = sizes(op, false, x, "prevH", h0, 4);
        shape(z, "prevC", c0, z.n, z.h);
        shape(z, "b", b, 4L * z.h);
        out(z, "nextH", hOut, z.hShape(false));
        out(z, "nextC", cOut, z.hShape(false));
        out(z, "gates", gates, z.gShape(false));
        heapApart(op, new Tensor[] {x, h0, c0, b}, new String[] {"x", "h0", "c0", "b"},
                new Tensor[] {hOut, cOut, gates}, new String[] {"h", "c", "gates"});
        Tensor cx = c(x), ch = c(h0), cc = c(c0), cb = c(b);
        Tensor shOut = stage(hOut);
        Tensor scOut = stage(cOut);
        Tensor sgates = stage(gates);
        Recurrent.lstmForward(k, z.n, z.t, z.d, z.h, cx.segment(), cx.offset(), ch.segment(), ch.offset(), seg(cc), off(cc),
                w, cb.segment(), cb.offset(), shOut.segment(), shOut.offset(), scOut.segment(), scOut.offset(),
                sgates.segment(), sgates.offset(), parFor(par, cx, ch, cc, cb, shOut, scOut, sgates));
        Tensor.copyBackAll(hOut, shOut, cOut, scOut, gates, sgates);
    }

    static RecurrentGrads lstmBackward(KernelSet k, Parallelism par, String op, boolean seq, Tensor x, Tensor h0,
                                       Tensor c0, Tensor wx, Tensor wh, LstmOutput fwd, Tensor dh, Tensor dcLast,
                                       boolean allocate, Tensor dx, Tensor dh0, Tensor dc0,
                                       Tensor dWx, Tensor dWh, Tensor db) {
        String hName = seq ? "h0" : "prevH", cName = seq ? "c0" : "prevC";
        Sizes z = sizes(op, seq, x, hName, h0, 4);
        if (c0 != null || !seq) shape(z, cName, c0, z.n, z.h);
        weights(z, wx, wh, null);
        if (fwd == null) throw new IllegalArgumentException(op + ": fwd (the forward's LstmOutput) is null");
        shape(z, seq ? "fwd.h" : "fwd.h (nextH)", fwd.h(), z.hShape(seq));
        shape(z, seq ? "fwd.c" : "fwd.c (nextC)", fwd.c(), z.hShape(seq));
        shape(z, "fwd.gates", fwd.gates(), z.gShape(seq));
        shape(z, seq ? "dh" : "dNextH", dh, z.hShape(seq));
        if (dcLast != null) shape(z, seq ? "dcLast" : "dNextC", dcLast, z.n, z.h);
        long g = 4L * z.h;
        if (allocate) {
            dx = like(x, x.shape());
            dh0 = like(x, z.n, z.h);
            dc0 = like(x, z.n, z.h);
            dWx = like(x, z.d, g);
            dWh = like(x, z.h, g);
            db = like(x, g);
        } else {
            out(z, "dx", dx, x.shape());
            out(z, seq ? "dh0" : "dPrevH", dh0, z.n, z.h);
            if (dc0 != null || !seq) out(z, seq ? "dc0" : "dPrevC", dc0, z.n, z.h);
            out(z, "dWx", dWx, z.d, g);
            out(z, "dWh", dWh, z.h, g);
            out(z, "db", db, g);
        }
        heapApart(op, new Tensor[] {x, h0, c0, wx, wh, fwd.h(), fwd.c(), fwd.gates(), dh, dcLast},
                new String[] {"x", "h0", "c0", "wx", "wh", "h", "c", "gates", "dh", "dcLast"},
                new Tensor[] {dx, dh0, dc0, dWx, dWh, db}, new String[] {"dx", "dh0", "dc0", "dWx", "dWh", "db"});
        Tensor cx = c(x), ch = c(h0), cc = c(c0), cwx = c(wx), cwh = c(wh);
        Tensor chy = c(fwd.h()), ccy = c(fwd.c()), cg = c(fwd.gates()), cdh = c(dh), cdc = c(dcLast);
        MemorySegment ws = workspace(Recurrent.lstmBackwardWorkspace(z.n, z.t, z.h));
        Tensor sdx = stage(dx);
        Tensor sdh0 = stage(dh0);
        Tensor sdc0 = stage(dc0);
        Tensor sdWx = stage(dWx);
        Tensor sdWh = stage(dWh);
        Tensor sdb = stage(db);
        Recurrent.lstmBackward(k, z.n, z.t, z.d, z.h, cx.segment(), cx.offset(), ch.segment(), ch.offset(), seg(cc), off(cc),
                cwx.segment(), cwx.offset(), cwh.segment(), cwh.offset(),
                chy.segment(), chy.offset(), ccy.segment(), ccy.offset(), cg.segment(), cg.offset(),
                cdh.segment(), cdh.offset(), seg(cdc), off(cdc),
                sdx.segment(), sdx.offset(), sdh0.segment(), sdh0.offset(), seg(sdc0), off(sdc0),
                sdWx.segment(), sdWx.offset(), sdWh.segment(), sdWh.offset(), sdb.segment(), sdb.offset(), ws, 0,
                parFor(par, cx, ch, cc, cwx, cwh, chy, ccy, cg, cdh, cdc, sdx, sdh0, sdc0, sdWx, sdWh, sdb));
        Tensor.copyBackAll(dx, sdx, dh0, sdh0, dc0, sdc0, dWx, sdWx, dWh, sdWh, db, sdb);
        return new RecurrentGrads(dx, dh0, dc0, dWx, dWh, db);
    }
}

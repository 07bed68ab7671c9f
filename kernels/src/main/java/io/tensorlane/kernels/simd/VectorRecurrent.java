package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.RecurrentKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Vector API version of {@link RecurrentKernels}. Each row is handled in several short loops over the
 * lanes (hot in L1) rather than one long one: a loop that holds an exp and the tanh combination
 * exceeds what C2 inlines into one compilation unit and its vectors would be boxed (see
 * {@link VectorMath#tanhFromExp}). Intermediate exp values are parked in an output range that is about
 * to be overwritten (the LSTM's h row, the o-section of da) or in the caller's scratch (RNN).
 * Transcendental tails use {@link VectorMath}'s scalar forms (the very same float operations as the
 * lanes); the other loops do the scalar twin's float operations in the same order, so they agree
 * with it bit for bit given the same activations.
 */
public final class VectorRecurrent implements RecurrentKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final int F = Float.BYTES;

    @Override
    public void rnnTanhForward(int n, int h, MemorySegment a, long aOff, long lda, MemorySegment b, long bOff,
                               MemorySegment ws, long wsOff) {
        int bound = S.loopBound(h);
        for (int r = 0; r < n; r++) {
            long row = aOff + r * lda;
            gateExpPass(bound, a, row, b, bOff, ws, wsOff); // a = a + b in place, exp(-2|a|) into ws
            tanhCombinePass(bound, a, row, ws, wsOff, a, row);
            for (int j = bound; j < h; j++) {
                float v = a.getAtIndex(JAVA_FLOAT, row + j) + b.getAtIndex(JAVA_FLOAT, bOff + j);
                a.setAtIndex(JAVA_FLOAT, row + j, VectorMath.tanh(v));
            }
        }
    }

    @Override
    public void rnnTanhBackward(int n, int h, MemorySegment y, long yOff, long ldy,
                                MemorySegment dh, long dhOff, long lddh,
                                MemorySegment carry, long carryOff,
                                MemorySegment da, long daOff, long ldda) {
        for (int r = 0; r < n; r++) {
            long yr = yOff + r * ldy, dr = dhOff + r * lddh, cr = carryOff + (long) r * h, ar = daOff + r * ldda;
            for (int j = 0; j < h; j += L) {
                VectorMask<Float> m = S.indexInRange(j, h);
                FloatVector t = FloatVector.fromMemorySegment(S, y, (yr + j) * F, NATIVE, m);
                FloatVector d = FloatVector.fromMemorySegment(S, dh, (dr + j) * F, NATIVE, m);
                if (carry != null) d = d.add(FloatVector.fromMemorySegment(S, carry, (cr + j) * F, NATIVE, m));
                d.mul(t.mul(t).neg().add(1f)).intoMemorySegment(da, (ar + j) * F, NATIVE, m);
            }
        }
    }

    @Override
    public void lstmForward(int n, int h, MemorySegment gates, long gOff, long ldg, MemorySegment b, long bOff,
                            MemorySegment cPrev, long cpOff, long ldcp,
                            MemorySegment c, long cOff, long ldc,
                            MemorySegment hOut, long hOff, long ldh) {
        int h3 = 3 * h;
        int sigBound = S.loopBound(h3), bound = S.loopBound(h);
        for (int r = 0; r < n; r++) {
            long g0 = gOff + r * ldg, gg = g0 + h3, hr = hOff + r * ldh, cr = cOff + r * ldc, pr = cpOff + r * ldcp;
            sigmoidPass(sigBound, gates, g0, b, bOff);
            for (int j = sigBound; j < h3; j++) {
                float v = gates.getAtIndex(JAVA_FLOAT, g0 + j) + b.getAtIndex(JAVA_FLOAT, bOff + j);
                gates.setAtIndex(JAVA_FLOAT, g0 + j, VectorMath.sigmoid(v));
            }
            gateExpPass(bound, gates, gg, b, bOff + h3, hOut, hr);
            tanhCombinePass(bound, gates, gg, hOut, hr, gates, gg);
            for (int j = bound; j < h; j++) {
                float v = gates.getAtIndex(JAVA_FLOAT, gg + j) + b.getAtIndex(JAVA_FLOAT, bOff + h3 + j);
                gates.setAtIndex(JAVA_FLOAT, gg + j, VectorMath.tanh(v));
            }
            if (cPrev == null) {
                cellPassNoPrev(bound, gates, g0, gg, c, cr, hOut, hr);
            } else {
                cellPass(bound, gates, g0, h, gg, cPrev, pr, c, cr, hOut, hr);
            }
            outputPass(bound, gates, g0 + 2L * h, c, cr, hOut, hr);
            for (int j = bound; j < h; j++) {
                float i = gates.getAtIndex(JAVA_FLOAT, g0 + j), f = gates.getAtIndex(JAVA_FLOAT, g0 + h + j);
                float o = gates.getAtIndex(JAVA_FLOAT, g0 + 2L * h + j), g = gates.getAtIndex(JAVA_FLOAT, gg + j);
                float cn = cPrev == null ? i * g : f * cPrev.getAtIndex(JAVA_FLOAT, pr + j) + i * g;
                c.setAtIndex(JAVA_FLOAT, cr + j, cn);
                hOut.setAtIndex(JAVA_FLOAT, hr + j, o * VectorMath.tanh(cn));
            }
        }
    }

    // One small method per pass: each is compiled with its own inlining budget, so the Vector API calls
    // and VectorMath are inlined and no vector is boxed (one method with every pass was 10x slower).

    /** In place: sigmoid(g + b) over len (a multiple of L) elements; the range is its own exp scratch. */
    private static void sigmoidPass(int len, MemorySegment g, long gOff, MemorySegment b, long bOff) {
        for (int j = 0; j < len; j += L) {
            long o = (gOff + j) * F;
            FloatVector v = FloatVector.fromMemorySegment(S, g, o, NATIVE)
                    .add(FloatVector.fromMemorySegment(S, b, (bOff + j) * F, NATIVE));
            VectorMath.sigmoid(v, g, o).intoMemorySegment(g, o, NATIVE);
        }
    }

    /** v = g + b stored in place, exp(-2|v|) into e. */
    private static void gateExpPass(int len, MemorySegment g, long gOff, MemorySegment b, long bOff, MemorySegment e, long eOff) {
        for (int j = 0; j < len; j += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, g, (gOff + j) * F, NATIVE)
                    .add(FloatVector.fromMemorySegment(S, b, (bOff + j) * F, NATIVE));
            v.intoMemorySegment(g, (gOff + j) * F, NATIVE);
            long o = (eOff + j) * F;
            VectorMath.expNonPositive(VectorMath.tanhExpArg(v), e, o).intoMemorySegment(e, o, NATIVE);
        }
    }

    /** y = tanh(v) from v and e = exp(-2|v|); y may be v itself. */
    private static void tanhCombinePass(int len, MemorySegment v, long vOff, MemorySegment e, long eOff, MemorySegment y, long yOff) {
        for (int j = 0; j < len; j += L) {
            FloatVector x = FloatVector.fromMemorySegment(S, v, (vOff + j) * F, NATIVE);
            FloatVector ev = FloatVector.fromMemorySegment(S, e, (eOff + j) * F, NATIVE);
            VectorMath.tanhFromExp(x, ev).intoMemorySegment(y, (yOff + j) * F, NATIVE);
        }
    }

    /** c = f*cPrev + i*g, exp(-2|c|) into e. */
    private static void cellPass(int len, MemorySegment gates, long g0, int h, long gg, MemorySegment cPrev, long pr,
                                 MemorySegment c, long cr, MemorySegment e, long eOff) {
        for (int j = 0; j < len; j += L) {
            FloatVector i = FloatVector.fromMemorySegment(S, gates, (g0 + j) * F, NATIVE);
            FloatVector g = FloatVector.fromMemorySegment(S, gates, (gg + j) * F, NATIVE);
            FloatVector f = FloatVector.fromMemorySegment(S, gates, (g0 + h + j) * F, NATIVE);
            FloatVector cn = f.mul(FloatVector.fromMemorySegment(S, cPrev, (pr + j) * F, NATIVE)).add(i.mul(g));
            cn.intoMemorySegment(c, (cr + j) * F, NATIVE);
            long o = (eOff + j) * F;
            VectorMath.expNonPositive(VectorMath.tanhExpArg(cn), e, o).intoMemorySegment(e, o, NATIVE);
        }
    }

    /** c = i*g (zero previous cell state), exp(-2|c|) into e. */
    private static void cellPassNoPrev(int len, MemorySegment gates, long g0, long gg, MemorySegment c, long cr,
                                       MemorySegment e, long eOff) {
        for (int j = 0; j < len; j += L) {
            FloatVector cn = FloatVector.fromMemorySegment(S, gates, (g0 + j) * F, NATIVE)
                    .mul(FloatVector.fromMemorySegment(S, gates, (gg + j) * F, NATIVE));
            cn.intoMemorySegment(c, (cr + j) * F, NATIVE);
            long o = (eOff + j) * F;
            VectorMath.expNonPositive(VectorMath.tanhExpArg(cn), e, o).intoMemorySegment(e, o, NATIVE);
        }
    }

    /** h = o * tanh(c), from c and e = exp(-2|c|) parked in h. */
    private static void outputPass(int len, MemorySegment gates, long go, MemorySegment c, long cr, MemorySegment hOut, long hr) {
        for (int j = 0; j < len; j += L) {
            FloatVector cn = FloatVector.fromMemorySegment(S, c, (cr + j) * F, NATIVE);
            FloatVector e = FloatVector.fromMemorySegment(S, hOut, (hr + j) * F, NATIVE);
            FloatVector o = FloatVector.fromMemorySegment(S, gates, (go + j) * F, NATIVE);
            o.mul(VectorMath.tanhFromExp(cn, e)).intoMemorySegment(hOut, (hr + j) * F, NATIVE);
        }
    }

    @Override
    public void lstmBackward(int n, int h, MemorySegment gates, long gOff, long ldg,
                             MemorySegment c, long cOff, long ldc,
                             MemorySegment cPrev, long cpOff, long ldcp,
                             MemorySegment dh, long dhOff, long lddh,
                             MemorySegment dhCarry, long dhcOff,
                             MemorySegment dcIn, long dcInOff,
                             MemorySegment da, long daOff, long ldda,
                             MemorySegment dcPrev, long dcpOff) {
        int bound = S.loopBound(h);
        for (int r = 0; r < n; r++) {
            long g0 = gOff + r * ldg, d0 = daOff + r * ldda, cr = cOff + r * ldc, flat = (long) r * h;
            long dO = d0 + 2L * h; // the o-section of da holds exp(-2|c|), then tanh(c), until it is written
            cellExpPass(bound, c, cr, da, dO);
            tanhCombinePass(bound, c, cr, da, dO, da, dO);
            for (int j = bound; j < h; j++) {
                da.setAtIndex(JAVA_FLOAT, dO + j, VectorMath.tanh(c.getAtIndex(JAVA_FLOAT, cr + j)));
            }
            gateGradPass(h, gates, g0, cPrev, cPrev == null ? 0 : cpOff + r * ldcp, dh, dhOff + r * lddh,
                    dhCarry, dhcOff + flat, dcIn, dcInOff + flat, da, d0, dcPrev, dcpOff + flat);
        }
    }

    /** exp(-2|c|) into e. */
    private static void cellExpPass(int len, MemorySegment c, long cr, MemorySegment e, long eOff) {
        for (int j = 0; j < len; j += L) {
            FloatVector cn = FloatVector.fromMemorySegment(S, c, (cr + j) * F, NATIVE);
            long o = (eOff + j) * F;
            VectorMath.expNonPositive(VectorMath.tanhExpArg(cn), e, o).intoMemorySegment(e, o, NATIVE);
        }
    }

    /** One row of the LSTM gate gradients; tanh(c) waits in da's o-section. Masked tail. */
    private static void gateGradPass(int h, MemorySegment gates, long g0, MemorySegment cPrev, long cp0,
                                     MemorySegment dh, long dh0, MemorySegment dhCarry, long dhc0,
                                     MemorySegment dcIn, long dc0, MemorySegment da, long d0,
                                     MemorySegment dcPrev, long dcp0) {
        long dO = d0 + 2L * h;
        for (int j = 0; j < h; j += L) {
            VectorMask<Float> m = S.indexInRange(j, h);
            FloatVector i = FloatVector.fromMemorySegment(S, gates, (g0 + j) * F, NATIVE, m);
            FloatVector f = FloatVector.fromMemorySegment(S, gates, (g0 + h + j) * F, NATIVE, m);
            FloatVector o = FloatVector.fromMemorySegment(S, gates, (g0 + 2L * h + j) * F, NATIVE, m);
            FloatVector g = FloatVector.fromMemorySegment(S, gates, (g0 + 3L * h + j) * F, NATIVE, m);
            FloatVector tc = FloatVector.fromMemorySegment(S, da, (dO + j) * F, NATIVE, m);
            FloatVector dhv = FloatVector.fromMemorySegment(S, dh, (dh0 + j) * F, NATIVE, m);
            if (dhCarry != null) dhv = dhv.add(FloatVector.fromMemorySegment(S, dhCarry, (dhc0 + j) * F, NATIVE, m));
            FloatVector dc = dcIn == null ? FloatVector.zero(S)
                    : FloatVector.fromMemorySegment(S, dcIn, (dc0 + j) * F, NATIVE, m);
            FloatVector cp = cPrev == null ? FloatVector.zero(S)
                    : FloatVector.fromMemorySegment(S, cPrev, (cp0 + j) * F, NATIVE, m);
            dc = dc.add(dhv.mul(o).mul(tc.mul(tc).neg().add(1f)));
            FloatVector dOut = dhv.mul(tc);
            dc.mul(g).mul(i.mul(i.neg().add(1f))).intoMemorySegment(da, (d0 + j) * F, NATIVE, m);
            dc.mul(cp).mul(f.mul(f.neg().add(1f))).intoMemorySegment(da, (d0 + h + j) * F, NATIVE, m);
            dOut.mul(o.mul(o.neg().add(1f))).intoMemorySegment(da, (dO + j) * F, NATIVE, m);
            dc.mul(i).mul(g.mul(g).neg().add(1f)).intoMemorySegment(da, (d0 + 3L * h + j) * F, NATIVE, m);
            dc.mul(f).intoMemorySegment(dcPrev, (dcp0 + j) * F, NATIVE, m);
        }
    }

    @Override
    public void addColumnSums(long rows, int cols, MemorySegment m, long mOff, long ldm, MemorySegment db, long dbOff) {
        for (int j = 0; j < cols; j += L) {
            VectorMask<Float> mask = S.indexInRange(j, cols);
            FloatVector acc = FloatVector.fromMemorySegment(S, db, (dbOff + j) * F, NATIVE, mask);
            for (long r = 0; r < rows; r++) {
                acc = acc.add(FloatVector.fromMemorySegment(S, m, (mOff + r * ldm + j) * F, NATIVE, mask));
            }
            acc.intoMemorySegment(db, (dbOff + j) * F, NATIVE, mask);
        }
    }
}

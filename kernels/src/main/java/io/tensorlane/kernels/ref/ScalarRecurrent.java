package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.RecurrentKernels;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Scalar reference twin of {@link RecurrentKernels}: one element at a time, transcendentals in double
 * and rounded once (as {@link ScalarActivations}), so it serves as the oracle for the SIMD version.
 */
public final class ScalarRecurrent implements RecurrentKernels {
    @Override
    public void rnnTanhForward(int n, int h, MemorySegment a, long aOff, long lda, MemorySegment b, long bOff,
                               MemorySegment ws, long wsOff) {
        for (int r = 0; r < n; r++) {
            long row = aOff + r * lda;
            for (int j = 0; j < h; j++) {
                float v = a.getAtIndex(JAVA_FLOAT, row + j) + b.getAtIndex(JAVA_FLOAT, bOff + j);
                a.setAtIndex(JAVA_FLOAT, row + j, (float) Math.tanh(v));
            }
        }
    }

    @Override
    public void rnnTanhBackward(int n, int h, MemorySegment y, long yOff, long ldy,
                                MemorySegment dh, long dhOff, long lddh,
                                MemorySegment carry, long carryOff,
                                MemorySegment da, long daOff, long ldda) {
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < h; j++) {
                float t = y.getAtIndex(JAVA_FLOAT, yOff + r * ldy + j);
                float d = dh.getAtIndex(JAVA_FLOAT, dhOff + r * lddh + j);
                if (carry != null) d += carry.getAtIndex(JAVA_FLOAT, carryOff + (long) r * h + j);
                da.setAtIndex(JAVA_FLOAT, daOff + r * ldda + j, d * (1f - t * t));
            }
        }
    }

    @Override
    public void lstmForward(int n, int h, MemorySegment gates, long gOff, long ldg, MemorySegment b, long bOff,
                            MemorySegment cPrev, long cpOff, long ldcp,
                            MemorySegment c, long cOff, long ldc,
                            MemorySegment hOut, long hOff, long ldh) {
        for (int r = 0; r < n; r++) {
            long g0 = gOff + r * ldg;
            for (int j = 0; j < 4 * h; j++) {
                float v = gates.getAtIndex(JAVA_FLOAT, g0 + j) + b.getAtIndex(JAVA_FLOAT, bOff + j);
                gates.setAtIndex(JAVA_FLOAT, g0 + j, j < 3 * h ? ScalarActivations.sigmoid(v) : (float) Math.tanh(v));
            }
            for (int j = 0; j < h; j++) {
                float i = gates.getAtIndex(JAVA_FLOAT, g0 + j);
                float f = gates.getAtIndex(JAVA_FLOAT, g0 + h + j);
                float o = gates.getAtIndex(JAVA_FLOAT, g0 + 2L * h + j);
                float g = gates.getAtIndex(JAVA_FLOAT, g0 + 3L * h + j);
                float cp = cPrev == null ? 0f : cPrev.getAtIndex(JAVA_FLOAT, cpOff + r * ldcp + j);
                float cn = f * cp + i * g;
                c.setAtIndex(JAVA_FLOAT, cOff + r * ldc + j, cn);
                hOut.setAtIndex(JAVA_FLOAT, hOff + r * ldh + j, o * (float) Math.tanh(cn));
            }
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
        for (int r = 0; r < n; r++) {
            long g0 = gOff + r * ldg, d0 = daOff + r * ldda, flat = (long) r * h;
            for (int j = 0; j < h; j++) {
                float i = gates.getAtIndex(JAVA_FLOAT, g0 + j);
                float f = gates.getAtIndex(JAVA_FLOAT, g0 + h + j);
                float o = gates.getAtIndex(JAVA_FLOAT, g0 + 2L * h + j);
                float g = gates.getAtIndex(JAVA_FLOAT, g0 + 3L * h + j);
                float cn = c.getAtIndex(JAVA_FLOAT, cOff + r * ldc + j);
                float cp = cPrev == null ? 0f : cPrev.getAtIndex(JAVA_FLOAT, cpOff + r * ldcp + j);
                float dhv = dh.getAtIndex(JAVA_FLOAT, dhOff + r * lddh + j);
                if (dhCarry != null) dhv += dhCarry.getAtIndex(JAVA_FLOAT, dhcOff + flat + j);
                float dc = dcIn == null ? 0f : dcIn.getAtIndex(JAVA_FLOAT, dcInOff + flat + j);
                float tc = (float) Math.tanh(cn);
                dc += dhv * o * (1f - tc * tc);
                float dO = dhv * tc;
                da.setAtIndex(JAVA_FLOAT, d0 + j, dc * g * (i * (1f - i)));
                da.setAtIndex(JAVA_FLOAT, d0 + h + j, dc * cp * (f * (1f - f)));
                da.setAtIndex(JAVA_FLOAT, d0 + 2L * h + j, dO * (o * (1f - o)));
                da.setAtIndex(JAVA_FLOAT, d0 + 3L * h + j, dc * i * (1f - g * g));
                dcPrev.setAtIndex(JAVA_FLOAT, dcpOff + flat + j, dc * f);
            }
        }
    }

    @Override
    public void addColumnSums(long rows, int cols, MemorySegment m, long mOff, long ldm, MemorySegment db, long dbOff) {
        for (int j = 0; j < cols; j++) {
            float s = db.getAtIndex(JAVA_FLOAT, dbOff + j);
            for (long r = 0; r < rows; r++) s += m.getAtIndex(JAVA_FLOAT, mOff + r * ldm + j);
            db.setAtIndex(JAVA_FLOAT, dbOff + j, s);
        }
    }
}

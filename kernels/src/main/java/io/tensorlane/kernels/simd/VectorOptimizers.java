package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.OptimizerKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Vector API version of {@link OptimizerKernels}: one streaming pass per update, full vectors over the bulk
 * and one masked vector for the tail, with the very float operations of the scalar twin (so results agree
 * bit for bit). Weight decay has its own loop so the common wd = 0 loop carries no extra work.
 */
public final class VectorOptimizers implements OptimizerKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Elements per float partial sum in sumSquares before it is added to the double total. */
    private static final long BLOCK = 4096;

    private static FloatVector load(MemorySegment s, long off, long i) {
        return FloatVector.fromMemorySegment(S, s, (off + i) * Float.BYTES, NATIVE);
    }

    private static FloatVector load(MemorySegment s, long off, long i, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, s, (off + i) * Float.BYTES, NATIVE, m);
    }

    @Override
    public long countNonFinite(long n, MemorySegment x, long xOff) {
        // x - x is 0 for finite x and NaN for NaN or +-Inf, and NaN sticks in a sum: the common all-finite case
        // costs one subtract and one add per vector; only a tensor that has a bad value is counted exactly.
        FloatVector acc = FloatVector.zero(S);
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector v = load(x, xOff, i);
            acc = acc.add(v.sub(v));
        }
        if (i < n) {
            FloatVector v = load(x, xOff, i, S.indexInRange(i, n)); // masked lanes are 0
            acc = acc.add(v.sub(v));
        }
        if (!acc.compare(VectorOperators.NE, 0f).anyTrue()) return 0;
        long bad = 0;
        for (long j = 0; j < n; j++) {
            if (!Float.isFinite(x.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, xOff + j))) bad++;
        }
        return bad;
    }

    @Override
    public double sumSquares(long n, MemorySegment x, long xOff) {
        double total = 0;
        for (long b = 0; b < n; b += BLOCK) {
            long len = Math.min(BLOCK, n - b);
            long bound = S.loopBound(len);
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
            long i = 0;
            for (; i + L < bound; i += 2L * L) {
                FloatVector v0 = load(x, xOff + b, i), v1 = load(x, xOff + b, i + L);
                a0 = v0.fma(v0, a0);
                a1 = v1.fma(v1, a1);
            }
            for (; i < bound; i += L) {
                FloatVector v0 = load(x, xOff + b, i);
                a0 = v0.fma(v0, a0);
            }
            if (i < len) {
                FloatVector v0 = load(x, xOff + b, i, S.indexInRange(i, len));
                a1 = v0.fma(v0, a1);
            }
            total += VectorMath.sumLanes(a0.add(a1));
        }
        return total;
    }

    @Override
    public void sgd(long n, float lr, float wd, MemorySegment w, long wOff, MemorySegment g, long gOff) {
        float nlr = -lr;
        FloatVector nlrV = FloatVector.broadcast(S, nlr);
        FloatVector wdV = FloatVector.broadcast(S, wd);
        long bound = S.loopBound(n);
        long i = 0;
        if (wd == 0f) {
            for (; i < bound; i += L) {
                load(g, gOff, i).fma(nlrV, load(w, wOff, i)).intoMemorySegment(w, (wOff + i) * Float.BYTES, NATIVE);
            }
        } else {
            for (; i < bound; i += L) {
                FloatVector wv = load(w, wOff, i);
                FloatVector gv = wv.fma(wdV, load(g, gOff, i));
                gv.fma(nlrV, wv).intoMemorySegment(w, (wOff + i) * Float.BYTES, NATIVE);
            }
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector wv = load(w, wOff, i, m);
            FloatVector gv = load(g, gOff, i, m);
            if (wd != 0f) gv = wv.fma(wdV, gv);
            gv.fma(nlrV, wv).intoMemorySegment(w, (wOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void momentum(long n, boolean nesterov, float lr, float mu, float wd, MemorySegment w, long wOff,
                         MemorySegment g, long gOff, MemorySegment v, long vOff) {
        float nlr = -lr, nmu = -mu, mu1 = 1f + mu;
        FloatVector nlrV = FloatVector.broadcast(S, nlr);
        FloatVector nmuV = FloatVector.broadcast(S, nmu);
        FloatVector mu1V = FloatVector.broadcast(S, mu1);
        FloatVector muV = FloatVector.broadcast(S, mu);
        FloatVector wdV = FloatVector.broadcast(S, wd);
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector wv = load(w, wOff, i);
            FloatVector gv = load(g, gOff, i);
            if (wd != 0f) gv = wv.fma(wdV, gv);
            FloatVector vp = load(v, vOff, i);
            FloatVector vn = vp.fma(muV, gv.mul(nlr));
            vn.intoMemorySegment(v, (vOff + i) * Float.BYTES, NATIVE);
            FloatVector wn = nesterov ? vn.fma(mu1V, vp.fma(nmuV, wv)) : wv.add(vn);
            wn.intoMemorySegment(w, (wOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector wv = load(w, wOff, i, m);
            FloatVector gv = load(g, gOff, i, m);
            if (wd != 0f) gv = wv.fma(wdV, gv);
            FloatVector vp = load(v, vOff, i, m);
            FloatVector vn = vp.fma(muV, gv.mul(nlr));
            vn.intoMemorySegment(v, (vOff + i) * Float.BYTES, NATIVE, m);
            FloatVector wn = nesterov ? vn.fma(mu1V, vp.fma(nmuV, wv)) : wv.add(vn);
            wn.intoMemorySegment(w, (wOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void adagrad(long n, float lr, float eps, float wd, MemorySegment w, long wOff, MemorySegment g, long gOff,
                        MemorySegment cache, long cOff) {
        FloatVector wdV = FloatVector.broadcast(S, wd);
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector wv = load(w, wOff, i);
            FloatVector gv = load(g, gOff, i);
            if (wd != 0f) gv = wv.fma(wdV, gv);
            FloatVector cv = gv.fma(gv, load(cache, cOff, i));
            cv.intoMemorySegment(cache, (cOff + i) * Float.BYTES, NATIVE);
            wv.sub(gv.mul(lr).div(cv.sqrt().add(eps))).intoMemorySegment(w, (wOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector wv = load(w, wOff, i, m);
            FloatVector gv = load(g, gOff, i, m);
            if (wd != 0f) gv = wv.fma(wdV, gv);
            FloatVector cv = gv.fma(gv, load(cache, cOff, i, m));
            cv.intoMemorySegment(cache, (cOff + i) * Float.BYTES, NATIVE, m);
            wv.sub(gv.mul(lr).div(cv.sqrt().add(eps))).intoMemorySegment(w, (wOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void rmsprop(long n, float lr, float decay, float eps, float wd, MemorySegment w, long wOff,
                        MemorySegment g, long gOff, MemorySegment cache, long cOff) {
        float rest = 1f - decay;
        FloatVector decayV = FloatVector.broadcast(S, decay);
        FloatVector wdV = FloatVector.broadcast(S, wd);
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector wv = load(w, wOff, i);
            FloatVector gv = load(g, gOff, i);
            if (wd != 0f) gv = wv.fma(wdV, gv);
            FloatVector cv = load(cache, cOff, i).fma(decayV, gv.mul(rest).mul(gv));
            cv.intoMemorySegment(cache, (cOff + i) * Float.BYTES, NATIVE);
            wv.sub(gv.mul(lr).div(cv.sqrt().add(eps))).intoMemorySegment(w, (wOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector wv = load(w, wOff, i, m);
            FloatVector gv = load(g, gOff, i, m);
            if (wd != 0f) gv = wv.fma(wdV, gv);
            FloatVector cv = load(cache, cOff, i, m).fma(decayV, gv.mul(rest).mul(gv));
            cv.intoMemorySegment(cache, (cOff + i) * Float.BYTES, NATIVE, m);
            wv.sub(gv.mul(lr).div(cv.sqrt().add(eps))).intoMemorySegment(w, (wOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void adam(long n, float lr, float b1, float b2, float eps, float c1, float c2, float wd,
                     MemorySegment w, long wOff, MemorySegment g, long gOff, MemorySegment m, long mOff,
                     MemorySegment v, long vOff) {
        float r1 = 1f - b1, r2 = 1f - b2;
        FloatVector b1V = FloatVector.broadcast(S, b1);
        FloatVector b2V = FloatVector.broadcast(S, b2);
        FloatVector wdV = FloatVector.broadcast(S, wd);
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector wv = load(w, wOff, i);
            FloatVector gv = load(g, gOff, i);
            if (wd != 0f) gv = wv.fma(wdV, gv);
            FloatVector mv = load(m, mOff, i).fma(b1V, gv.mul(r1));
            FloatVector vv = load(v, vOff, i).fma(b2V, gv.mul(r2).mul(gv));
            mv.intoMemorySegment(m, (mOff + i) * Float.BYTES, NATIVE);
            vv.intoMemorySegment(v, (vOff + i) * Float.BYTES, NATIVE);
            wv.sub(mv.mul(c1).mul(lr).div(vv.mul(c2).sqrt().add(eps))).intoMemorySegment(w, (wOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector wv = load(w, wOff, i, k);
            FloatVector gv = load(g, gOff, i, k);
            if (wd != 0f) gv = wv.fma(wdV, gv);
            FloatVector mv = load(m, mOff, i, k).fma(b1V, gv.mul(r1));
            FloatVector vv = load(v, vOff, i, k).fma(b2V, gv.mul(r2).mul(gv));
            mv.intoMemorySegment(m, (mOff + i) * Float.BYTES, NATIVE, k);
            vv.intoMemorySegment(v, (vOff + i) * Float.BYTES, NATIVE, k);
            wv.sub(mv.mul(c1).mul(lr).div(vv.mul(c2).sqrt().add(eps))).intoMemorySegment(w, (wOff + i) * Float.BYTES, NATIVE, k);
        }
    }
}

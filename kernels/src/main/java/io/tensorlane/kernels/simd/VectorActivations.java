package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.ActivationKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Vector API version of {@link ActivationKernels}: full vectors over the bulk and one masked vector
 * for the tail (sigmoid and tanh: a scalar tail doing the lanes' exact float operations).
 * relu/leaky relu and all backward passes equal the scalar twin bit for bit; sigmoid and tanh use
 * {@link VectorMath}'s polynomial exp (relative error ~2e-7 against the twin).
 *
 * <p>relu is a compare and blend rather than {@code max(x, 0)}: Java's max must order -0/+0 and
 * propagate NaN, which costs several instructions per vector on x86, and the blend gives exactly the
 * scalar twin's {@code x > 0 ? x : 0} (NaN and -0 map to +0).
 */
public final class VectorActivations implements ActivationKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    @Override
    public void relu(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        FloatVector zero = FloatVector.zero(S);
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE);
            zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE, m);
            zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void reluBackward(long n, MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        FloatVector zero = FloatVector.zero(S);
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE);
            FloatVector d = FloatVector.fromMemorySegment(S, dout, (dOff + i) * Float.BYTES, NATIVE);
            zero.blend(d, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE, m);
            FloatVector d = FloatVector.fromMemorySegment(S, dout, (dOff + i) * Float.BYTES, NATIVE, m);
            zero.blend(d, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void leakyRelu(long n, float slope, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE);
            v.mul(slope).blend(v, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE, m);
            v.mul(slope).blend(v, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void leakyReluBackward(long n, float slope, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                  MemorySegment dx, long dxOff) {
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE);
            FloatVector d = FloatVector.fromMemorySegment(S, dout, (dOff + i) * Float.BYTES, NATIVE);
            d.mul(slope).blend(d, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE, m);
            FloatVector d = FloatVector.fromMemorySegment(S, dout, (dOff + i) * Float.BYTES, NATIVE, m);
            d.mul(slope).blend(d, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void sigmoid(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE);
            long yo = (yOff + i) * Float.BYTES; // the output range doubles as exp's scratch
            VectorMath.sigmoid(v, y, yo).intoMemorySegment(y, yo, NATIVE);
        }
        for (; i < n; i++) { // scalar tail: the same float operations as the lanes
            y.setAtIndex(JAVA_FLOAT, yOff + i, VectorMath.sigmoid(x.getAtIndex(JAVA_FLOAT, xOff + i)));
        }
    }

    @Override
    public void sigmoidBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector s = FloatVector.fromMemorySegment(S, y, (yOff + i) * Float.BYTES, NATIVE);
            FloatVector d = FloatVector.fromMemorySegment(S, dout, (dOff + i) * Float.BYTES, NATIVE);
            d.mul(s.mul(s.neg().add(1f))).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector s = FloatVector.fromMemorySegment(S, y, (yOff + i) * Float.BYTES, NATIVE, m);
            FloatVector d = FloatVector.fromMemorySegment(S, dout, (dOff + i) * Float.BYTES, NATIVE, m);
            d.mul(s.mul(s.neg().add(1f))).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    /**
     * Two loops per block of {@link #TANH_BLOCK} elements (hot in L1): e = exp(-2|x|), then tanh from x
     * and e (see {@link VectorMath#tanhFromExp} for why not one loop). e is parked in the output
     * block, or in a scratch when the output is the input itself.
     */
    @Override
    public void tanh(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long bound = S.loopBound(n);
        if (bound > 0) {
            if (VectorMath.sameMemory(x, xOff * Float.BYTES, y, yOff * Float.BYTES)) {
                try (Arena arena = Arena.ofConfined()) {
                    tanhBlocks(bound, x, xOff, y, yOff, arena.allocate((long) TANH_BLOCK * Float.BYTES, 64));
                }
            } else {
                tanhBlocks(bound, x, xOff, y, yOff, null);
            }
        }
        for (long i = bound; i < n; i++) { // scalar tail: the same float operations as the lanes
            y.setAtIndex(JAVA_FLOAT, yOff + i, VectorMath.tanh(x.getAtIndex(JAVA_FLOAT, xOff + i)));
        }
    }

    static final int TANH_BLOCK = 512;

    /** {@code scratch == null}: park exp values in y's block. */
    private static void tanhBlocks(long bound, MemorySegment x, long xOff, MemorySegment y, long yOff, MemorySegment scratch) {
        for (long start = 0; start < bound; start += TANH_BLOCK) {
            long len = Math.min(TANH_BLOCK, bound - start);
            long xo = (xOff + start) * Float.BYTES;
            long yo = (yOff + start) * Float.BYTES;
            MemorySegment e = scratch == null ? y : scratch;
            long eo = scratch == null ? yo : 0;
            tanhExpPass(len, x, xo, e, eo);
            tanhCombinePass(len, x, xo, e, eo, y, yo);
        }
    }

    /** e = exp(-2|x|) over len (a multiple of the lane count) elements at byte offsets. */
    private static void tanhExpPass(long len, MemorySegment x, long xo, MemorySegment e, long eo) {
        for (long i = 0; i < len; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, xo + i * Float.BYTES, NATIVE);
            long o = eo + i * Float.BYTES;
            VectorMath.expNonPositive(VectorMath.tanhExpArg(v), e, o).intoMemorySegment(e, o, NATIVE);
        }
    }

    private static void tanhCombinePass(long len, MemorySegment x, long xo, MemorySegment e, long eo, MemorySegment y, long yo) {
        for (long i = 0; i < len; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, xo + i * Float.BYTES, NATIVE);
            FloatVector ev = FloatVector.fromMemorySegment(S, e, eo + i * Float.BYTES, NATIVE);
            VectorMath.tanhFromExp(v, ev).intoMemorySegment(y, yo + i * Float.BYTES, NATIVE);
        }
    }

    @Override
    public void tanhBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector t = FloatVector.fromMemorySegment(S, y, (yOff + i) * Float.BYTES, NATIVE);
            FloatVector d = FloatVector.fromMemorySegment(S, dout, (dOff + i) * Float.BYTES, NATIVE);
            d.mul(t.mul(t).neg().add(1f)).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector t = FloatVector.fromMemorySegment(S, y, (yOff + i) * Float.BYTES, NATIVE, m);
            FloatVector d = FloatVector.fromMemorySegment(S, dout, (dOff + i) * Float.BYTES, NATIVE, m);
            d.mul(t.mul(t).neg().add(1f)).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NATIVE, m);
        }
    }
}

package io.tensorlane.kernels.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Lane-wise exp, sigmoid and tanh built from multiply-adds, with scalar versions that perform the very
 * same float operations (so a kernel's scalar tail gives bit-identical results to its vector body).
 * Relative error stays below about 2e-7 (a few ulp) over the whole float range; the tests check it
 * against the double-precision scalar twins.
 *
 * <p>Why a hand-written exp: {@code lanewise(VectorOperators.EXP)} calls the platform's vector math
 * library where there is one (about as fast as this on x86 with SVML) and falls back to a per-lane
 * {@code Math.exp} loop where there is none; this version has the same speed and accuracy everywhere.
 *
 * <p>Why a scratch segment: building 2^n needs the float's bits as integer lanes. On JDK 25,
 * {@code reinterpretAsInts()} / {@code reinterpretAsFloats()} (and {@code convert(REINTERPRET_*)})
 * are not reliably intrinsified: once used they pollute shared profiles inside the Vector API and
 * every vector loop in the JVM, loads and stores included, gets 4-10x slower (measured; see
 * JDK-8392004). A round trip through memory that is hot in L1 (store the float lanes, load them as int
 * lanes, shift, store, load as floats) costs a few cycles and avoids that entirely. The scratch is
 * {@code FLOAT.vectorByteSize()} bytes the caller owns, typically the output range about to be
 * written; callers load their inputs before calling, so in-place use stays correct.
 *
 * <p>The methods are small so that the JIT inlines them into each kernel loop; vectors never escape.
 * exp and log call no helper of their own (constants via {@code FloatVector.broadcast}, not
 * {@link #splat}): the Vector API's methods are force-inlined past C2's NodeCountInliningCutoff, a
 * helper of ours is not, and in a big kernel compilation that cutoff could fall on a helper inside an
 * already inlined exp or log, whose vectors would then be boxed (seen in VectorDetection, 3-5x slower).
 * Their bytecode must also stay under C2's FreqInlineSize (325 bytes; log is 314): a larger method is
 * never inlined, so every call would box (log's Estrin polynomial and its bit-offset mantissa split
 * are partly there for size).
 */
final class VectorMath {
    private VectorMath() {
    }

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final VectorSpecies<Float> F = VectorWidth.FLOAT;

    // exp(x) = 2^n * exp(r), n = round(x / ln2), |r| <= ln2/2.
    /** Below this exp(x) < 2^-126 (the smallest normal float): the result is flushed to 0. */
    static final float EXP_LO = -87.33f;
    /** exp(88.37) ~ 2.4e38 still fits a float; larger inputs are clamped here (never Inf). */
    static final float EXP_HI = 88.37f;
    private static final float LOG2E = 1.44269504f;
    // ln2 split in two so that n * LN2_HI is exact for |n| <= 128 (LN2_HI has 9 significant bits)
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits. The +127 exponent bias
    // is folded in, so that shifting the bits of t left by 23 gives the float 2^n directly.
    private static final float ROUND_BIASED = 12582912f + 127f;
    // exp(r) ~ 1 + r + r^2 * P(r), P fitted (weighted minimax, Lawson iterations) for relative error
    // 3.8e-9 on [-ln2/2, ln2/2], far below float rounding. P is evaluated in Estrin's form,
    // (P0 + P1 r) + r^2 ((P2 + P3 r) + r^2 P4), reusing r^2: C2 emits only the vfmadd231ps form, whose addend
    // register is overwritten, so each Horner step on a constant addend cost a register copy; two of the four
    // FMAs here add computed values instead (softmax 256 x 1000 0.94-0.95x the time, same JVM; the same largest
    // relative error over the range, 1.19e-7 against Math.exp).
    private static final float P0 = 0.49999994f;
    private static final float P1 = 0.16666521f;
    private static final float P2 = 0.04166839f;
    private static final float P3 = 0.00836871f;
    private static final float P4 = 0.0013814613f;

    // tanh(x) ~ x * (1 + x^2 * Q(x^2)) for |x| < TANH_SMALL, fitted like P (relative error 8.6e-9);
    // below this bound 1 - 2/(exp(2|x|)+1) loses digits to cancellation.
    private static final float TANH_SMALL = 0.625f;
    private static final float Q0 = -0.3333328f;
    private static final float Q1 = 0.13331442f;
    private static final float Q2 = -0.053739715f;
    private static final float Q3 = 0.020639088f;
    private static final float Q4 = -0.0057049873f;

    /**
     * exp(x) per lane: relative error below ~2e-7 for x in [-87.33, 88.37]; 0 below (true value
     * under 1.2e-38), exp(88.37) above (finite, never Inf); NaN stays NaN. Clobbers
     * {@code scratch[off, off + vectorByteSize)}.
     */
    static FloatVector exp(FloatVector x, MemorySegment scratch, long off) {
        // clamps as compare + blend: cheaper than min/max (which must order -0/+0) and NaN passes through
        FloatVector xc = x.blend(EXP_LO, x.compare(VectorOperators.LT, EXP_LO));
        xc = xc.blend(EXP_HI, xc.compare(VectorOperators.GT, EXP_HI));
        FloatVector t = xc.fma(LOG2E, ROUND_BIASED);
        FloatVector n = t.sub(ROUND_BIASED);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector r2 = r.mul(r);
        FloatVector p = r2.fma(FloatVector.broadcast(F, P4), r.fma(FloatVector.broadcast(F, P3), FloatVector.broadcast(F, P2)))
                .fma(r2, r.fma(FloatVector.broadcast(F, P1), FloatVector.broadcast(F, P0)));
        FloatVector er = r2.fma(p, r.add(1f));
        t.intoMemorySegment(scratch, off, NATIVE);
        IntVector.fromMemorySegment(VectorWidth.INT, scratch, off, NATIVE).lanewise(VectorOperators.LSHL, 23)
                .intoMemorySegment(scratch, off, NATIVE);
        FloatVector twoN = FloatVector.fromMemorySegment(VectorWidth.FLOAT, scratch, off, NATIVE);
        return er.mul(twoN).blend(0f, x.compare(VectorOperators.LT, EXP_LO));
    }

    /**
     * exp(x) for lanes known to be {@code <= 0} (or -Infinity or NaN): the result of
     * {@link #exp(FloatVector, MemorySegment, long)} bit for bit, without its two clamps, which are no-ops
     * there (x never exceeds EXP_HI, and a lane below EXP_LO, whose 2^n bits are garbage, is set to 0 by
     * the final blend either way). The callers' arguments are non-positive by construction: x - rowMax in
     * softmax, -|v| in the logistic loss, -2|x| in tanh. Dropping the clamps (two compares and two
     * blends per vector) made softmax's exp pass 30% faster on Zen 3 (0.14 -> 0.10 ms for 256 x 1000).
     * A positive lane above EXP_HI would give a wrong result: never call it on unchecked input.
     * The scalar twin is {@link #exp(float)} (identical results on this domain).
     */
    static FloatVector expNonPositive(FloatVector x, MemorySegment scratch, long off) {
        // exp's body without the clamps, written out again on purpose: a call to a shared helper of ours
        // here could be left un-inlined once C2 reaches its node-count cutoff in a big kernel, which boxes
        // the vectors (see the class comment); the Vector API's own methods are always inlined.
        FloatVector t = x.fma(LOG2E, ROUND_BIASED);
        FloatVector n = t.sub(ROUND_BIASED);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector r2 = r.mul(r);
        FloatVector p = r2.fma(FloatVector.broadcast(F, P4), r.fma(FloatVector.broadcast(F, P3), FloatVector.broadcast(F, P2)))
                .fma(r2, r.fma(FloatVector.broadcast(F, P1), FloatVector.broadcast(F, P0)));
        FloatVector er = r2.fma(p, r.add(1f));
        t.intoMemorySegment(scratch, off, NATIVE);
        IntVector.fromMemorySegment(VectorWidth.INT, scratch, off, NATIVE).lanewise(VectorOperators.LSHL, 23)
                .intoMemorySegment(scratch, off, NATIVE);
        FloatVector twoN = FloatVector.fromMemorySegment(VectorWidth.FLOAT, scratch, off, NATIVE);
        return er.mul(twoN).blend(0f, x.compare(VectorOperators.LT, EXP_LO));
    }

    /** The same operations as {@link #exp(FloatVector, MemorySegment, long)} on one float. */
    static float exp(float x) {
        float xc = x < EXP_LO ? EXP_LO : x;
        xc = xc > EXP_HI ? EXP_HI : xc;
        float t = Math.fma(xc, LOG2E, ROUND_BIASED);
        float n = t - ROUND_BIASED;
        float r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        float r2 = r * r;
        float p = Math.fma(Math.fma(r2, P4, Math.fma(r, P3, P2)), r2, Math.fma(r, P1, P0));
        float er = Math.fma(r2, p, r + 1f);
        float twoN = Float.intBitsToFloat(Float.floatToRawIntBits(t) << 23);
        return x < EXP_LO ? 0f : er * twoN;
    }

    // log(x) = e * ln2 + log(m), x = 2^e * m, m in [sqrt(1/2), sqrt(2)); log(1 + f), f = m - 1, as
    // f - f^2/2 + f^3 * R(f). R (degree 6) fitted (weighted minimax, Lawson iterations, this project) for
    // relative error 3.5e-8 of log(1 + f) on [sqrt(1/2) - 1, sqrt(2) - 1], well below float rounding.
    private static final int SQRT_HALF_BITS = 0x3f3504f3; // sqrt(1/2) as a float's bits
    private static final int MANTISSA_SHIFT = 0x3f800000 - SQRT_HALF_BITS;
    // a small integer k written into the mantissa bits of 2^23 reads back as 2^23 + k: subtracting this
    // takes the 2^23 and the exponent bias off at once, exactly
    private static final float EXP_FIELD_BIAS = 8388608f + 127f;
    private static final float TWO_23 = 8388608f;
    private static final float R0 = 0.3333391f;
    private static final float R1 = -0.25001338f;
    private static final float R2 = 0.19963062f;
    private static final float R3 = -0.16577579f;
    private static final float R4 = 0.14914781f;
    private static final float R5 = -0.14267544f;
    private static final float R6 = 0.087004721f;

    /**
     * Natural log per lane, for every float: relative error below 1.2e-7 (one float ulp; 7.9e-8 the worst
     * the test's sample of the whole positive range, subnormals included, found); log(+-0) = -Inf, log(+Inf) = +Inf,
     * NaN for negative input and NaN. Splitting x into exponent and mantissa needs its bits: the same
     * scratch round trip as {@link #exp(FloatVector, MemorySegment, long)} (clobbers
     * {@code scratch[off, off + vectorByteSize)}), the exponent turned into a float by writing it into the
     * mantissa of 2^23 (no int-to-float conversion, no reinterpret cast).
     */
    static FloatVector log(FloatVector x, MemorySegment scratch, long off) {
        VectorMask<Float> sub = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        x.blend(x.mul(TWO_23), sub).intoMemorySegment(scratch, off, NATIVE);
        // moving the bits by (1 - sqrt(1/2)) puts the exponent's step at sqrt(1/2): m in [sqrt(1/2), sqrt(2))
        IntVector bits = IntVector.fromMemorySegment(VectorWidth.INT, scratch, off, NATIVE).add(MANTISSA_SHIFT);
        bits.and(0x007fffff).add(SQRT_HALF_BITS).intoMemorySegment(scratch, off, NATIVE);
        FloatVector m = FloatVector.fromMemorySegment(F, scratch, off, NATIVE);
        bits.lanewise(VectorOperators.LSHR, 23).or(0x4b000000).intoMemorySegment(scratch, off, NATIVE);
        FloatVector e = FloatVector.fromMemorySegment(F, scratch, off, NATIVE).sub(EXP_FIELD_BIAS);
        e = e.blend(e.sub(23f), sub);
        FloatVector f = m.sub(1f);
        FloatVector z = f.mul(f);
        // R(f) by Estrin's scheme: the pairs take scalar coefficients, so no broadcasts (bytecode size)
        FloatVector z2 = z.mul(z);
        FloatVector lo = z.fma(f.fma(R3, R2), f.fma(R1, R0));
        FloatVector hi = z.mul(R6).add(f.fma(R5, R4));
        FloatVector t = z.mul(f).fma(z2.fma(hi, lo), e.mul(LN2_LO).add(z.mul(-0.5f)));
        FloatVector r = e.mul(LN2_HI).add(f.add(t));
        return r.blend(Float.NaN, x.compare(VectorOperators.GE, 0f).not())
                .blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f))
                .blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
    }

    /** The same operations as {@link #log(FloatVector, MemorySegment, long)} on one float. */
    static float log(float x) {
        boolean sub = x < Float.MIN_NORMAL;
        int bits = Float.floatToRawIntBits(sub ? x * TWO_23 : x) + MANTISSA_SHIFT;
        float m = Float.intBitsToFloat((bits & 0x007fffff) + SQRT_HALF_BITS);
        float e = Float.intBitsToFloat((bits >>> 23) | 0x4b000000) - EXP_FIELD_BIAS;
        if (sub) e = e - 23f;
        float f = m - 1f;
        float z = f * f;
        float z2 = z * z;
        float lo = Math.fma(z, Math.fma(f, R3, R2), Math.fma(f, R1, R0));
        float hi = z * R6 + Math.fma(f, R5, R4);
        float t = Math.fma(z * f, Math.fma(z2, hi, lo), e * LN2_LO + z * -0.5f);
        float r = e * LN2_HI + (f + t);
        if (!(x >= 0f)) return Float.NaN;
        if (x == 0f) return Float.NEGATIVE_INFINITY;
        return x == Float.POSITIVE_INFINITY ? Float.POSITIVE_INFINITY : r;
    }

    /**
     * The sum of the lanes, added in lane order. {@code reduceLanes(ADD)} may add in a different
     * order before and after the JIT compiles a kernel, so the same input could give two different
     * float sums within one run; a fixed order keeps SIMD results reproducible.
     */
    static float sumLanes(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }

    /** 1 / (1 + exp(-x)): relative error ~ that of exp (adding a positive number cannot cancel). */
    static FloatVector sigmoid(FloatVector x, MemorySegment scratch, long off) {
        return splat(1f).div(exp(x.neg(), scratch, off).add(1f));
    }

    /** The same operations as {@link #sigmoid(FloatVector, MemorySegment, long)} on one float. */
    static float sigmoid(float x) {
        return 1f / (exp(-x) + 1f);
    }

    /**
     * tanh(x) given {@code e = exp(-2|x|)}: x * (1 + x^2 Q(x^2)) for |x| &lt; 0.625 (tiny x keeps full
     * relative precision and the sign of zero), else sign(x) * (1 - e) / (1 + e), which reaches
     * exactly +-1 for large |x| without overflow. Split from the exp so that a kernel can run the two
     * halves as separate loops: together they exceed what C2 inlines into one compilation unit
     * (NodeCountInliningCutoff), and a vector crossing a call that is not inlined gets boxed.
     */
    static FloatVector tanhFromExp(FloatVector x, FloatVector e) {
        FloatVector big = e.neg().add(1f).div(e.add(1f));
        FloatVector z = x.mul(x);
        FloatVector q = z.fma(Q4, Q3).fma(z, splat(Q2)).fma(z, splat(Q1)).fma(z, splat(Q0));
        FloatVector small = x.mul(z.fma(q, splat(1f)));
        return big.blend(big.neg(), x.compare(VectorOperators.LT, 0f))
                .blend(small, x.abs().compare(VectorOperators.LT, TANH_SMALL));
    }

    /** The argument of exp for {@link #tanhFromExp}: -2|x| (exact). */
    static FloatVector tanhExpArg(FloatVector x) {
        return x.abs().mul(-2f);
    }

    /** tanh of one float with the same operations as {@code tanhFromExp(x, exp(tanhExpArg(x)))}. */
    static float tanh(float x) {
        float e = exp(Math.abs(x) * -2f);
        if (Math.abs(x) < TANH_SMALL) {
            float z = x * x;
            float q = Math.fma(Math.fma(Math.fma(Math.fma(z, Q4, Q3), z, Q2), z, Q1), z, Q0);
            return x * Math.fma(z, q, 1f);
        }
        float big = (-e + 1f) / (e + 1f);
        return x < 0f ? -big : big;
    }

    /** Whether two byte positions are the same memory (exact aliasing, which kernels must allow). */
    static boolean sameMemory(MemorySegment a, long aByte, MemorySegment b, long bByte) {
        if (a.address() + aByte != b.address() + bByte || a.isNative() != b.isNative()) return false;
        return a.isNative() || a.heapBase().orElseThrow() == b.heapBase().orElseThrow();
    }

    /** A constant in every lane; the JIT hoists these out of the kernel loops. */
    private static FloatVector splat(float c) {
        return FloatVector.broadcast(VectorWidth.FLOAT, c);
    }

    /** A native scratch of one vector for kernels that have no output range to use (see class doc). */
    static MemorySegment scratch(Arena arena) {
        return arena.allocate(VectorWidth.FLOAT.vectorByteSize(), 64);
    }
}

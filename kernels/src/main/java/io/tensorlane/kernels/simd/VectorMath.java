package io.tensorlane.kernels.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector transcendental functions used by the activation and softmax kernels.
 *
 * <p>The Vector API's {@code lanewise(EXP)} calls a short-vector math library per vector and is
 * several times slower than an inlined polynomial; these are Cephes-style: range reduction
 * {@code x = n ln2 + r} in two steps (exact {@code n * C1}), a degree-6 polynomial for {@code e^r} on
 * |r| &lt;= ln2/2, and {@code 2^n} built in the exponent bits. Relative error about 1-2 ulp over the
 * clamped range; inputs below -87 give exactly 0, above 88 give e^88 (finite), so no NaN or Inf
 * appears for finite input.
 */
final class VectorMath {
    static final VectorSpecies<Float> S = VectorWidth.FLOAT;

    private static final float LOG2E = 1.44269504088896341f;
    private static final float C1 = 0.693359375f;       // ln2 high part: n * C1 is exact for |n| < 2^9
    private static final float C2 = -2.12194440e-4f;    // ln2 - C1
    private static final float LO = -87.0f;             // e^-87 is still a normal float
    private static final float HI = 88.0f;              // e^88 < Float.MAX_VALUE
    /** 1.5 * 2^23: adding it rounds a float with |v| < 2^22 to the nearest integer in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = 0x4B400000;

    private VectorMath() {
    }

    private static FloatVector c(float v) {
        return FloatVector.broadcast(S, v);
    }

    static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.compare(VectorOperators.LT, LO);
        FloatVector xc = x.max(LO).min(HI);
        FloatVector t = xc.fma(LOG2E, ROUNDER);              // round(x * log2e) + ROUNDER
        FloatVector n = t.sub(ROUNDER);
        IntVector ni = t.reinterpretAsInts().sub(ROUNDER_BITS);
        FloatVector r = n.fma(c(-C1), xc);
        r = n.fma(c(-C2), r);
        FloatVector p = FloatVector.broadcast(S, 1.9875691500E-4f);
        p = p.fma(r, c(1.3981999507E-3f));
        p = p.fma(r, c(8.3334519073E-3f));
        p = p.fma(r, c(4.1665795894E-2f));
        p = p.fma(r, c(1.6666665459E-1f));
        p = p.fma(r, c(5.0000001201E-1f));
        p = p.fma(r.mul(r), r).add(1f);
        FloatVector pow2n = ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(pow2n).blend(0f, under);
    }

    /** 1 / (1 + e^-x): e^-x saturates at e^88 for x &lt; -88, giving ~6e-39 instead of NaN. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        return one.div(exp(x.neg()).add(one));
    }

    /**
     * tanh: an odd polynomial below |x| = 0.625 (where 1 - 2/(e^2x + 1) loses digits to
     * cancellation), else 1 - 2/(e^{2|x|} + 1) with the sign restored.
     */
    static FloatVector tanh(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector z = x.mul(x);
        FloatVector p = FloatVector.broadcast(S, -5.70498872745E-3f);
        p = p.fma(z, c(2.06390887954E-2f));
        p = p.fma(z, c(-5.37397155531E-2f));
        p = p.fma(z, c(1.33314422036E-1f));
        p = p.fma(z, c(-3.33332819422E-1f));
        FloatVector small = p.mul(z).fma(x, x);
        FloatVector e = exp(ax.add(ax));
        FloatVector large = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(e.add(1f)));
        large = large.lanewise(VectorOperators.NEG, x.compare(VectorOperators.LT, 0f));
        return large.blend(small, ax.compare(VectorOperators.LT, 0.625f));
    }
}

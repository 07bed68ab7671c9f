package io.tensorlane.kernels.simd;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lane functions against their scalar replicas (kernels use the replicas for row tails, so the
 * two must agree bit for bit) and against double-precision references over the whole float range.
 */
@Tag("simd")
class VectorMathTest {
    private static final int L = VectorWidth.FLOAT.length();

    interface Lanes {
        FloatVector apply(FloatVector x, MemorySegment scratch, long off);
    }

    interface Scalar {
        float apply(float x);
    }

    /** Inputs: every range the kernels feed in, plus the edge values. */
    private static float[] inputs() {
        Random rnd = new Random(7);
        float[] v = new float[L * 4000];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (i % 4) {
                case 0 -> (rnd.nextFloat() - 0.5f) * 200f;
                case 1 -> (rnd.nextFloat() - 0.5f) * 2f;
                case 2 -> (float) Math.scalb(rnd.nextDouble() - 0.5, -rnd.nextInt(40));
                default -> -88f * rnd.nextFloat();
            };
        }
        float[] edges = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -87.33f, -87.34f,
                88.37f, 88.38f, 0.625f, -0.625f, 0.62499994f, Float.MIN_VALUE, -Float.MAX_VALUE, Float.MAX_VALUE};
        System.arraycopy(edges, 0, v, 0, edges.length);
        return v;
    }

    private static void check(String name, Lanes lanes, Scalar scalar, java.util.function.DoubleUnaryOperator exact,
                              double rtol) {
        check(name, lanes, scalar, exact, rtol, inputs());
    }

    private static void check(String name, Lanes lanes, Scalar scalar, java.util.function.DoubleUnaryOperator exact,
                              double rtol, float[] in) {
        double worst = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment scratch = VectorMath.scratch(arena);
            float[] out = new float[L];
            for (int i = 0; i < in.length; i += L) {
                lanes.apply(FloatVector.fromArray(VectorWidth.FLOAT, in, i), scratch, 0).intoArray(out, 0);
                for (int j = 0; j < L; j++) {
                    float x = in[i + j];
                    float s = scalar.apply(x);
                    assertEquals(Float.floatToIntBits(s), Float.floatToIntBits(out[j]),
                            name + "(" + x + "): lane " + out[j] + " vs scalar replica " + s);
                    double e = exact.applyAsDouble(x);
                    if (Double.isNaN(e)) {
                        assertTrue(Float.isNaN(s), name + "(" + x + ") should be NaN");
                    } else if (Double.isInfinite(e)) {
                        assertEquals(e, s, name + "(" + x + ")");
                    } else if (Math.abs(e) >= Float.MIN_NORMAL) {
                        worst = Math.max(worst, Math.abs(s - e) / Math.abs(e));
                    } else {
                        assertTrue(Math.abs(s) < 2 * Float.MIN_NORMAL, name + "(" + x + ") = " + s + ", expected ~" + e);
                    }
                }
            }
        }
        assertTrue(worst < rtol, name + ": worst relative error " + worst);
    }

    @Test
    void exp() {
        check("exp", VectorMath::exp, VectorMath::exp,
                // documented: flushed to 0 below EXP_LO (true value < 1.2e-38), clamped above EXP_HI
                x -> x < VectorMath.EXP_LO ? 0 : x > VectorMath.EXP_HI ? Math.exp(VectorMath.EXP_HI) : Math.exp(x), 2.5e-7);
        assertEquals(0f, VectorMath.exp(-87.34f), "below EXP_LO exp flushes to 0");
        assertEquals(0f, VectorMath.exp(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isFinite(VectorMath.exp(Float.POSITIVE_INFINITY)), "exp never overflows to Inf");
    }

    @Test
    void expNonPositiveIsExpBitForBitOnItsDomain() {
        // its domain: x <= 0, -Infinity and NaN (every input of check() folded onto it with -|x|)
        check("expNonPositive", (x, scratch, off) -> VectorMath.expNonPositive(x.abs().neg(), scratch, off),
                x -> VectorMath.exp(-Math.abs(x)), x -> -Math.abs(x) < VectorMath.EXP_LO ? 0 : Math.exp(-Math.abs(x)), 2.5e-7);
        // and across the flush boundary and the subnormal results, lane for lane with the clamped exp
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment scratch = VectorMath.scratch(arena);
            float[] in = new float[L], a = new float[L], b = new float[L];
            for (float x = -90f; x <= 0f; ) {
                for (int j = 0; j < L; j++, x = Math.nextUp(x) + (x < -86f && x > -88f ? 0f : 1e-3f)) in[j] = Math.min(x, 0f);
                VectorMath.exp(FloatVector.fromArray(VectorWidth.FLOAT, in, 0), scratch, 0).intoArray(a, 0);
                VectorMath.expNonPositive(FloatVector.fromArray(VectorWidth.FLOAT, in, 0), scratch, 0).intoArray(b, 0);
                for (int j = 0; j < L; j++) {
                    assertEquals(Float.floatToIntBits(a[j]), Float.floatToIntBits(b[j]), "expNonPositive(" + in[j] + ")");
                }
            }
        }
    }

    @Test
    void sigmoid() {
        check("sigmoid", VectorMath::sigmoid, VectorMath::sigmoid, x -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)), 2.5e-7);
    }

    @Test
    void tanh() {
        check("tanh", (x, scratch, off) -> VectorMath.tanhFromExp(x, VectorMath.exp(VectorMath.tanhExpArg(x), scratch, off)),
                VectorMath::tanh, Math::tanh, 2.5e-7);
        check("tanh (kernels' form)", (x, scratch, off) -> VectorMath.tanhFromExp(x, VectorMath.expNonPositive(VectorMath.tanhExpArg(x), scratch, off)),
                VectorMath::tanh, Math::tanh, 2.5e-7);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(VectorMath.tanh(-0f)), "tanh keeps the sign of zero");
    }

    /**
     * log over the whole float range: every 1021st positive bit pattern (normals and subnormals), a dense
     * run of neighbours of 1 (where log is near 0 and its relative error is the hardest to keep), the
     * mantissa split at sqrt(2), negatives, and the special values.
     */
    @Test
    void log() {
        Random rnd = new Random(11);
        float[] edges = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
                Float.MIN_NORMAL, Math.nextDown(Float.MIN_NORMAL), Float.MAX_VALUE, 1f, Math.nextUp(1f), Math.nextDown(1f),
                2f, 0.5f, 1.4142135f, 1.4142137f, 0.70710677f, 0.7071068f, -1f, -Float.MIN_VALUE, -Float.MAX_VALUE};
        int sweep = 0x7f800000 / 1021 + 1, near = 20000, random = 20000;
        float[] in = new float[(edges.length + sweep + 2 * near + random + L - 1) / L * L];
        int k = 0;
        for (float v : edges) in[k++] = v;
        for (int bits = 0; bits < 0x7f800000 && k < in.length; bits += 1021) in[k++] = Float.intBitsToFloat(bits);
        for (int i = 1; i <= near; i++) {
            in[k++] = Float.intBitsToFloat(Float.floatToRawIntBits(1f) + i * 3);
            in[k++] = Float.intBitsToFloat(Float.floatToRawIntBits(1f) - i * 3);
        }
        while (k < in.length) in[k++] = rnd.nextBoolean() ? -Float.intBitsToFloat(rnd.nextInt(0x7f800000)) : rnd.nextFloat() * 4f;
        check("log", VectorMath::log, VectorMath::log, Math::log, 1.2e-7, in);
        assertEquals(Float.NEGATIVE_INFINITY, VectorMath.log(-0f));
        assertEquals(0f, VectorMath.log(1f));
        assertTrue(Float.isNaN(VectorMath.log(-Float.MIN_VALUE)));
        assertEquals(Float.POSITIVE_INFINITY, VectorMath.log(Float.POSITIVE_INFINITY));
    }
}

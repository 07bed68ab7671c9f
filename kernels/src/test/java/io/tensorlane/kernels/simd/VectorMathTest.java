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
        float[] in = inputs();
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
}

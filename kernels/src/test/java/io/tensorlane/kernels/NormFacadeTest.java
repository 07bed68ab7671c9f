package io.tensorlane.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The validating entry points BatchNorm, Dropout and Optimizers: every class of bad input is rejected with a
 * message naming the op and the argument, before memory is touched; the seeded dropout mask does not depend on
 * the thread count; optimizer steps with a non-finite gradient change nothing and report it.
 */
class NormFacadeTest {
    private static MemorySegment floats(Arena a, long n) {
        return a.allocate(Math.max(1, n) * 4, 4);
    }

    private static void rejects(String fragment, Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(fragment), "message '" + ex.getMessage() + "' should contain '" + fragment + "'");
    }

    @Test
    void batchNormRejectsBadInput() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x = floats(a, 24), y = floats(a, 24), c = floats(a, 3), c2 = floats(a, 3), c3 = floats(a, 3),
                    c4 = floats(a, 3), c5 = floats(a, 3), c6 = floats(a, 3), small = floats(a, 2);
            Parallelism p = Parallelism.single();
            // shape [2, 3, 4]
            rejects("batchNormTrain: eps must be > 0", () -> BatchNorm.trainForward(2, 3, 4, x, 0, c, 0, c2, 0, 0f, 0.9f,
                    c3, 0, c4, 0, y, 0, c5, 0, c6, 0, p));
            rejects("batchNormTrain: momentum must be in [0, 1]", () -> BatchNorm.trainForward(2, 3, 4, x, 0, c, 0, c2, 0, 1e-5f,
                    1.5f, c3, 0, c4, 0, y, 0, c5, 0, c6, 0, p));
            rejects("batchNormTrain: gamma needs elements [0, 3)", () -> BatchNorm.trainForward(2, 3, 4, x, 0, small, 0, c2, 0,
                    1e-5f, 0.9f, c3, 0, c4, 0, y, 0, c5, 0, c6, 0, p));
            rejects("batchNormTrain: runVar needs", () -> BatchNorm.trainForward(2, 3, 4, x, 0, c, 0, c2, 0, 1e-5f, 0.9f,
                    c3, 0, small, 0, y, 0, c5, 0, c6, 0, p));
            rejects("batchNormTrain: x has a negative dim", () -> BatchNorm.trainForward(2, -3, 4, x, 0, c, 0, c2, 0, 1e-5f,
                    0.9f, c3, 0, c4, 0, y, 0, c5, 0, c6, 0, p));
            rejects("no values per channel", () -> BatchNorm.trainForward(0, 3, 4, x, 0, c, 0, c2, 0, 1e-5f, 0.9f,
                    c3, 0, c4, 0, y, 0, c5, 0, c6, 0, p));
            rejects("x [0, 24) and y [1, 25) overlap partially", () -> BatchNorm.trainForward(2, 3, 4, x, 0, c, 0, c2, 0,
                    1e-5f, 0.9f, c3, 0, c4, 0, x.reinterpret(100), 1, c5, 0, c6, 0, p));
            rejects("batchNormEval: var needs", () -> BatchNorm.evalForward(2, 3, 4, x, 0, c, 0, c2, 0, c3, 0, small, 0,
                    1e-5f, y, 0, p));
            rejects("batchNormBackward: x [0, 24) and dx [0, 24) share memory", () -> BatchNorm.backward(true, 2, 3, 4,
                    x, 0, y, 0, c, 0, c2, 0, c3, 0, 1e-5f, x, 0, c4, 0, c5, 0, p));
            rejects("batchNormEvalBackward: dgamma needs", () -> BatchNorm.backward(false, 2, 3, 4, x, 0, y, 0, c, 0, c2, 0,
                    c3, 0, 1e-5f, floats(a, 24), 0, small, 0, c5, 0, p));
            rejects("batchNormTrain: mean", () -> BatchNorm.trainForward(2, 3, 4, x, 0, c, 0, c2, 0, 1e-5f, 0.9f,
                    c3, 0, c4, 0, y, 0, y, 0, c6, 0, p));
        }
    }

    @Test
    void dropoutRejectsBadP() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x = floats(a, 8), m = floats(a, 8), y = floats(a, 8);
            for (float p : new float[] {1f, -0.1f, Float.NaN, 2f}) {
                rejects("dropout: p (the drop probability) must be in [0, 1)", () -> Dropout.forward(8, p, 1, x, 0, m, 0, y, 0,
                        Parallelism.single()));
                rejects("dropoutWithMask: p", () -> Dropout.apply(8, p, x, 0, m, 0, y, 0, Parallelism.single()));
            }
            rejects("dropout: mask [0, 8) and x [0, 8) share memory", () -> Dropout.forward(8, 0.5f, 1, x, 0, x, 0, y, 0,
                    Parallelism.single()));
            rejects("dropout: y needs", () -> Dropout.forward(9, 0.5f, 1, floats(a, 9), 0, floats(a, 9), 0, y, 0,
                    Parallelism.single()));
        }
    }

    @Test
    void seededDropoutMaskIsTheSameForAnyThreadCountAndKeepsAboutOneMinusP() {
        int n = 70_001; // two parallel chunks (65536 each)
        float p = 0.35f;
        try (Arena a = Arena.ofShared()) {
            MemorySegment x = floats(a, n);
            for (int i = 0; i < n; i++) x.setAtIndex(JAVA_FLOAT, i, 1f + i % 7);
            float[][] masks = new float[3][];
            float[][] ys = new float[3][];
            int j = 0;
            for (Parallelism par : new Parallelism[] {Parallelism.single(), Parallelism.threads(3), Parallelism.threads(2)}) {
                MemorySegment m = floats(a, n), y = floats(a, n);
                Dropout.forward(n, p, 42L, x, 0, m, 0, y, 0, par);
                masks[j] = m.toArray(JAVA_FLOAT);
                ys[j++] = y.toArray(JAVA_FLOAT);
            }
            assertArrayEquals(masks[0], masks[1]);
            assertArrayEquals(masks[0], masks[2]);
            assertArrayEquals(ys[0], ys[1]);
            long kept = 0;
            float scale = Dropout.scale(p);
            for (int i = 0; i < n; i++) {
                float mk = masks[0][i];
                assertTrue(mk == 0f || mk == 1f);
                kept += (long) mk;
                assertEquals((1f + i % 7) * mk * scale, ys[0][i]);
            }
            double expected = (1 - p) * n, sigma = Math.sqrt(n * p * (1 - p));
            assertEquals(expected, kept, 5 * sigma, "kept count");
            // another seed gives another mask; p = 0 keeps everything
            MemorySegment m2 = floats(a, n), y2 = floats(a, n);
            Dropout.forward(n, p, 43L, x, 0, m2, 0, y2, 0, Parallelism.single());
            assertFalse(java.util.Arrays.equals(masks[0], m2.toArray(JAVA_FLOAT)));
            Dropout.forward(n, 0f, 43L, x, 0, m2, 0, y2, 0, Parallelism.single());
            for (int i = 0; i < n; i++) assertEquals(1f, m2.getAtIndex(JAVA_FLOAT, i));
        }
    }

    @Test
    void optimizersRejectOutOfRangeHyperParameters() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment w = floats(a, 8), g = floats(a, 8), v = floats(a, 8), m = floats(a, 8);
            Parallelism p = Parallelism.single();
            rejects("sgd: lr must be finite and >= 0", () -> Optimizers.sgd(8, -0.1f, 0f, w, 0, g, 0, p));
            rejects("sgd: lr must be finite and >= 0", () -> Optimizers.sgd(8, Float.NaN, 0f, w, 0, g, 0, p));
            rejects("sgd: weightDecay must be finite and >= 0", () -> Optimizers.sgd(8, 0.1f, -1f, w, 0, g, 0, p));
            rejects("momentum: momentum must be in [0, 1)", () -> Optimizers.momentum(8, false, 0.1f, 1f, 0f, w, 0, g, 0, v, 0, p));
            rejects("nesterov: momentum must be in [0, 1)", () -> Optimizers.momentum(8, true, 0.1f, -0.5f, 0f, w, 0, g, 0, v, 0, p));
            rejects("adagrad: eps must be finite and > 0", () -> Optimizers.adagrad(8, 0.1f, 0f, 0f, w, 0, g, 0, v, 0, p));
            rejects("rmsprop: decayRate must be in [0, 1)", () -> Optimizers.rmsprop(8, 0.1f, 1f, 1e-8f, 0f, w, 0, g, 0, v, 0, p));
            rejects("adam: beta1 must be in [0, 1)", () -> Optimizers.adam(8, 1, 0.1f, 1f, 0.999f, 1e-8f, 0f, w, 0, g, 0, m, 0, v, 0, p));
            rejects("adam: beta2 must be in [0, 1)", () -> Optimizers.adam(8, 1, 0.1f, 0.9f, 1.0f, 1e-8f, 0f, w, 0, g, 0, m, 0, v, 0, p));
            rejects("adam: step t must be >= 1", () -> Optimizers.adam(8, 0, 0.1f, 0.9f, 0.999f, 1e-8f, 0f, w, 0, g, 0, m, 0, v, 0, p));
            rejects("adam: m [0, 8) and v [0, 8) share memory", () -> Optimizers.adam(8, 1, 0.1f, 0.9f, 0.999f, 1e-8f, 0f,
                    w, 0, g, 0, m, 0, m, 0, p));
            rejects("sgd: w [0, 8) and g [0, 8) share memory", () -> Optimizers.sgd(8, 0.1f, 0f, w, 0, w, 0, p));
            rejects("momentum: v needs", () -> Optimizers.momentum(9, false, 0.1f, 0.9f, 0f, floats(a, 9), 0, floats(a, 9), 0, v, 0, p));
        }
    }

    @Test
    void aNonFiniteGradientSkipsTheStepAndChangesNothing() {
        Random r = new Random(81);
        int n = 70_000; // more than one chunk; the bad value sits in the second
        try (Arena a = Arena.ofShared()) {
            MemorySegment w = floats(a, n), g = floats(a, n), m = floats(a, n), v = floats(a, n);
            for (int i = 0; i < n; i++) {
                w.setAtIndex(JAVA_FLOAT, i, (float) r.nextGaussian());
                g.setAtIndex(JAVA_FLOAT, i, (float) r.nextGaussian());
            }
            float[] w0 = w.toArray(JAVA_FLOAT);
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                g.setAtIndex(JAVA_FLOAT, n - 3, bad);
                assertFalse(Optimizers.sgd(n, 0.1f, 0f, w, 0, g, 0, Parallelism.threads(2)));
                assertFalse(Optimizers.adam(n, 1, 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, w, 0, g, 0, m, 0, v, 0, Parallelism.single()));
                assertFalse(Optimizers.momentum(n, true, 0.1f, 0.9f, 0f, w, 0, g, 0, m, 0, Parallelism.single()));
                assertArrayEquals(w0, w.toArray(JAVA_FLOAT), "w unchanged after a skipped step");
                assertArrayEquals(new float[n], m.toArray(JAVA_FLOAT), "state unchanged");
                assertArrayEquals(new float[n], v.toArray(JAVA_FLOAT), "state unchanged");
            }
            g.setAtIndex(JAVA_FLOAT, n - 3, 0.5f);
            assertTrue(Optimizers.sgd(n, 0.1f, 0f, w, 0, g, 0, Parallelism.threads(2)));
            assertEquals(w0[5] - 0.1f * g.getAtIndex(JAVA_FLOAT, 5), w.getAtIndex(JAVA_FLOAT, 5), 1e-6f);
        }
    }

    @Test
    void weightDecayIsL2AddedToTheGradient() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment w = floats(a, 3), g = floats(a, 3), m = floats(a, 3), v = floats(a, 3);
            float[] w0 = {1f, -2f, 0.5f}, g0 = {0.1f, 0.3f, -0.3f};
            MemorySegment.copy(w0, 0, w, JAVA_FLOAT, 0, 3);
            MemorySegment.copy(g0, 0, g, JAVA_FLOAT, 0, 3);
            assertTrue(Optimizers.sgd(3, 0.5f, 0.1f, w, 0, g, 0, Parallelism.single()));
            for (int i = 0; i < 3; i++) assertEquals(w0[i] - 0.5f * (g0[i] + 0.1f * w0[i]), w.getAtIndex(JAVA_FLOAT, i), 1e-6f);
            // Adam, first step with decay: m = 0.1 g', v = 0.001 g'^2 -> w -= lr * g' / (|g'| + eps)
            MemorySegment.copy(w0, 0, w, JAVA_FLOAT, 0, 3);
            assertTrue(Optimizers.adam(3, 1, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, w, 0, g, 0, m, 0, v, 0, Parallelism.single()));
            for (int i = 0; i < 3; i++) {
                double gp = Math.fma(0.1f, w0[i], g0[i]); // g' in float, as the kernel forms it
                assertEquals(w0[i] - 0.01 * gp / (Math.abs(gp) + 1e-8), w.getAtIndex(JAVA_FLOAT, i), 1e-6);
                assertEquals(0.1 * gp, m.getAtIndex(JAVA_FLOAT, i), 1e-7);
            }
        }
    }

    @Test
    void sumSquaresIsTheSameForAnyThreadCount() {
        int n = 200_003;
        try (Arena a = Arena.ofShared()) {
            MemorySegment x = floats(a, n);
            Random r = new Random(82);
            double exact = 0;
            for (int i = 0; i < n; i++) {
                float f = (float) r.nextGaussian();
                x.setAtIndex(JAVA_FLOAT, i, f);
                exact += (double) f * f;
            }
            double one = Optimizers.sumSquares(n, x, 0, Parallelism.single());
            assertEquals(one, Optimizers.sumSquares(n, x, 0, Parallelism.threads(3)));
            assertEquals(exact, one, 1e-6 * exact);
        }
    }
}

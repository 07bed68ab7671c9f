package io.tensorlane.layers.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.layers.GradientCheck;
import io.tensorlane.layers.Init;
import io.tensorlane.layers.Layer;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A finite-difference gradient check of every layer (inputs and parameters), plus shape errors. */
class LayerGradientTest {
    static final double TOL = 2e-3;

    /** Uniform in [-1, 1] but at least 0.05 away from 0, so the ReLU kink is never within a step. */
    static Tensor input(long seed, long... shape) {
        Random r = new Random(seed);
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            float x = r.nextFloat() * 0.95f + 0.05f;
            v[i] = r.nextBoolean() ? x : -x;
        }
        return Tensor.of(v, shape);
    }

    static void check(Layer layer, Tensor... in) {
        List<GradientCheck.Result> rs = GradientCheck.layer(layer, List.of(in), Mode.TRAIN, 7, GradientCheck.DEFAULT_STEP);
        assertTrue(rs.size() >= 1);
        for (GradientCheck.Result r : rs) r.requireBelow(TOL);
    }

    @Test
    void linearFlattensTrailingDims() {
        Linear l = new Linear(6, 4, new Random(1));
        // a nonzero bias, so a wrong bias path shows
        for (int i = 0; i < 4; i++) l.bias().value().setFloat(0.1f * i, i);
        check(l, input(2, 5, 2, 3));
        assertArrayEquals(new long[] {5, 4}, l.forward(input(3, 5, 2, 3), Mode.EVAL).shape());
        assertEquals(2, l.params().size());
    }

    @Test
    void linearMatchesHandComputedValues() {
        Linear l = new Linear(2, 1, true, Init.ZEROS, new Random(0));
        l.weight().value().setFloat(2f, 0, 0);
        l.weight().value().setFloat(-1f, 1, 0);
        l.bias().value().setFloat(0.5f, 0);
        Tensor y = l.forward(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), Mode.EVAL);
        assertArrayEquals(new float[] {0.5f, 2.5f}, y.toFloatArray());
    }

    @Test
    void linearWithoutBiasAndGradientsAccumulate() {
        Linear l = new Linear(3, 2, false, Init.HE_NORMAL, new Random(4));
        check(l, input(5, 4, 3));
        Tensor x = input(6, 4, 3);
        l.weight().zeroGrad();
        l.forward(x, Mode.TRAIN);
        l.backward(input(8, 4, 2));
        float[] once = l.weight().grad().toFloatArray();
        l.forward(x, Mode.TRAIN);
        l.backward(input(8, 4, 2));
        float[] twice = l.weight().grad().toFloatArray();
        for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-5);
    }

    @Test
    void linearRejectsWrongWidth() {
        Linear l = new Linear(6, 4, new Random(1));
        var e = assertThrows(IllegalArgumentException.class, () -> l.forward(input(1, 2, 5), Mode.TRAIN));
        assertEquals("linear: input [2, 5] must be (N, ...) with 6 features per sample", e.getMessage());
        var b = assertThrows(IllegalArgumentException.class, () -> new Linear(6, 4, new Random(1)).backward(input(1, 2, 4)));
        assertEquals("linear: backward called before forward", b.getMessage());
    }

    @Test
    void activations() {
        check(new ReLU(), input(1, 3, 7));
        check(new LeakyReLU(0.1f), input(2, 3, 7));
        check(new Sigmoid(), input(3, 2, 3, 4));
        check(new Tanh(), input(4, 9));
    }

    @Test
    void flattenAndReshape() {
        check(new Flatten(), input(1, 2, 3, 4));
        Reshape r = new Reshape(4, -1);
        assertArrayEquals(new long[] {2, 4, 3}, r.outputShape(new long[] {2, 3, 4}));
        check(r, input(2, 2, 3, 4));
        var e = assertThrows(IllegalArgumentException.class, () -> new Reshape(5).outputShape(new long[] {2, 3, 4}));
        assertEquals("reshape: input [2, 3, 4] has 12 elements per sample, shape [5] holds 5", e.getMessage());
    }

    @Test
    void addOfThree() {
        check(new Add(), input(1, 2, 5), input(2, 2, 5), input(3, 2, 5));
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Add().forward(List.of(input(1, 2, 5), input(2, 2, 4)), Mode.TRAIN));
        assertEquals("add: input 1 has shape [2, 4] but input 0 has [2, 5]", e.getMessage());
    }

    @Test
    void concatAlongChannelsAndOtherDims() {
        Concat c = new Concat(1);
        Tensor a = input(1, 2, 1, 2, 2), b = input(2, 2, 3, 2, 2);
        Tensor y = c.forward(List.of(a, b), Mode.TRAIN);
        assertArrayEquals(new long[] {2, 4, 2, 2}, y.shape());
        assertEquals(a.getFloat(1, 0, 1, 1), y.getFloat(1, 0, 1, 1));
        assertEquals(b.getFloat(1, 2, 0, 1), y.getFloat(1, 3, 0, 1));
        check(c, a, b);
        check(new Concat(2), input(3, 2, 3, 1), input(4, 2, 3, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> c.outputShape(List.of(new long[] {2, 1, 2, 2}, new long[] {2, 1, 3, 2})));
        assertEquals("concat: input 1 has shape [2, 1, 3, 2] but input 0 has [2, 1, 2, 2] (only dim 1 may differ)", e.getMessage());
    }

    @Test
    void embeddingGathersRowsAndAccumulatesRepeats() {
        Embedding emb = new Embedding(5, 3, new Random(2));
        Tensor idx = Tensor.ofInts(new int[] {4, 1, 4, 0, 2, 4}, 2, 3);
        Tensor y = emb.forward(idx, Mode.TRAIN);
        assertArrayEquals(new long[] {2, 3, 3}, y.shape());
        for (int d = 0; d < 3; d++) assertEquals(emb.weight().value().getFloat(4, d), y.getFloat(1, 2, d));
        check(emb, idx);
        emb.weight().zeroGrad();
        emb.forward(idx, Mode.TRAIN);
        float[] ones = new float[18];
        java.util.Arrays.fill(ones, 1f);
        assertNull(emb.backward(Tensor.of(ones, 2, 3, 3)));
        assertEquals(3f, emb.weight().grad().getFloat(4, 0)); // row 4 used three times
        assertEquals(0f, emb.weight().grad().getFloat(3, 0));
        var e = assertThrows(IllegalArgumentException.class, () -> emb.forward(Tensor.ofInts(new int[] {1, 5}, 2), Mode.TRAIN));
        assertEquals("embedding: index 5 at flat position 1 is outside [0, 5) (indices=[2])", e.getMessage());
    }

    @Test
    void aWrongGradientIsCaught() {
        // The check itself must fail on a layer whose backward is off by a factor.
        Tanh tanh = new Tanh();
        Layer wrong = new io.tensorlane.layers.AbstractLayer() {
            @Override
            public String type() { return "wrong_tanh"; }

            @Override
            public long[] outputShape(long[] in) { return in; }

            @Override
            public Tensor forward(Tensor in, Mode mode) { return tanh.forward(in, mode); }

            @Override
            public Tensor backward(Tensor dOut) { return ops.scale(tanh.backward(dOut), 1.01f); }
        };
        assertThrows(AssertionError.class, () -> check(wrong, input(4, 9)));
    }
}

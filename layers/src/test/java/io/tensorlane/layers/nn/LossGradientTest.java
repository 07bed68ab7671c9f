package io.tensorlane.layers.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.layers.GradientCheck;
import io.tensorlane.layers.loss.Loss;
import io.tensorlane.layers.loss.LossRegistry;
import io.tensorlane.runtime.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LossGradientTest {
    static Tensor labels(long seed, int n, int c) {
        Random r = new Random(seed);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = r.nextInt(c);
        return Tensor.ofInts(y, n);
    }

    static Tensor uniform(long seed, float lo, float hi, long... shape) {
        Random r = new Random(seed);
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * r.nextFloat();
        return Tensor.of(v, shape);
    }

    @Test
    void classificationLosses() {
        for (String name : new String[] {"softmax_cross_entropy", "multiclass_svm"}) {
            Loss loss = LossRegistry.create(name);
            assertTrue(loss.classification());
            // The hinge has kinks: a step of 1e-3 keeps random scores clear of them.
            GradientCheck.loss(loss, uniform(1, -2, 2, 6, 5), labels(2, 6, 5), 1e-3).requireBelow(2e-3);
        }
    }

    @Test
    void regressionLosses() {
        for (String name : new String[] {"mse", "euclidean", "sigmoid_bce"}) {
            Loss loss = LossRegistry.create(name);
            Tensor target = name.equals("sigmoid_bce") ? uniform(3, 0, 1, 4, 3) : uniform(3, -1, 1, 4, 3);
            GradientCheck.loss(loss, uniform(4, -2, 2, 4, 3), target, GradientCheck.DEFAULT_STEP).requireBelow(2e-3);
        }
        assertEquals(0.5 * (1 + 4) / 2, LossRegistry.create("euclidean")
                .forward(Tensor.of(new float[] {1, 2}, 2, 1), Tensor.of(new float[] {0, 0}, 2, 1)).loss(), 1e-6);
    }

    @Test
    void unknownLossListsTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> LossRegistry.create("hinge"));
        assertEquals("unknown loss \"hinge\" (known: euclidean, mse, multiclass_svm, sigmoid_bce, softmax_cross_entropy)", e.getMessage());
    }
}

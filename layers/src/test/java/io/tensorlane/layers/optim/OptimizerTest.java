package io.tensorlane.layers.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.layers.Param;
import io.tensorlane.runtime.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimizerTest {
    static Param param(float... v) {
        return Param.of("w", Tensor.of(v.clone(), v.length));
    }

    @Test
    void optionsAreValidated() {
        var unknown = assertThrows(IllegalArgumentException.class, () -> Optimizer.create("adam", Map.of("lr", 1e-3, "momentum", 0.9)));
        assertEquals("optimizer adam: unknown option \"momentum\" (valid: beta1, beta2, clip_norm, eps, lr, weight_decay)", unknown.getMessage());
        var name = assertThrows(IllegalArgumentException.class, () -> Optimizer.create("adamw", Map.of()));
        assertEquals("unknown optimizer \"adamw\" (known: sgd, momentum, nesterov, adagrad, rmsprop, adam)", name.getMessage());
        var range = assertThrows(IllegalArgumentException.class, () -> Optimizer.create("momentum", Map.of("momentum", 1.0)));
        assertEquals("optimizer momentum: option momentum must be in [0, 1), got 1.0", range.getMessage());
        var neg = assertThrows(IllegalArgumentException.class, () -> Optimizer.create("sgd", Map.of("lr", -1)));
        assertEquals("optimizer sgd: option lr must be >= 0, got -1.0", neg.getMessage());
        var type = assertThrows(IllegalArgumentException.class, () -> Optimizer.create("sgd", Map.of("lr", "fast")));
        assertEquals("optimizer sgd: option lr must be a number, got fast", type.getMessage());
        assertEquals(List.of("clip_norm", "lr", "weight_decay"), Optimizer.options("sgd"));
    }

    @Test
    void rulesMatchHandComputedSteps() {
        Param p = param(1f, -2f);
        p.grad().setFloat(0.5f, 0);
        p.grad().setFloat(-1f, 1);
        Optimizer sgd = Optimizer.create("sgd", Map.of("lr", 0.1));
        assertTrue(sgd.step(List.of(p)));
        assertArrayEquals(new float[] {0.95f, -1.9f}, p.value().toFloatArray(), 1e-6f);

        Param m = param(1f);
        m.grad().setFloat(1f, 0);
        Optimizer mom = Optimizer.create("momentum", Map.of("lr", 0.1, "momentum", 0.5));
        mom.step(List.of(m)); // v = -0.1, w = 0.9
        mom.step(List.of(m)); // v = -0.05 - 0.1 = -0.15, w = 0.75
        assertEquals(0.75f, m.value().getFloat(0), 1e-6f);
        assertEquals(-0.15f, mom.state(m).get(0).getFloat(0), 1e-6f);

        Param a = param(1f);
        a.grad().setFloat(2f, 0);
        Optimizer adam = Optimizer.create("adam", Map.of("lr", 0.01));
        adam.step(List.of(a)); // bias-corrected first step moves by lr * sign(g)
        assertEquals(0.99f, a.value().getFloat(0), 1e-6f);

        Param d = param(2f);
        Optimizer wd = Optimizer.create("sgd", Map.of("lr", 0.1, "weight_decay", 0.5));
        wd.step(List.of(d)); // g' = 0 + 0.5 * 2 = 1
        assertEquals(1.9f, d.value().getFloat(0), 1e-6f);
    }

    @Test
    void everyRuleMinimisesAQuadratic() {
        for (String name : Optimizer.names()) {
            Param p = param(3f, -2f, 0.5f);
            Optimizer opt = Optimizer.create(name, Map.of("lr", switch (name) { case "sgd", "momentum", "nesterov" -> 0.05; case "adagrad" -> 0.5; default -> 0.1; }));
            double start = f(p);
            for (int i = 0; i < 200; i++) {
                float[] w = p.value().toFloatArray();
                for (int j = 0; j < w.length; j++) p.grad().setFloat(2 * w[j] * (j + 1), j); // f = sum (j+1) w_j^2
                opt.step(List.of(p));
            }
            assertTrue(f(p) < 0.01 * start, name + ": " + f(p) + " from " + start);
        }
    }

    static double f(Param p) {
        float[] w = p.value().toFloatArray();
        double s = 0;
        for (int j = 0; j < w.length; j++) s += (j + 1) * w[j] * w[j];
        return s;
    }

    @Test
    void clippingAndNonFiniteGradients() {
        Param p = param(0f, 0f);
        p.grad().setFloat(3f, 0);
        p.grad().setFloat(4f, 1);
        Optimizer opt = Optimizer.create("sgd", Map.of("lr", 1, "clip_norm", 1));
        assertTrue(opt.step(List.of(p)));
        assertEquals(5.0, opt.lastGradNorm(), 1e-6);
        assertArrayEquals(new float[] {-0.6f, -0.8f}, p.value().toFloatArray(), 1e-5f);

        Param q = param(1f), r = param(1f);
        q.grad().setFloat(1f, 0);
        r.grad().setFloat(Float.NaN, 0);
        Optimizer plain = Optimizer.create("momentum", Map.of());
        assertFalse(plain.step(List.of(q, r)));
        assertEquals(1f, q.value().getFloat(0)); // the finite one did not move either
        assertEquals(1, plain.skippedSteps());
    }

    @Test
    void schedules() {
        assertEquals(0.1f, LrSchedule.step(2, 0.1f).rate(1f, 3), 1e-7f);
        assertEquals(1f, LrSchedule.step(2, 0.1f).rate(1f, 1), 1e-7f);
        assertEquals(0.25f, LrSchedule.exponential(0.5f).rate(1f, 2), 1e-7f);
        assertEquals(0.5f, LrSchedule.inverseTime(1f, 1f).rate(1f, 1), 1e-7f);
        assertEquals(0.01f, LrSchedule.parse("step", Map.of("step_size", 1, "gamma", 0.1)).rate(1f, 2), 1e-7f);
        var e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.parse("step", Map.of("steps", 1)));
        assertEquals("lr schedule step: unknown option \"steps\" (valid: gamma, step_size)", e.getMessage());
        var n = assertThrows(IllegalArgumentException.class, () -> LrSchedule.parse("cosine", Map.of()));
        assertEquals("unknown lr schedule \"cosine\" (known: constant, step, exponential, inverse_time)", n.getMessage());
    }
}

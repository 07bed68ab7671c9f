package io.tensorlane.bench.verify;

import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.util.List;

/**
 * sgd, sgd_momentum, nesterov_momentum, adagrad, rmsprop and adam: five in-place steps from w with the case's
 * gradients (state starting at 0), checking w after every step and the final state where the case gives it.
 */
final class OptimizerGoldenOps {
    private OptimizerGoldenOps() {
    }

    /** One optimizer step at 1-based step t on (w, g, state...). */
    private interface Step {
        boolean run(Ops ops, GoldenCase c, long t, Tensor w, Tensor g, Tensor s1, Tensor s2);
    }

    static List<GoldenOp> all() {
        return List.of(
                op("sgd", null, null, (ops, c, t, w, g, a, b) -> ops.sgdStep(w, g, lr(c), 0f)),
                op("sgd_momentum", "v_final", null, (ops, c, t, w, g, a, b) ->
                        ops.momentumStep(w, g, a, lr(c), (float) c.param("momentum", 0.9), 0f)),
                op("nesterov_momentum", "v_final", null, (ops, c, t, w, g, a, b) ->
                        ops.nesterovStep(w, g, a, lr(c), (float) c.param("momentum", 0.9), 0f)),
                op("adagrad", "cache_final", null, (ops, c, t, w, g, a, b) ->
                        ops.adagradStep(w, g, a, lr(c), (float) c.param("eps", 1e-8), 0f)),
                op("rmsprop", "cache_final", null, (ops, c, t, w, g, a, b) ->
                        ops.rmspropStep(w, g, a, lr(c), (float) c.param("decay_rate", 0.99), (float) c.param("eps", 1e-8), 0f)),
                op("adam", "m_final", "v_final", (ops, c, t, w, g, a, b) ->
                        ops.adamStep(w, g, a, b, t, lr(c), (float) c.param("beta1", 0.9), (float) c.param("beta2", 0.999),
                                (float) c.param("eps", 1e-8), 0f)));
    }

    private static float lr(GoldenCase c) {
        double lr = c.param("lr", Double.NaN);
        if (Double.isNaN(lr)) throw new MalformedCaseException(c.file() + ": param 'lr' is missing");
        return (float) lr;
    }

    private static GoldenOp op(String name, String state1, String state2, Step step) {
        return new GoldenOp() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void run(GoldenCase c, Ops ops, Checker check) {
                Tensor w = c.input("w").toTensor();
                Tensor grads = c.input("grads").toTensor();
                if (grads.rank() != 2 || grads.dim(1) != w.numel()) {
                    throw new MalformedCaseException(c.file() + ": grads " + grads.shapeString() + " does not match w " + w.shapeString());
                }
                long d = w.numel(), steps = grads.dim(0);
                Tensor s1 = Tensor.of(new float[(int) d], w.shape()), s2 = Tensor.of(new float[(int) d], w.shape());
                float[] trace = new float[(int) (steps * d)];
                for (long t = 0; t < steps; t++) {
                    Tensor g = grads.slice(0, t, t + 1).reshape(w.shape());
                    if (!step.run(ops, c, t + 1, w, g, s1, s2)) {
                        throw new IllegalStateException(name + ": step " + (t + 1) + " was skipped (non-finite gradient)");
                    }
                    System.arraycopy(w.toFloatArray(), 0, trace, (int) (t * d), (int) d);
                }
                check.tensor("w_steps", c.output("w_steps"), Tensor.of(trace, steps, d));
                if (state1 != null && c.outputs().containsKey(state1)) check.tensor(state1, c.output(state1), s1);
                if (state2 != null && c.outputs().containsKey(state2)) check.tensor(state2, c.output(state2), s2);
            }
        };
    }
}

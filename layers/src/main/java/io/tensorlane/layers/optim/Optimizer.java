package io.tensorlane.layers.optim;

import io.tensorlane.layers.Param;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A named update rule (sgd, momentum, nesterov, adagrad, rmsprop, adam) with its options, weight
 * decay and gradient-norm clipping, and the per-parameter state. Options are validated: an unknown
 * one is an error listing the valid ones.
 *
 * <pre>{@code
 * Optimizer opt = Optimizer.create("adam", Map.of("lr", 1e-3, "weight_decay", 1e-4, "clip_norm", 5));
 * net.zeroGrad(); ... backward ...; opt.step(net.params());
 * }</pre>
 */
public final class Optimizer {
    /** Options every rule takes: learning rate, L2 weight decay (added to the gradient), global-norm clip (0 = off). */
    public static final List<String> COMMON = List.of("lr", "weight_decay", "clip_norm");

    private record Kind(List<String> options, Function<Options, UpdateRule> factory) {
    }

    private static final Map<String, Kind> KINDS = new LinkedHashMap<>();

    static {
        KINDS.put("sgd", new Kind(List.of(), o -> rule("sgd", 0, (ops, w, g, s, lr, t, wd) -> ops.sgdStep(w, g, lr, wd))));
        KINDS.put("momentum", new Kind(List.of("momentum"), o -> {
            float mu = o.fraction("momentum", 0.9f);
            return rule("momentum", 1, (ops, w, g, s, lr, t, wd) -> ops.momentumStep(w, g, s.get(0), lr, mu, wd));
        }));
        KINDS.put("nesterov", new Kind(List.of("momentum"), o -> {
            float mu = o.fraction("momentum", 0.9f);
            return rule("nesterov", 1, (ops, w, g, s, lr, t, wd) -> ops.nesterovStep(w, g, s.get(0), lr, mu, wd));
        }));
        KINDS.put("adagrad", new Kind(List.of("eps"), o -> {
            float eps = o.positive("eps", 1e-8f);
            return rule("adagrad", 1, (ops, w, g, s, lr, t, wd) -> ops.adagradStep(w, g, s.get(0), lr, eps, wd));
        }));
        KINDS.put("rmsprop", new Kind(List.of("decay_rate", "eps"), o -> {
            float dr = o.fraction("decay_rate", 0.99f), eps = o.positive("eps", 1e-8f);
            return rule("rmsprop", 1, (ops, w, g, s, lr, t, wd) -> ops.rmspropStep(w, g, s.get(0), lr, dr, eps, wd));
        }));
        KINDS.put("adam", new Kind(List.of("beta1", "beta2", "eps"), o -> {
            float b1 = o.fraction("beta1", 0.9f), b2 = o.fraction("beta2", 0.999f), eps = o.positive("eps", 1e-8f);
            return rule("adam", 2, (ops, w, g, s, lr, t, wd) -> ops.adamStep(w, g, s.get(0), s.get(1), t, lr, b1, b2, eps, wd));
        }));
    }

    private interface Step {
        boolean apply(Ops ops, Tensor w, Tensor g, List<Tensor> s, float lr, long t, float wd);
    }

    private static UpdateRule rule(String name, int states, Step step) {
        return new UpdateRule() {
            @Override
            public String name() { return name; }

            @Override
            public int stateCount() { return states; }

            @Override
            public boolean update(Ops ops, Tensor w, Tensor g, List<Tensor> state, float lr, long t, float wd) {
                return step.apply(ops, w, g, state, lr, t, wd);
            }
        };
    }

    private static final Ops CPU = Ops.on(Device.cpu());

    private final UpdateRule rule;
    private Ops ops = CPU;
    private final Map<String, Object> options;
    private final float baseLr;
    private final float weightDecay;
    private final float clipNorm;
    private float lr;
    private long t;
    private long skipped;
    private double lastNorm = Double.NaN;
    private final Map<Param, List<Tensor>> state = new IdentityHashMap<>();

    private Optimizer(UpdateRule rule, Map<String, Object> options, float lr, float weightDecay, float clipNorm) {
        this.rule = rule;
        this.options = options;
        this.baseLr = lr;
        this.lr = lr;
        this.weightDecay = weightDecay;
        this.clipNorm = clipNorm;
    }

    /** The rule names, in registration order. */
    public static List<String> names() {
        return List.copyOf(KINDS.keySet());
    }

    /** The options {@code name} accepts, sorted. */
    public static List<String> options(String name) {
        Kind k = kind(name);
        TreeSet<String> all = new TreeSet<>(COMMON);
        all.addAll(k.options());
        return List.copyOf(all);
    }

    private static Kind kind(String name) {
        Kind k = KINDS.get(name);
        if (k == null) throw new IllegalArgumentException("unknown optimizer \"" + name + "\" (known: " + String.join(", ", names()) + ")");
        return k;
    }

    /**
     * An optimizer of rule {@code name} with {@code options} (numbers): {@code lr} (default 0.01),
     * {@code weight_decay} (0), {@code clip_norm} (0: off), and per rule {@code momentum} (0.9),
     * {@code decay_rate} (0.99), {@code beta1} (0.9), {@code beta2} (0.999), {@code eps} (1e-8).
     */
    public static Optimizer create(String name, Map<String, ?> options) {
        Kind k = kind(name);
        List<String> valid = options(name);
        for (String key : options.keySet()) {
            if (!valid.contains(key)) {
                throw new IllegalArgumentException("optimizer " + name + ": unknown option \"" + key + "\" (valid: " + String.join(", ", valid) + ")");
            }
        }
        Options o = new Options(name, options);
        float lr = o.nonNegative("lr", 0.01f);
        float wd = o.nonNegative("weight_decay", 0f);
        float clip = o.nonNegative("clip_norm", 0f);
        return new Optimizer(k.factory().apply(o), new LinkedHashMap<>(options), lr, wd, clip);
    }

    /** Typed, range-checked access to the options map. */
    static final class Options {
        private final String name;
        private final Map<String, ?> map;

        Options(String name, Map<String, ?> map) {
            this.name = name;
            this.map = map;
        }

        private float number(String key, float fallback) {
            Object v = map.get(key);
            if (v == null) return fallback;
            if (!(v instanceof Number n)) throw new IllegalArgumentException("optimizer " + name + ": option " + key + " must be a number, got " + v);
            double d = n.doubleValue();
            if (!Double.isFinite(d)) throw new IllegalArgumentException("optimizer " + name + ": option " + key + " must be finite, got " + d);
            return (float) d;
        }

        float nonNegative(String key, float fallback) {
            float v = number(key, fallback);
            if (v < 0) throw new IllegalArgumentException("optimizer " + name + ": option " + key + " must be >= 0, got " + v);
            return v;
        }

        float positive(String key, float fallback) {
            float v = number(key, fallback);
            if (!(v > 0)) throw new IllegalArgumentException("optimizer " + name + ": option " + key + " must be > 0, got " + v);
            return v;
        }

        float fraction(String key, float fallback) {
            float v = number(key, fallback);
            if (v < 0 || v >= 1) throw new IllegalArgumentException("optimizer " + name + ": option " + key + " must be in [0, 1), got " + v);
            return v;
        }
    }

    public String name() { return rule.name(); }

    /** The ops the fused update steps run on (default: the CPU); a net's device when it trains elsewhere. */
    public void setOps(Ops ops) {
        this.ops = java.util.Objects.requireNonNull(ops, "ops");
    }

    /** The options it was created with. */
    public Map<String, Object> options() { return java.util.Collections.unmodifiableMap(options); }

    /** The learning rate it was created with. */
    public float baseLearningRate() { return baseLr; }

    public float learningRate() { return lr; }

    /** Sets the learning rate of the next steps (schedules call this). */
    public void setLearningRate(float lr) {
        if (!(lr >= 0) || Float.isInfinite(lr)) throw new IllegalArgumentException("optimizer " + name() + ": learning rate must be finite and >= 0, got " + lr);
        this.lr = lr;
    }

    /** Steps taken (applied or skipped). */
    public long steps() { return t; }

    /** Steps skipped because a gradient was not finite. */
    public long skippedSteps() { return skipped; }

    /** The global gradient norm of the last step when clipping is on (before clipping), else NaN. */
    public double lastGradNorm() { return lastNorm; }

    /** The state tensors of a parameter (created zero on its first step; empty for sgd). */
    public List<Tensor> state(Param p) {
        return state.computeIfAbsent(p, q -> {
            List<Tensor> s = new ArrayList<>(rule.stateCount());
            for (int i = 0; i < rule.stateCount(); i++) s.add(Tensor.allocate(java.lang.foreign.Arena.ofAuto(), io.tensorlane.runtime.DType.F32, q.value().shape()));
            return s;
        });
    }

    /**
     * One update of every parameter from its gradient: clip the global gradient norm (when
     * {@code clip_norm > 0}), then apply the rule. A non-finite gradient skips the whole step (no
     * parameter changes) and returns false.
     */
    public boolean step(List<Param> params) {
        t++;
        List<Tensor> grads = new ArrayList<>(params.size());
        for (Param p : params) grads.add(p.grad());
        if (clipNorm > 0) {
            lastNorm = ops.clipGradNorm(grads, clipNorm);
            if (!Double.isFinite(lastNorm)) {
                skipped++;
                return false;
            }
        } else if (!Double.isFinite(ops.gradSumSquares(grads))) {
            // Checked up front so that a bad gradient in a late parameter cannot leave the early ones updated.
            skipped++;
            return false;
        }
        for (Param p : params) rule.update(ops, p.value(), p.grad(), state(p), lr, t, weightDecay);
        return true;
    }

    /**
     * Sets the step counter, so that a reloaded optimizer continues where a saved one stopped (Adam's
     * bias correction depends on it). Use with the saved state tensors ({@link #state(Param)}).
     */
    public void restoreSteps(long steps) {
        if (steps < 0) throw new IllegalArgumentException("optimizer " + name() + ": steps must be >= 0, got " + steps);
        this.t = steps;
    }

    /** Number of state tensors per parameter of this rule (0 for sgd, 1 for momentum, 2 for adam, ...). */
    public int stateCount() { return rule.stateCount(); }

    @Override
    public String toString() {
        return "Optimizer[" + name() + " lr=" + lr + " " + options + "]";
    }
}

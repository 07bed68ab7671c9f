package io.tensorlane.layers.optim;

import java.util.List;
import java.util.Map;

/**
 * The learning rate of each epoch from the base rate (Caffe's lr_policy): constant, step (times
 * gamma every {@code step_size} epochs), exponential (times gamma each epoch) and inverse-time
 * ({@code base * (1 + gamma * epoch)^-power}). Epochs count from 0.
 */
@FunctionalInterface
public interface LrSchedule {
    float rate(float base, int epoch);

    static LrSchedule constant() {
        return (base, epoch) -> base;
    }

    static LrSchedule step(int stepSize, float gamma) {
        if (stepSize < 1) throw new IllegalArgumentException("lr schedule step: step_size must be >= 1, got " + stepSize);
        checkGamma("step", gamma);
        return (base, epoch) -> (float) (base * Math.pow(gamma, epoch / stepSize));
    }

    static LrSchedule exponential(float gamma) {
        checkGamma("exponential", gamma);
        return (base, epoch) -> (float) (base * Math.pow(gamma, epoch));
    }

    static LrSchedule inverseTime(float gamma, float power) {
        if (!(gamma >= 0) || !(power >= 0) || Float.isInfinite(gamma) || Float.isInfinite(power)) {
            throw new IllegalArgumentException("lr schedule inverse_time: gamma and power must be finite and >= 0, got " + gamma + ", " + power);
        }
        return (base, epoch) -> (float) (base * Math.pow(1 + gamma * (double) epoch, -power));
    }

    private static void checkGamma(String name, float gamma) {
        if (!(gamma > 0) || gamma > 1) throw new IllegalArgumentException("lr schedule " + name + ": gamma must be in (0, 1], got " + gamma);
    }

    /**
     * A schedule by name with its options: {@code constant}; {@code step} (step_size, gamma);
     * {@code exponential} (gamma); {@code inverse_time} (gamma, power). Unknown names or options list the valid ones.
     */
    static LrSchedule parse(String name, Map<String, ?> options) {
        List<String> valid = switch (name) {
            case "constant" -> List.of();
            case "step" -> List.of("gamma", "step_size");
            case "exponential" -> List.of("gamma");
            case "inverse_time" -> List.of("gamma", "power");
            default -> throw new IllegalArgumentException("unknown lr schedule \"" + name + "\" (known: constant, step, exponential, inverse_time)");
        };
        for (String k : options.keySet()) {
            if (!valid.contains(k)) {
                throw new IllegalArgumentException("lr schedule " + name + ": unknown option \"" + k + "\" (valid: "
                        + (valid.isEmpty() ? "none" : String.join(", ", valid)) + ")");
            }
        }
        java.util.function.BiFunction<String, Double, Double> num = (k, d) -> {
            Object v = options.get(k);
            if (v == null) return d;
            if (!(v instanceof Number n)) throw new IllegalArgumentException("lr schedule " + name + ": option " + k + " must be a number, got " + v);
            return n.doubleValue();
        };
        return switch (name) {
            case "step" -> {
                double s = num.apply("step_size", 1.0);
                if (s != Math.rint(s)) throw new IllegalArgumentException("lr schedule step: step_size must be an integer, got " + s);
                yield step((int) s, num.apply("gamma", 0.1).floatValue());
            }
            case "exponential" -> exponential(num.apply("gamma", 0.95).floatValue());
            case "inverse_time" -> inverseTime(num.apply("gamma", 0.1).floatValue(), num.apply("power", 1.0).floatValue());
            default -> constant();
        };
    }
}

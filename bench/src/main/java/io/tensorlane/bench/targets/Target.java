package io.tensorlane.bench.targets;

import java.util.Locale;
import java.util.OptionalDouble;
import java.util.function.Function;

/**
 * One performance target of the project's issues: a measured value (a ratio of two timings taken in the same
 * run) and the bound it must meet.
 *
 * @param issue   the issue that sets it, e.g. {@code "7"}
 * @param goal    what is asked, in words, e.g. {@code LeNet-5 training step <= 0.7x PyTorch's time}
 * @param bound   the bound
 * @param atMost  true: the value must be at most the bound (a time ratio); false: at least (a speed factor)
 * @param measure the value from the run's measurements, empty when it was not measured (e.g. no anchor)
 */
public record Target(String issue, String goal, double bound, boolean atMost, Function<Measurements, OptionalDouble> measure) {
    /** The verdict on one run. */
    public record Result(Target target, OptionalDouble value) {
        public boolean measured() {
            return value.isPresent();
        }

        public boolean met() {
            if (value.isEmpty()) return false;
            double v = value.getAsDouble();
            return target.atMost() ? v <= target.bound() : v >= target.bound();
        }

        public String verdict() {
            return !measured() ? "not measured" : met() ? "met" : "NOT met";
        }

        public String valueText() {
            return value.isEmpty() ? "-" : String.format(Locale.ROOT, "%.2f", value.getAsDouble());
        }
    }

    public Result judge(Measurements m) {
        OptionalDouble v;
        try {
            v = measure.apply(m);
        } catch (RuntimeException e) {
            v = OptionalDouble.empty();
        }
        if (v.isPresent() && !Double.isFinite(v.getAsDouble())) v = OptionalDouble.empty();
        return new Result(this, v);
    }
}

package io.tensorlane.layers;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Finite-difference gradient checks: the numeric gradient of a scalar function by centred
 * differences {@code (f(x+h) - f(x-h)) / 2h}, with f summed and differenced in double, compared with
 * an analytic gradient. The error of one element is {@code |a - n| / max(1, |a|, |n|)}: absolute for
 * small gradients (where float32 rounding of f dominates), relative for large ones.
 *
 * <p>For a layer, f is {@code sum(forward(x) * R)} with a fixed random R, so the analytic gradients
 * are those backward computes from {@code dOut = R}.
 */
public final class GradientCheck {
    /** A step that balances truncation error (h^2) against float32 rounding of f (eps / h). */
    public static final double DEFAULT_STEP = 1e-2;

    private GradientCheck() {
    }

    /** The outcome for one tensor: the worst element, its analytic and numeric values. */
    public record Result(String what, double maxError, long worstIndex, double analytic, double numeric) {
        /** Throws an AssertionError naming the worst element unless {@code maxError <= tolerance}. */
        public Result requireBelow(double tolerance) {
            if (!(maxError <= tolerance)) throw new AssertionError(this + " exceeds tolerance " + tolerance);
            return this;
        }

        @Override
        public String toString() {
            return String.format("%s: max error %.3g at [%d] (analytic %.6g, numeric %.6g)", what, maxError, worstIndex,
                    analytic, numeric);
        }
    }

    /**
     * The numeric gradient of {@code f} with respect to the contiguous F32 tensor {@code x}, whose
     * elements are perturbed in place by +-h and restored.
     */
    public static double[] numeric(DoubleSupplier f, Tensor x, double h) {
        requireMutable(x);
        int n = Math.toIntExact(x.numel());
        double[] g = new double[n];
        var seg = x.segment();
        long off = x.offset();
        for (int i = 0; i < n; i++) {
            float old = seg.getAtIndex(JAVA_FLOAT, off + i);
            seg.setAtIndex(JAVA_FLOAT, off + i, (float) (old + h));
            double fp = f.getAsDouble();
            seg.setAtIndex(JAVA_FLOAT, off + i, (float) (old - h));
            double fm = f.getAsDouble();
            seg.setAtIndex(JAVA_FLOAT, off + i, old);
            // The perturbed values are rounded to float: divide by the step actually taken.
            double step = (double) (float) (old + h) - (double) (float) (old - h);
            g[i] = (fp - fm) / step;
        }
        return g;
    }

    /** Compares an analytic gradient (any F32 tensor of x's size) with a numeric one. */
    public static Result compare(String what, Tensor analytic, double[] numeric) {
        float[] a = analytic.contiguous().toFloatArray();
        if (a.length != numeric.length) {
            throw new IllegalArgumentException("gradient check " + what + ": analytic has " + a.length
                    + " elements, numeric " + numeric.length);
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(a[i] - numeric[i]) / Math.max(1, Math.max(Math.abs(a[i]), Math.abs(numeric[i])));
            if (Double.isNaN(err)) err = Double.POSITIVE_INFINITY;
            if (err > worst || at < 0) {
                worst = err;
                at = i;
            }
        }
        return new Result(what, worst, at, at < 0 ? 0 : a[at], at < 0 ? 0 : numeric[at]);
    }

    /**
     * Checks a layer: the gradients of every F32 input and every parameter. Inputs must be contiguous
     * heap or arena tensors that may be perturbed in place. The forward runs in {@code mode} and
     * must be deterministic for fixed inputs.
     *
     * @return one result per F32 input ({@code "input0"}, ...) and per parameter (its name)
     */
    public static List<Result> layer(Layer layer, List<Tensor> inputs, Mode mode, long seed, double h) {
        Tensor out = layer.forward(inputs, mode);
        float[] r = new float[Math.toIntExact(out.numel())];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < r.length; i++) r[i] = (float) (rng.nextDouble() * 2 - 1);
        Tensor dOut = Tensor.of(r, out.shape());
        for (Param p : layer.params()) p.zeroGrad();
        List<Tensor> dIn = layer.backwardAll(dOut);
        if (dIn.size() != inputs.size()) {
            throw new AssertionError(layer.type() + ": backward returned " + dIn.size() + " gradients for " + inputs.size() + " inputs");
        }
        // Copy the analytic gradients before the numeric passes run forward again.
        List<Tensor> analyticIn = new ArrayList<>();
        for (Tensor t : dIn) analyticIn.add(t == null ? null : Tensor.of(t.contiguous().toFloatArray(), t.shape()));
        List<Tensor> analyticP = new ArrayList<>();
        for (Param p : layer.params()) analyticP.add(Tensor.of(p.grad().toFloatArray(), p.grad().shape()));

        DoubleSupplier f = () -> {
            Tensor y = layer.forward(inputs, mode);
            float[] yv = y.contiguous().toFloatArray();
            double s = 0;
            for (int i = 0; i < yv.length; i++) s += (double) yv[i] * r[i];
            return s;
        };
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Tensor x = inputs.get(i);
            if (x.dtype() != DType.F32) continue;
            if (analyticIn.get(i) == null) throw new AssertionError(layer.type() + ": no gradient for F32 input " + i);
            results.add(compare(layer.type() + " input" + i, analyticIn.get(i), numeric(f, x, h)));
        }
        List<Param> ps = layer.params();
        for (int i = 0; i < ps.size(); i++) {
            results.add(compare(layer.type() + " " + ps.get(i).name(), analyticP.get(i), numeric(f, ps.get(i).value(), h)));
        }
        return results;
    }

    /** Checks a single-input layer in {@link Mode#TRAIN} with {@link #DEFAULT_STEP}. */
    public static List<Result> layer(Layer layer, Tensor input, long seed) {
        return layer(layer, List.of(input), Mode.TRAIN, seed, DEFAULT_STEP);
    }

    /** Checks a loss's gradient with respect to its scores. */
    public static Result loss(io.tensorlane.layers.loss.Loss loss, Tensor scores, Tensor target, double h) {
        LossResult r = loss.forward(scores, target);
        Tensor analytic = Tensor.of(r.grad().contiguous().toFloatArray(), r.grad().shape());
        return compare(loss.type(), analytic, numeric(() -> loss.forward(scores, target).loss(), scores, h));
    }

    private static void requireMutable(Tensor x) {
        if (x.dtype() != DType.F32 || !x.isContiguous() || x.segment().isReadOnly()) {
            throw new IllegalArgumentException("gradient check: x must be a writable contiguous F32 tensor, got "
                    + x.dtype() + " " + java.util.Arrays.toString(x.shape()));
        }
    }
}

package io.tensorlane.bench.verify;

import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares results with a case's expectations under its tolerance: an element passes when
 * {@code |actual - expected| <= atol + rtol * |expected|} (numpy.allclose with expected as the
 * reference); NaN passes only against NaN. Collects one line per mismatching tensor.
 */
public final class Checker {
    private final GoldenCase c;
    private final List<String> failures = new ArrayList<>();
    private int compared;

    public Checker(GoldenCase c) {
        this.c = c;
    }

    /** Compares a tensor result with the expected tensor {@code name}. */
    public void tensor(String name, GoldenTensor expected, Tensor actual) {
        compared++;
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            failures.add(name + ": shape " + Arrays.toString(actual.shape()) + " but expected " + Arrays.toString(expected.shape()));
            return;
        }
        double[] e = expected.values();
        double[] a = new double[e.length];
        if (actual.dtype() == io.tensorlane.runtime.DType.F32) {
            float[] v = actual.toFloatArray();
            for (int i = 0; i < a.length; i++) a[i] = v[i];
        } else {
            int[] v = actual.toIntArray();
            for (int i = 0; i < a.length; i++) a[i] = v[i];
        }
        values(name, e, a);
    }

    /** Compares a scalar result with the expected scalar {@code name}. */
    public void scalar(String name, GoldenTensor expected, double actual) {
        compared++;
        if (expected.numel() != 1) {
            failures.add(name + ": expected tensor " + expected + " is not a scalar");
            return;
        }
        values(name, expected.values(), new double[] {(float) actual});
    }

    private void values(String name, double[] e, double[] a) {
        double maxAbs = 0, maxRel = 0;
        int bad = 0, first = -1;
        for (int i = 0; i < e.length; i++) {
            boolean ok;
            if (Double.isNaN(e[i]) || Double.isNaN(a[i])) {
                ok = Double.isNaN(e[i]) && Double.isNaN(a[i]);
            } else if (Double.isInfinite(e[i]) || Double.isInfinite(a[i])) {
                ok = e[i] == a[i];
            } else {
                double abs = Math.abs(a[i] - e[i]);
                ok = abs <= c.atol() + c.rtol() * Math.abs(e[i]);
                maxAbs = Math.max(maxAbs, abs);
                if (e[i] != 0) maxRel = Math.max(maxRel, abs / Math.abs(e[i]));
            }
            if (!ok) {
                bad++;
                if (first < 0) first = i;
            }
        }
        if (bad > 0) {
            failures.add(String.format("%s: %d of %d values off, max abs err %.3g, max rel err %.3g (first at %d: expected %s got %s; rtol %s atol %s)",
                    name, bad, e.length, maxAbs, maxRel, first, (float) e[first], (float) a[first], c.rtol(), c.atol()));
        }
    }

    public List<String> failures() {
        return failures;
    }

    public int compared() {
        return compared;
    }
}

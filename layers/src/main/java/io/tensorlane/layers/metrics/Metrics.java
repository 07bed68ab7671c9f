package io.tensorlane.layers.metrics;

/** Scalar metrics for predictions against the truth: classification accuracy, regression MSE and R². */
public final class Metrics {
    private Metrics() {
    }

    /** Fraction of positions where {@code predicted} equals {@code actual} (same length, at least one). */
    public static double accuracy(int[] actual, int[] predicted) {
        sameLength("accuracy", actual.length, predicted.length);
        int hits = 0;
        for (int i = 0; i < actual.length; i++) if (actual[i] == predicted[i]) hits++;
        return (double) hits / actual.length;
    }

    /** Mean squared error {@code mean((actual - predicted)^2)}, in double. */
    public static double meanSquaredError(float[] actual, float[] predicted) {
        sameLength("meanSquaredError", actual.length, predicted.length);
        double s = 0;
        for (int i = 0; i < actual.length; i++) {
            double e = (double) actual[i] - predicted[i];
            s += e * e;
        }
        return s / actual.length;
    }

    /**
     * Coefficient of determination {@code 1 - SS_res / SS_tot} with SS_tot around the mean of {@code actual}:
     * 1 is perfect, 0 is no better than predicting the mean, negative is worse. Undefined (exception) when
     * {@code actual} is constant.
     */
    public static double r2(float[] actual, float[] predicted) {
        sameLength("r2", actual.length, predicted.length);
        double mean = 0;
        for (float v : actual) mean += v;
        mean /= actual.length;
        double res = 0, tot = 0;
        for (int i = 0; i < actual.length; i++) {
            double e = (double) actual[i] - predicted[i], c = actual[i] - mean;
            res += e * e;
            tot += c * c;
        }
        if (tot == 0) throw new IllegalArgumentException("r2: actual values are all equal (" + actual[0] + "), R² is undefined");
        return 1 - res / tot;
    }

    static void sameLength(String op, int a, int p) {
        if (a != p) throw new IllegalArgumentException(op + ": actual has " + a + " values, predicted " + p);
        if (a == 0) throw new IllegalArgumentException(op + ": no values");
    }
}

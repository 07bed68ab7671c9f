package io.tensorlane.layers.data;

/**
 * Maps each feature column linearly so that the training minimum goes to {@code lo} and the training
 * maximum to {@code hi} (default [0, 1]): {@code lo + (x - min) * (hi - lo) / (max - min)}. Fit on the
 * training rows only; test values outside the training range map outside [lo, hi] (not clipped).
 *
 * <p>A constant column (max == min in training) uses a range of 1, so its training value maps to
 * {@code lo} instead of dividing by 0 (as scikit-learn does).
 */
public final class MinMaxScaler {
    private final double lo, hi;
    private final double[] min;
    private final double[] range;

    private MinMaxScaler(double lo, double hi, double[] min, double[] range) {
        this.lo = lo;
        this.hi = hi;
        this.min = min;
        this.range = range;
    }

    /** Fits to [0, 1] on x (n, d) row-major. */
    public static MinMaxScaler fit(float[] x, int d) {
        return fit(x, d, 0, 1);
    }

    /** Fits to [lo, hi] (lo < hi, finite) on x (n, d) row-major; n >= 1; values must be finite. */
    public static MinMaxScaler fit(float[] x, int d, double lo, double hi) {
        if (!(lo < hi) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw new IllegalArgumentException("MinMaxScaler.fit: need finite lo < hi, got [" + lo + ", " + hi + "]");
        }
        int n = Shapes.rows("MinMaxScaler.fit", x, d);
        if (n == 0) throw new IllegalArgumentException("MinMaxScaler.fit: x has no rows (d=" + d + ")");
        double[] min = new double[d], max = new double[d];
        java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double v = x[i * d + j];
                if (!Double.isFinite(v)) throw new IllegalArgumentException("MinMaxScaler.fit: x[" + i + ", " + j + "] = " + v + " is not finite");
                min[j] = Math.min(min[j], v);
                max[j] = Math.max(max[j], v);
            }
        }
        double[] range = new double[d];
        for (int j = 0; j < d; j++) range[j] = max[j] > min[j] ? max[j] - min[j] : 1.0;
        return new MinMaxScaler(lo, hi, min, range);
    }

    /** Scales x (n, d) into a new array. */
    public float[] transform(float[] x) {
        int d = min.length;
        int n = Shapes.rows("MinMaxScaler.transform", x, d);
        float[] out = new float[x.length];
        double span = hi - lo;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) out[i * d + j] = (float) (lo + (x[i * d + j] - min[j]) / range[j] * span);
        }
        return out;
    }

    /** Undoes {@link #transform}. */
    public float[] inverseTransform(float[] z) {
        int d = min.length;
        int n = Shapes.rows("MinMaxScaler.inverseTransform", z, d);
        float[] out = new float[z.length];
        double span = hi - lo;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) out[i * d + j] = (float) ((z[i * d + j] - lo) / span * range[j] + min[j]);
        }
        return out;
    }

    public int features() { return min.length; }

    /** Per-column training minima (a copy). */
    public double[] min() { return min.clone(); }

    /** Per-column training ranges (a copy); 1 for a constant column. */
    public double[] range() { return range.clone(); }
}

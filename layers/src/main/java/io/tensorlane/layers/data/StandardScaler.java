package io.tensorlane.layers.data;

/**
 * Standardises each feature column to zero mean and unit variance: {@code (x - mean) / std}, with the mean
 * and the population standard deviation (divisor n, as scikit-learn) of the data passed to {@link #fit}.
 * Fit on the training rows only and transform train and test with the same statistics.
 *
 * <p>A column with zero variance in the training data (e.g. a digits border pixel that is always 0) gets
 * scale 1: it is centred to 0 rather than divided by 0, so it carries no signal but no NaN either
 * (scikit-learn does the same). Statistics are accumulated in double.
 */
public final class StandardScaler {
    private final double[] mean;
    private final double[] scale;

    private StandardScaler(double[] mean, double[] scale) {
        this.mean = mean;
        this.scale = scale;
    }

    /** Fits on x (n, d) row-major; n >= 1; values must be finite. */
    public static StandardScaler fit(float[] x, int d) {
        int n = Shapes.rows("StandardScaler.fit", x, d);
        if (n == 0) throw new IllegalArgumentException("StandardScaler.fit: x has no rows (d=" + d + ")");
        double[] mean = new double[d], m2 = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double v = x[i * d + j];
                if (!Double.isFinite(v)) throw new IllegalArgumentException("StandardScaler.fit: x[" + i + ", " + j + "] = " + v + " is not finite");
                mean[j] += v;
            }
        }
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double c = x[i * d + j] - mean[j];
                m2[j] += c * c;
            }
        }
        double[] scale = new double[d];
        for (int j = 0; j < d; j++) {
            double std = Math.sqrt(m2[j] / n);
            scale[j] = std > 0 ? std : 1.0;
        }
        return new StandardScaler(mean, scale);
    }

    /** {@code (x - mean) / scale} into a new array of x's shape (n, d). */
    public float[] transform(float[] x) {
        int d = mean.length;
        int n = Shapes.rows("StandardScaler.transform", x, d);
        float[] out = new float[x.length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) out[i * d + j] = (float) ((x[i * d + j] - mean[j]) / scale[j]);
        }
        return out;
    }

    /** {@code z * scale + mean}: undoes {@link #transform}. */
    public float[] inverseTransform(float[] z) {
        int d = mean.length;
        int n = Shapes.rows("StandardScaler.inverseTransform", z, d);
        float[] out = new float[z.length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) out[i * d + j] = (float) (z[i * d + j] * scale[j] + mean[j]);
        }
        return out;
    }

    /** Fits on {@code train}'s features and returns train and test transformed (a new split, same rows and rule). */
    public static DataSplit<LabeledData> standardize(DataSplit<LabeledData> split) {
        LabeledData tr = split.train();
        StandardScaler s = fit(tr.x(), tr.d());
        return new DataSplit<>(split.all(), tr.withFeatures(s.transform(tr.x()), tr.d(), tr.featureNames()),
                split.test().withFeatures(s.transform(split.test().x()), tr.d(), tr.featureNames()),
                split.trainRows(), split.testRows(), split.rule() + ", standardized on train");
    }

    public int features() { return mean.length; }

    /** Per-column means (a copy). */
    public double[] mean() { return mean.clone(); }

    /** Per-column divisors (a copy): the standard deviation, or 1 for a zero-variance column. */
    public double[] scale() { return scale.clone(); }
}

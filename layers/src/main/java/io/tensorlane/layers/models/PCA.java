package io.tensorlane.layers.models;

import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;

/**
 * Principal component analysis by a symmetric eigen decomposition of the covariance, in double.
 *
 * <pre>
 * mean = column means;  Xc = X - mean
 * scaled:  std = sqrt(mean(Xc^2)) per column (population, divisor n);  Xs = Xc / std     else Xs = Xc
 * Cov = Xs^T Xs / (n - 1)
 * components (d, d) = eigenvectors of Cov as COLUMNS, by decreasing eigenvalue, each with its
 *                     largest-magnitude entry positive
 * explained variance = the eigenvalues;  ratio = ev / sum(ev)
 * transform:          Z (n, k) = Xs @ components[:, :k]
 * inverseTransform:   X (n, d) = (Z @ components[:, :k]^T) [* std] + mean
 * </pre>
 *
 * <p>These are the semantics of the reference corpus's {@code pca} cases (and scikit-learn's PCA up to the
 * sign rule). With {@code scaled}, a column of zero variance gets std 1 (it is only centred), as in
 * {@link io.tensorlane.layers.data.StandardScaler}; {@link #std()} reports the 1. The projections run as
 * float32 matmuls through {@link Ops}.
 */
public final class PCA {
    private final Ops ops;
    private final int d;
    private final boolean scaled;
    private final double[] mean, std;
    private final double[] components; // d x d, columns
    private final double[] variance, ratio;

    private PCA(Ops ops, int d, boolean scaled, double[] mean, double[] std, double[] components, double[] variance) {
        this.ops = ops;
        this.d = d;
        this.scaled = scaled;
        this.mean = mean;
        this.std = std;
        this.components = components;
        this.variance = variance;
        double total = 0;
        for (double v : variance) total += Math.max(0, v);
        this.ratio = new double[d];
        // Rounding can leave eigenvalues of a singular covariance at -1e-17: they explain nothing.
        for (int k = 0; k < d; k++) ratio[k] = total > 0 ? Math.max(0, variance[k]) / total : 0;
    }

    /** Fits on x (n, d) row-major, n >= 2, on the CPU. */
    public static PCA fit(float[] x, int d, boolean scaled) {
        return fit(Ops.on(Device.cpu()), x, d, scaled);
    }

    /** Fits on x (n, d) row-major, n >= 2; later projections run on {@code ops}. */
    public static PCA fit(Ops ops, float[] x, int d, boolean scaled) {
        int n = DesignMatrix.rows("PCA.fit", x, d);
        if (n < 2) throw new IllegalArgumentException("PCA.fit: need at least 2 rows for a covariance, got x=[" + n + ", " + d + "]");
        double[] mean = new double[d], std = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += x[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        double[] xs = new double[n * d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) xs[i * d + j] = x[i * d + j] - mean[j];
        if (scaled) {
            for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) std[j] += xs[i * d + j] * xs[i * d + j];
            for (int j = 0; j < d; j++) {
                std[j] = Math.sqrt(std[j] / n);
                if (!(std[j] > 0)) std[j] = 1;
            }
            for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) xs[i * d + j] /= std[j];
        } else {
            java.util.Arrays.fill(std, 1);
        }
        double[] cov = new double[d * d];
        for (int i = 0; i < n; i++) {
            for (int a = 0; a < d; a++) {
                double xa = xs[i * d + a];
                if (xa == 0) continue;
                for (int b = 0; b <= a; b++) cov[a * d + b] += xa * xs[i * d + b];
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = 0; b <= a; b++) {
                cov[a * d + b] /= (n - 1);
                cov[b * d + a] = cov[a * d + b];
            }
        }
        SymmetricEigen eig = SymmetricEigen.of(cov, d);
        return new PCA(ops, d, scaled, mean, std, eig.vectors(), eig.values());
    }

    /** Projects x (n, d) onto the first k components: Z (n, k). */
    public float[] transform(float[] x, int k) {
        int n = DesignMatrix.rows("PCA.transform", x, d);
        checkK("PCA.transform", k);
        float[] xs = new float[x.length];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) xs[i * d + j] = (float) ((x[i * d + j] - mean[j]) / std[j]);
        return ops.matmul(Tensor.copyOf(xs, n, d), Tensor.copyOf(firstComponents(k), d, k)).toFloatArray();
    }

    /** Maps Z (n, k) back to feature space: (n, d), the best rank-k reconstruction of the data. */
    public float[] inverseTransform(float[] z, int k) {
        checkK("PCA.inverseTransform", k);
        int n = DesignMatrix.rows("PCA.inverseTransform", z, k);
        float[] xr = ops.matmul(Tensor.copyOf(z, n, k), Tensor.copyOf(firstComponents(k), d, k).transpose(0, 1)).toFloatArray();
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) xr[i * d + j] = (float) (xr[i * d + j] * std[j] + mean[j]);
        return xr;
    }

    private float[] firstComponents(int k) {
        float[] c = new float[d * k];
        for (int i = 0; i < d; i++) for (int j = 0; j < k; j++) c[i * k + j] = (float) components[i * d + j];
        return c;
    }

    private void checkK(String op, int k) {
        if (k < 1 || k > d) throw new IllegalArgumentException(op + ": k = " + k + " components, need 1 <= k <= d = " + d);
    }

    /** The smallest k whose components together explain at least {@code fraction} (0..1] of the variance. */
    public int componentsFor(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("PCA.componentsFor: fraction must be in (0, 1], got " + fraction);
        double sum = 0;
        for (int k = 0; k < d; k++) {
            sum += ratio[k];
            if (sum >= fraction - 1e-12) return k + 1;
        }
        return d;
    }

    /** The fraction of the variance explained by the first k components. */
    public double cumulativeRatio(int k) {
        checkK("PCA.cumulativeRatio", k);
        double s = 0;
        for (int i = 0; i < k; i++) s += ratio[i];
        return s;
    }

    public int features() { return d; }

    public boolean scaled() { return scaled; }

    /** Column means (a copy). */
    public double[] mean() { return mean.clone(); }

    /** Column divisors (a copy): population std when scaled (1 for a constant column), all 1 when not. */
    public double[] std() { return std.clone(); }

    /** The components as the columns of a row-major (d, d) matrix (a copy). */
    public double[] components() { return components.clone(); }

    /** Variance along each component, decreasing (a copy). */
    public double[] explainedVariance() { return variance.clone(); }

    /** {@link #explainedVariance()} over its sum (a copy). */
    public double[] explainedVarianceRatio() { return ratio.clone(); }
}

package io.tensorlane.layers.models;

/**
 * Solves symmetric positive definite systems {@code A x = b} in double by the Cholesky factorisation
 * {@code A = L L^T}. A matrix that is singular or not positive definite to working precision (a pivot at or
 * below {@code 1e-12} of its original diagonal entry) is reported with the column where the factorisation
 * broke down, instead of returning a meaningless solution.
 */
public final class Cholesky {
    /** Relative pivot threshold: below it column j is numerically a combination of the columns before it. */
    static final double RELATIVE_PIVOT = 1e-12;

    private final int n;
    private final double[] l; // lower triangle, row-major n x n

    private Cholesky(int n, double[] l) {
        this.n = n;
        this.l = l;
    }

    /**
     * Factors the symmetric n x n row-major {@code a} (only the lower triangle is read).
     *
     * @param op names the caller in the error message
     * @throws IllegalArgumentException if {@code a} is not (numerically) positive definite; the message names
     *                                  the first failing column
     */
    public static Cholesky factor(double[] a, int n, String op) {
        if (n <= 0 || a.length != (long) n * n) {
            throw new IllegalArgumentException(op + ": matrix has " + a.length + " values, not n*n for n=" + n);
        }
        double[] l = new double[n * n];
        for (int j = 0; j < n; j++) {
            double diag = a[j * n + j];
            double s = diag;
            for (int k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
            if (!(s > RELATIVE_PIVOT * Math.abs(diag)) || !(s > 0) || !Double.isFinite(s)) {
                throw new SingularMatrixException(op + ": matrix is singular or not positive definite at column " + j
                        + " (pivot " + s + " vs diagonal " + diag + "): that column is constant or a linear combination of the"
                        + " columns before it", j);
            }
            double ljj = Math.sqrt(s);
            l[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double t = a[i * n + j];
                for (int k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = t / ljj;
            }
        }
        return new Cholesky(n, l);
    }

    /** Solves {@code A x = b} for one right-hand side of length n; returns x. */
    public double[] solve(double[] b) {
        if (b.length != n) throw new IllegalArgumentException("cholesky solve: b has " + b.length + " values, matrix is " + n + "x" + n);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) { // L y = b
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i * n + k] * y[k];
            y[i] = s / l[i * n + i];
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) { // L^T x = y
            double s = y[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
            x[i] = s / l[i * n + i];
        }
        return x;
    }

    public int size() {
        return n;
    }
}

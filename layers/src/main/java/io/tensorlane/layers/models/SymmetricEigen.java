package io.tensorlane.layers.models;

/**
 * Eigen decomposition of a real symmetric matrix in double by the cyclic Jacobi method: plane rotations
 * zero each off-diagonal entry in turn until the off-diagonal mass is negligible. Slower than tridiagonal QR
 * for large n but simple, unconditionally stable and accurate to working precision in every eigenvalue,
 * which is what PCA on tens to hundreds of features needs.
 *
 * <p>Results are sorted by decreasing eigenvalue; eigenvector k is column k of {@link #vectors()} (row-major
 * n x n), normalised, with the sign chosen so that its largest-magnitude entry is positive (the first such
 * entry on ties), which makes the output unique for distinct eigenvalues.
 */
public final class SymmetricEigen {
    private static final int MAX_SWEEPS = 100;

    private final int n;
    private final double[] values;
    private final double[] vectors;

    private SymmetricEigen(int n, double[] values, double[] vectors) {
        this.n = n;
        this.values = values;
        this.vectors = vectors;
    }

    /** Decomposes the symmetric n x n row-major {@code a} (not modified; symmetry is checked). */
    public static SymmetricEigen of(double[] a, int n) {
        if (n <= 0 || a.length != (long) n * n) {
            throw new IllegalArgumentException("eigen: matrix has " + a.length + " values, not n*n for n=" + n);
        }
        double scale = 0;
        for (double v : a) {
            if (!Double.isFinite(v)) throw new IllegalArgumentException("eigen: matrix has a non-finite entry " + v);
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                if (Math.abs(a[i * n + j] - a[j * n + i]) > 1e-12 * scale) {
                    throw new IllegalArgumentException("eigen: matrix is not symmetric at (" + i + ", " + j + "): "
                            + a[i * n + j] + " vs " + a[j * n + i]);
                }
            }
        }
        double[] m = a.clone();
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        int sweep = 0;
        while (true) {
            double off = 0, diag = 0;
            for (int i = 0; i < n; i++) {
                diag += m[i * n + i] * m[i * n + i];
                for (int j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
            }
            if (off <= 1e-30 * diag || off == 0) break;
            if (++sweep > MAX_SWEEPS) throw new IllegalStateException("eigen: Jacobi did not converge in " + MAX_SWEEPS + " sweeps (n=" + n + ")");
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = m[p * n + q];
                    if (apq == 0) continue;
                    double theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
                    // The smaller root of t^2 + 2 theta t - 1 = 0: the rotation by at most 45 degrees.
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    rotate(m, v, n, p, q, c, s);
                }
            }
        }
        return sorted(n, m, v);
    }

    /** m = J^T m J and v = v J for the rotation J in the (p, q) plane with J_pp = J_qq = c, J_pq = s, J_qp = -s. */
    private static void rotate(double[] m, double[] v, int n, int p, int q, double c, double s) {
        for (int k = 0; k < n; k++) { // columns p, q of m J
            double kp = m[k * n + p], kq = m[k * n + q];
            m[k * n + p] = c * kp - s * kq;
            m[k * n + q] = s * kp + c * kq;
        }
        for (int k = 0; k < n; k++) { // rows p, q of J^T (m J)
            double pk = m[p * n + k], qk = m[q * n + k];
            m[p * n + k] = c * pk - s * qk;
            m[q * n + k] = s * pk + c * qk;
        }
        m[p * n + q] = 0; // zero by construction; drop the rounding residue
        m[q * n + p] = 0;
        for (int k = 0; k < n; k++) {
            double kp = v[k * n + p], kq = v[k * n + q];
            v[k * n + p] = c * kp - s * kq;
            v[k * n + q] = s * kp + c * kq;
        }
    }

    private static SymmetricEigen sorted(int n, double[] m, double[] v) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(m[y * n + y], m[x * n + x]));
        double[] values = new double[n], vectors = new double[n * n];
        for (int k = 0; k < n; k++) {
            int src = order[k];
            values[k] = m[src * n + src];
            int big = 0;
            for (int i = 1; i < n; i++) if (Math.abs(v[i * n + src]) > Math.abs(v[big * n + src])) big = i;
            double sign = v[big * n + src] < 0 ? -1 : 1;
            for (int i = 0; i < n; i++) vectors[i * n + k] = sign * v[i * n + src];
        }
        return new SymmetricEigen(n, values, vectors);
    }

    public int size() {
        return n;
    }

    /** Eigenvalues, decreasing (a copy). */
    public double[] values() {
        return values.clone();
    }

    /** Eigenvectors as the columns of a row-major n x n matrix, in the order of {@link #values()} (a copy). */
    public double[] vectors() {
        return vectors.clone();
    }
}

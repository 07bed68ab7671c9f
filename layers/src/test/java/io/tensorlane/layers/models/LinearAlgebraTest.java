package io.tensorlane.layers.models;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearAlgebraTest {
    static double[] randomSpd(Random r, int n) {
        double[] b = new double[n * n];
        for (int i = 0; i < b.length; i++) b[i] = r.nextGaussian();
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = i == j ? 0.1 : 0;
                for (int k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
                a[i * n + j] = s;
            }
        }
        return a;
    }

    @Test
    void choleskySolvesRandomSpdSystems() {
        Random r = new Random(11);
        for (int n : new int[] {1, 2, 3, 7, 20}) {
            double[] a = randomSpd(r, n), x = new double[n];
            for (int i = 0; i < n; i++) x[i] = r.nextGaussian();
            double[] b = new double[n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) b[i] += a[i * n + j] * x[j];
            double[] got = Cholesky.factor(a, n, "test").solve(b);
            for (int i = 0; i < n; i++) assertEquals(x[i], got[i], 1e-8 * (1 + Math.abs(x[i])), "n=" + n);
        }
    }

    @Test
    void choleskyNamesTheDependentColumn() {
        // column 2 = column 0 + column 1 in a Gram matrix
        double[][] v = {{1, 0, 1}, {0, 1, 1}, {2, 3, 5}, {1, 1, 2}};
        double[] a = new double[9];
        for (double[] row : v) for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) a[i * 3 + j] += row[i] * row[j];
        SingularMatrixException e = assertThrows(SingularMatrixException.class, () -> Cholesky.factor(a, 3, "gram"));
        assertEquals(2, e.column());
        assertTrue(e.getMessage().startsWith("gram: matrix is singular"), e.getMessage());
        assertThrows(SingularMatrixException.class, () -> Cholesky.factor(new double[] {1, 2, 2, 1}, 2, "indefinite"));
        assertThrows(IllegalArgumentException.class, () -> Cholesky.factor(new double[3], 2, "shape"));
    }

    @Test
    void jacobiEigenpairsAreOrthonormalSortedAndSignNormalised() {
        Random r = new Random(5);
        for (int n : new int[] {1, 2, 5, 16, 40}) {
            double[] a = randomSpd(r, n);
            for (int i = 0; i < n; i++) a[i * n + i] -= 3; // indefinite too
            SymmetricEigen e = SymmetricEigen.of(a, n);
            double[] l = e.values(), v = e.vectors();
            double scale = 0;
            for (double x : a) scale = Math.max(scale, Math.abs(x));
            for (int k = 0; k < n; k++) {
                if (k > 0) assertTrue(l[k - 1] >= l[k]);
                int big = 0;
                for (int i = 0; i < n; i++) {
                    double av = 0;
                    for (int j = 0; j < n; j++) av += a[i * n + j] * v[j * n + k];
                    assertEquals(l[k] * v[i * n + k], av, 1e-10 * scale, "A v = l v, n=" + n);
                    if (Math.abs(v[i * n + k]) > Math.abs(v[big * n + k])) big = i;
                }
                assertTrue(v[big * n + k] > 0);
                for (int m = 0; m < n; m++) {
                    double dot = 0;
                    for (int i = 0; i < n; i++) dot += v[i * n + k] * v[i * n + m];
                    assertEquals(k == m ? 1 : 0, dot, 1e-12);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[] {1, 2, 3, 4}, 2));
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[] {Double.NaN}, 1));
    }

    @Test
    void diagonalAndRepeatedEigenvalues() {
        SymmetricEigen e = SymmetricEigen.of(new double[] {1, 0, 0, 0, 3, 0, 0, 0, 2}, 3);
        assertArrayEquals(new double[] {3, 2, 1}, e.values(), 0);
        assertArrayEquals(new double[] {0, 0, 1, 1, 0, 0, 0, 1, 0}, e.vectors(), 0);
        SymmetricEigen id = SymmetricEigen.of(new double[] {2, 0, 0, 2}, 2);
        assertArrayEquals(new double[] {2, 2}, id.values(), 0);
    }
}

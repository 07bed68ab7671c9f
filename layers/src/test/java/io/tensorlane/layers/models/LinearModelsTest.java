package io.tensorlane.layers.models;

import static org.junit.jupiter.api.Assertions.*;

import io.tensorlane.layers.data.DataSplit;
import io.tensorlane.layers.data.Datasets;
import io.tensorlane.layers.data.LabeledData;
import io.tensorlane.layers.data.RegressionData;
import io.tensorlane.layers.data.StandardScaler;
import io.tensorlane.layers.metrics.ConfusionMatrix;
import io.tensorlane.layers.metrics.Metrics;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearModelsTest {
    @Test
    void diabetesNormalEquationReachesTestR2() {
        DataSplit<RegressionData> s = Datasets.diabetes();
        LinearRegression m = LinearRegression.fitNormalEquation(s.train().x(), s.train().y(), 10, 0);
        double r2 = Metrics.r2(s.test().y(), m.predict(s.test().x()));
        System.out.printf("diabetes linear regression (normal equation): test R2 = %.4f, train R2 = %.4f%n", r2,
                Metrics.r2(s.train().y(), m.predict(s.train().x())));
        assertTrue(r2 >= 0.40, "test R2 " + r2);
    }

    /** mean((y - pred)^2) + l2 ||w||^2 in double: the objective both solvers minimise. */
    static double objective(LinearRegression m, float[] x, float[] y, double l2) {
        float[] p = m.predict(x);
        double o = Metrics.meanSquaredError(y, p);
        for (double w : m.weights()) o += l2 * w * w;
        return o;
    }

    @Test
    void gradientDescentReachesTheNormalEquationsOptimum() {
        DataSplit<RegressionData> s = Datasets.diabetes();
        StandardScaler sc = StandardScaler.fit(s.train().x(), 10);
        float[] xtr = sc.transform(s.train().x()), xte = sc.transform(s.test().x());
        for (double l2 : new double[] {0}) {
            LinearRegression exact = LinearRegression.fitNormalEquation(xtr, s.train().y(), 10, l2);
            LinearRegression gd = LinearRegression.fitGradientDescent(xtr, s.train().y(), 10, new GradientDescent(0.2, 1000, l2, 0));
            double[] h = gd.lossHistory();
            assertEquals(1000, h.length);
            for (int i = 1; i < h.length; i++) assertTrue(h[i] <= h[i - 1] + 1e-3, "loss never rises: " + i);
            double r2 = Metrics.r2(s.test().y(), gd.predict(xte));
            double oe = objective(exact, xtr, s.train().y(), l2), og = objective(gd, xtr, s.train().y(), l2);
            System.out.printf("diabetes linear regression (gradient descent, l2=%s): test R2 = %.4f, objective %.3f vs exact %.3f%n", l2, r2, og, oe);
            assertTrue(r2 >= 0.40, "test R2 " + r2);
            // s1..s4 are nearly collinear, so individual weights converge slowly; the objective does not.
            assertTrue(og >= oe * (1 - 1e-6), "the normal equation is the optimum");
            assertEquals(oe, og, 2e-3 * oe);
            assertEquals(exact.bias(), gd.bias(), 0.05);
        }
        // with a strong penalty the problem is well conditioned and the weights themselves agree
        LinearRegression exact = LinearRegression.fitNormalEquation(xtr, s.train().y(), 10, 0.5);
        LinearRegression gd = LinearRegression.fitGradientDescent(xtr, s.train().y(), 10, new GradientDescent(0.2, 300, 0.5, 0));
        assertArrayEquals(exact.weights(), gd.weights(), 1e-2);
    }

    @Test
    void exactRecoveryAndSingularDesign() {
        Random r = new Random(9);
        int n = 40, d = 3;
        float[] x = new float[n * d], y = new float[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) x[i * d + j] = (float) r.nextGaussian();
            y[i] = 2 * x[i * d] - 3 * x[i * d + 1] + 0.5f * x[i * d + 2] + 4;
        }
        LinearRegression m = LinearRegression.fitNormalEquation(x, y, d, 0);
        assertArrayEquals(new double[] {2, -3, 0.5}, m.weights(), 1e-5);
        assertEquals(4, m.bias(), 1e-5);
        for (int i = 0; i < n; i++) x[i * d + 2] = x[i * d] + x[i * d + 1]; // dependent column
        SingularMatrixException e = assertThrows(SingularMatrixException.class, () -> LinearRegression.fitNormalEquation(x, y, d, 0));
        assertEquals(2, e.column());
        assertTrue(e.getMessage().contains("feature 2") && e.getMessage().contains("l2"), e.getMessage());
        LinearRegression.fitNormalEquation(x, y, d, 1e-3); // a penalty makes it solvable
        assertThrows(IllegalArgumentException.class, () -> LinearRegression.fitNormalEquation(x, new float[3], d, 0));
        assertThrows(IllegalStateException.class, () -> LinearRegression.fitGradientDescent(x, y, d, new GradientDescent(1e6, 200)));
    }

    @Test
    void breastCancerLogisticRegressionStandardized() {
        DataSplit<LabeledData> s = StandardScaler.standardize(Datasets.breastCancer());
        LogisticRegression gd = LogisticRegression.fitGradientDescent(s.train().x(), s.train().y(), 30, new GradientDescent(0.5, 500));
        int[] pred = gd.predict(s.test().x());
        ConfusionMatrix cm = ConfusionMatrix.of(s.test().y(), pred, s.test().classNames());
        System.out.println("breast cancer logistic regression (gradient descent), test:\n" + cm.toTable());
        assertTrue(cm.accuracy() >= 0.95, "test accuracy " + cm.accuracy());
        double[] h = gd.lossHistory();
        assertTrue(h[h.length - 1] < 0.15 && h[0] > 0.69, h[0] + " -> " + h[h.length - 1]);

        LogisticRegression newton = LogisticRegression.fitNewton(s.train().x(), s.train().y(), 30, 1e-3, 50);
        double acc = Metrics.accuracy(s.test().y(), newton.predict(s.test().x()));
        System.out.printf("breast cancer logistic regression (Newton, l2=1e-3): test accuracy %.4f in %d iterations%n", acc, newton.lossHistory().length);
        assertTrue(acc >= 0.95, "newton test accuracy " + acc);
        assertTrue(newton.lossHistory().length < 50, "Newton converges");
        // Newton reaches the optimum of the same penalised objective that gradient descent approaches
        LogisticRegression gdL2 = LogisticRegression.fitGradientDescent(s.train().x(), s.train().y(), 30, new GradientDescent(0.5, 500, 1e-3, 0));
        double[] hn = newton.lossHistory(), hg = gdL2.lossHistory();
        System.out.printf("penalised objective: Newton %.6f, gradient descent %.6f%n", hn[hn.length - 1], hg[hg.length - 1]);
        assertTrue(hn[hn.length - 1] <= hg[hg.length - 1] + 1e-6);
        assertEquals(hn[hn.length - 1], hg[hg.length - 1], 0.01);
        assertThrows(IllegalArgumentException.class, () -> LogisticRegression.fitNewton(s.train().x(), new int[456], 30, -1, 10));
        int[] bad = s.train().y().clone();
        bad[3] = 2;
        assertThrows(IllegalArgumentException.class, () -> LogisticRegression.fitGradientDescent(s.train().x(), bad, 30, new GradientDescent(0.1, 1)));
    }

    @Test
    void digitsSoftmaxClassifier() {
        DataSplit<LabeledData> s = Datasets.digits();
        float[] xtr = scaled(s.train().x()), xte = scaled(s.test().x());
        SoftmaxClassifier m = SoftmaxClassifier.fit(xtr, s.train().y(), 64, 10, new GradientDescent(4.0, 200, 1e-4, 0));
        double acc = Metrics.accuracy(s.test().y(), m.predict(xte));
        double train = Metrics.accuracy(s.train().y(), m.predict(xtr));
        System.out.printf("digits softmax classifier: test accuracy %.4f, train %.4f%n", acc, train);
        assertTrue(acc >= 0.90, "test accuracy " + acc);
        float[] p = m.predictProbabilities(xte);
        for (int i = 0; i < 360; i++) {
            double sum = 0;
            for (int c = 0; c < 10; c++) sum += p[i * 10 + c];
            assertEquals(1, sum, 1e-5);
        }
    }

    static float[] scaled(float[] x) {
        float[] o = new float[x.length];
        for (int i = 0; i < x.length; i++) o[i] = x[i] / 16f;
        return o;
    }
}

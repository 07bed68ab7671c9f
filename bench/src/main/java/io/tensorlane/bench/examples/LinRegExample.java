package io.tensorlane.bench.examples;

import io.tensorlane.layers.data.DataSplit;
import io.tensorlane.layers.data.Datasets;
import io.tensorlane.layers.data.RegressionData;
import io.tensorlane.layers.data.StandardScaler;
import io.tensorlane.layers.metrics.Metrics;
import io.tensorlane.layers.models.GradientDescent;
import io.tensorlane.layers.models.LinearRegression;
import io.tensorlane.runtime.Ops;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/** Linear regression on the diabetes data: the normal equation, and gradient descent on standardised features. */
final class LinRegExample implements Example {
    @Override public String name() { return "linreg"; }

    @Override public String summary() { return "linear regression on diabetes (normal equation + gradient descent), test R2 >= 0.40"; }

    @Override public int defaultEpochs() { return 1000; }

    @Override
    public Outcome run(int epochs, long seed, Ops ops, Path outDir, PrintWriter out) {
        DataSplit<RegressionData> s = Datasets.diabetes();
        RegressionData tr = s.train(), te = s.test();
        out.printf(Locale.ROOT, "diabetes: %d training rows, %d test rows (%s), %d features%n", tr.n(), te.n(), s.rule(), tr.d());
        LinearRegression exact = LinearRegression.fitNormalEquation(tr.x(), tr.y(), tr.d(), 0);
        double r2Exact = Metrics.r2(te.y(), exact.predict(te.x()));
        out.printf(Locale.ROOT, "normal equation:  test R2 %.4f, train R2 %.4f%n", r2Exact, Metrics.r2(tr.y(), exact.predict(tr.x())));
        double[] w = exact.weights();
        for (int j = 0; j < w.length; j++) out.printf(Locale.ROOT, "  %-4s %10.3f%n", tr.featureNames().get(j), w[j]);
        out.printf(Locale.ROOT, "  bias %10.3f%n", exact.bias());

        StandardScaler sc = StandardScaler.fit(tr.x(), tr.d()); // fitted on the training rows only
        LinearRegression gd = LinearRegression.fitGradientDescent(ops, sc.transform(tr.x()), tr.y(), tr.d(), new GradientDescent(0.2, epochs));
        double r2Gd = Metrics.r2(te.y(), gd.predict(sc.transform(te.x())));
        double[] h = gd.lossHistory();
        out.printf(Locale.ROOT, "gradient descent (%d iterations, standardised): training MSE %.1f -> %.1f, test R2 %.4f%n",
                epochs, h[0], h[h.length - 1], r2Gd);
        out.flush();
        return Outcome.atLeast("test R2 (normal equation)", r2Exact, 0.40);
    }
}

package io.tensorlane.bench.examples;

import io.tensorlane.layers.data.DataSplit;
import io.tensorlane.layers.data.Datasets;
import io.tensorlane.layers.data.LabeledData;
import io.tensorlane.layers.data.StandardScaler;
import io.tensorlane.layers.metrics.ConfusionMatrix;
import io.tensorlane.layers.models.GradientDescent;
import io.tensorlane.layers.models.LogisticRegression;
import io.tensorlane.runtime.Ops;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/** Logistic regression on the breast-cancer data, standardised with the training statistics. */
final class LogRegExample implements Example {
    @Override public String name() { return "logreg"; }

    @Override public String summary() { return "logistic regression on breast cancer (standardised, gradient descent), test accuracy >= 0.95"; }

    @Override public int defaultEpochs() { return 500; }

    @Override
    public Outcome run(int epochs, long seed, Ops ops, Path outDir, PrintWriter out) throws Exception {
        DataSplit<LabeledData> s = StandardScaler.standardize(Datasets.breastCancer());
        LabeledData tr = s.train(), te = s.test();
        out.printf(Locale.ROOT, "breast cancer: %d training rows, %d test rows (%s), %d features, classes %s%n",
                tr.n(), te.n(), s.rule(), tr.d(), tr.classNames());
        LogisticRegression m = LogisticRegression.fitGradientDescent(ops, tr.x(), tr.y(), tr.d(), new GradientDescent(0.5, epochs));
        double[] h = m.lossHistory();
        out.printf(Locale.ROOT, "gradient descent, %d iterations: training log-loss %.4f -> %.4f%n", epochs, h[0], h[h.length - 1]);
        ConfusionMatrix cm = ConfusionMatrix.of(te.y(), m.predict(te.x()), te.classNames());
        out.println("test set:");
        out.print(cm.toTable());
        Path png = outDir.resolve("logreg-confusion.png");
        cm.writePng(png, "breast cancer, logistic regression (test)");
        out.println("wrote " + png);
        out.flush();
        return Outcome.atLeast("test accuracy", cm.accuracy(), 0.95);
    }
}

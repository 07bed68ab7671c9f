package io.tensorlane.bench.examples;

import io.tensorlane.layers.data.DataSplit;
import io.tensorlane.layers.data.Datasets;
import io.tensorlane.layers.data.LabeledData;
import io.tensorlane.layers.metrics.Metrics;
import io.tensorlane.layers.models.PCA;
import io.tensorlane.runtime.Ops;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/** Principal components of the digits: how many keep 90% of the variance, and what projecting onto them loses. */
final class PcaExample implements Example {
    @Override public String name() { return "pca"; }

    @Override public String summary() { return "PCA of the 8x8 digits: components for 90% of the variance (<= 30)"; }

    @Override public int defaultEpochs() { return 1; }

    @Override
    public Outcome run(int epochs, long seed, Ops ops, Path outDir, PrintWriter out) {
        DataSplit<LabeledData> s = Datasets.digits();
        LabeledData tr = s.train(), te = s.test();
        PCA pca = PCA.fit(ops, tr.x(), tr.d(), false);
        out.printf(Locale.ROOT, "digits: PCA fitted on %d training images of %d pixels%n", tr.n(), tr.d());
        double[] ratio = pca.explainedVarianceRatio();
        out.println("component  explained  cumulative");
        for (int k = 0; k < 10; k++) out.printf(Locale.ROOT, "%9d  %9.4f  %10.4f%n", k + 1, ratio[k], pca.cumulativeRatio(k + 1));
        int k90 = pca.componentsFor(0.90);
        out.printf(Locale.ROOT, "%d components keep %.1f%% of the variance (90%% asked)%n", k90, 100 * pca.cumulativeRatio(k90));
        for (int k : new int[] {2, 10, k90, 64}) {
            float[] back = pca.inverseTransform(pca.transform(te.x(), k), k);
            out.printf(Locale.ROOT, "  %2d components: test reconstruction MSE %.4f (pixels 0..16)%n", k, Metrics.meanSquaredError(te.x(), back));
        }
        out.flush();
        return Outcome.atMost("components for 90% variance", k90, 30);
    }
}

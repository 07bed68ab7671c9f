package io.tensorlane.layers.solver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** A PNG of training curves (XChart): loss per iteration on the left, accuracy per epoch on the right. */
public final class TrainingChart {
    private TrainingChart() {
    }

    /**
     * Writes {@code png}: the loss of every step and, per epoch, train and validation accuracy (or,
     * for regression, the validation loss: pass NaN train accuracies).
     */
    public static void write(Path png, List<Double> loss, List<Double> trainAcc, List<Double> valMetric) throws IOException {
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
        XYChart l = new XYChartBuilder().width(640).height(420).title("Training loss").xAxisTitle("iteration").yAxisTitle("loss").build();
        l.getStyler().setLegendVisible(false);
        l.getStyler().setMarkerSize(0);
        l.addSeries("loss", range(1, loss.size()), orZero(loss)).setMarker(SeriesMarkers.NONE);
        boolean classification = trainAcc.stream().noneMatch(d -> d.isNaN());
        XYChart a = new XYChartBuilder().width(640).height(420).title(classification ? "Accuracy" : "Validation loss")
                .xAxisTitle("epoch").yAxisTitle(classification ? "accuracy" : "loss").build();
        if (classification) a.addSeries("train", range(1, trainAcc.size()), orZero(trainAcc));
        a.addSeries(classification ? "validation" : "val loss", range(1, valMetric.size()), orZero(valMetric));
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        // XChart appends ".png" to the name it is given: hand it the name without one.
        String name = png.toString();
        if (name.toLowerCase().endsWith(".png")) name = name.substring(0, name.length() - 4);
        BitmapEncoder.saveBitmap(List.of(l, a), 1, 2, name, BitmapEncoder.BitmapFormat.PNG);
    }

    private static List<Double> range(int from, int n) {
        List<Double> x = new ArrayList<>(Math.max(n, 1));
        for (int i = 0; i < n; i++) x.add((double) (from + i));
        if (n == 0) x.add(0.0);
        return x;
    }

    /** XChart rejects empty series and non-finite values. */
    private static List<Double> orZero(List<Double> v) {
        List<Double> out = new ArrayList<>(Math.max(v.size(), 1));
        for (Double d : v) out.add(d == null || !Double.isFinite(d) ? 0.0 : d);
        if (out.isEmpty()) out.add(0.0);
        return out;
    }
}

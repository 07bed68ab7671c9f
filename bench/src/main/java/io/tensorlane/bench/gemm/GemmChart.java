package io.tensorlane.bench.gemm;

import io.tensorlane.bench.harness.BenchRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/** {@code bench gemm --chart}: GFLOP/s per shape, one bar series per implementation (XChart, PNG). */
final class GemmChart {
    private GemmChart() {
    }

    static void write(Path file, List<BenchRow> rows, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<String> shapes = new ArrayList<>(new LinkedHashSet<>(rows.stream().map(BenchRow::shape).toList()));
        Map<String, double[]> series = new LinkedHashMap<>();
        for (BenchRow r : rows) {
            double[] v = series.computeIfAbsent(r.impl(), i -> new double[shapes.size()]);
            v[shapes.indexOf(r.shape())] = r.gflops() == null ? 0 : r.gflops();
        }
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(900, 110 * shapes.size())).height(520)
                .title(title).xAxisTitle("shape MxNxK").yAxisTitle("GFLOP/s").build();
        chart.getStyler().setXAxisLabelRotation(30);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            List<Double> ys = new ArrayList<>();
            for (double d : e.getValue()) ys.add(d);
            chart.addSeries(e.getKey(), shapes, ys);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}

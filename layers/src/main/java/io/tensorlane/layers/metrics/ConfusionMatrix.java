package io.tensorlane.layers.metrics;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;

/**
 * Counts of (actual, predicted) class pairs, and the classification metrics derived from them: accuracy,
 * per-class precision, recall and F1, and their macro averages (unweighted means over classes).
 *
 * <p>Where a ratio has a zero denominator (a class never predicted has no precision; a class absent from
 * the truth has no recall) it is defined as 0, as scikit-learn does with {@code zero_division=0}; F1 is 0
 * when precision + recall is 0.
 */
public final class ConfusionMatrix {
    private final int classes;
    private final long[] counts; // [actual * classes + predicted]
    private final List<String> names;

    private ConfusionMatrix(int classes, long[] counts, List<String> names) {
        this.classes = classes;
        this.counts = counts;
        this.names = names;
    }

    /** Counts the pairs, classes named "0", "1", ... */
    public static ConfusionMatrix of(int[] actual, int[] predicted, int classes) {
        return of(actual, predicted, IntStream.range(0, Math.max(classes, 0)).mapToObj(Integer::toString).toList());
    }

    /** Counts the pairs; labels must lie in {@code [0, names.size())}. */
    public static ConfusionMatrix of(int[] actual, int[] predicted, List<String> names) {
        Objects.requireNonNull(actual, "actual");
        Objects.requireNonNull(predicted, "predicted");
        int classes = names.size();
        if (classes < 1) throw new IllegalArgumentException("confusion matrix: need at least one class");
        Metrics.sameLength("confusion matrix", actual.length, predicted.length);
        long[] counts = new long[classes * classes];
        for (int i = 0; i < actual.length; i++) {
            int a = actual[i], p = predicted[i];
            if (a < 0 || a >= classes) throw new IllegalArgumentException("confusion matrix: actual[" + i + "] = " + a + " not in [0, " + classes + ")");
            if (p < 0 || p >= classes) throw new IllegalArgumentException("confusion matrix: predicted[" + i + "] = " + p + " not in [0, " + classes + ")");
            counts[a * classes + p]++;
        }
        return new ConfusionMatrix(classes, counts, List.copyOf(names));
    }

    public int classes() { return classes; }

    public List<String> names() { return names; }

    /** Samples of class {@code actual} predicted as {@code predicted}. */
    public long count(int actual, int predicted) {
        return counts[Objects.checkIndex(actual, classes) * classes + Objects.checkIndex(predicted, classes)];
    }

    public long total() {
        long t = 0;
        for (long c : counts) t += c;
        return t;
    }

    public double accuracy() {
        long diag = 0;
        for (int c = 0; c < classes; c++) diag += counts[c * classes + c];
        return (double) diag / total();
    }

    /** Of the samples predicted as c, the fraction that are c. */
    public double precision(int c) {
        long predicted = 0;
        for (int a = 0; a < classes; a++) predicted += count(a, c);
        return predicted == 0 ? 0 : (double) count(c, c) / predicted;
    }

    /** Of the samples that are c, the fraction predicted as c. */
    public double recall(int c) {
        long actual = 0;
        for (int p = 0; p < classes; p++) actual += count(c, p);
        return actual == 0 ? 0 : (double) count(c, c) / actual;
    }

    /** Harmonic mean of precision and recall of class c. */
    public double f1(int c) {
        double p = precision(c), r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double macroPrecision() {
        double s = 0;
        for (int c = 0; c < classes; c++) s += precision(c);
        return s / classes;
    }

    public double macroRecall() {
        double s = 0;
        for (int c = 0; c < classes; c++) s += recall(c);
        return s / classes;
    }

    /** Mean of the per-class F1 scores (not the F1 of the macro precision and recall). */
    public double macroF1() {
        double s = 0;
        for (int c = 0; c < classes; c++) s += f1(c);
        return s / classes;
    }

    /**
     * The matrix as an aligned text table (rows = actual, columns = predicted, right-aligned counts),
     * followed by per-class precision, recall, F1 and support, the macro averages and the accuracy.
     */
    public String toTable() {
        int w = 1;
        for (String n : names) w = Math.max(w, n.length());
        for (long c : counts) w = Math.max(w, Long.toString(c).length());
        int label = Math.max("actual \\ predicted".length(), names.stream().mapToInt(String::length).max().orElse(1));
        StringBuilder sb = new StringBuilder();
        sb.append(pad("actual \\ predicted", label, false));
        for (String n : names) sb.append(' ').append(pad(n, w, true));
        sb.append('\n');
        for (int a = 0; a < classes; a++) {
            sb.append(pad(names.get(a), label, false));
            for (int p = 0; p < classes; p++) sb.append(' ').append(pad(Long.toString(count(a, p)), w, true));
            sb.append('\n');
        }
        sb.append('\n');
        int cw = Math.max(label, "macro avg".length());
        sb.append(pad("class", cw, false)).append("  precision     recall         f1    support\n");
        for (int c = 0; c < classes; c++) {
            long support = 0;
            for (int p = 0; p < classes; p++) support += count(c, p);
            sb.append(pad(names.get(c), cw, false))
                    .append(String.format(java.util.Locale.ROOT, " %10.4f %10.4f %10.4f %10d%n", precision(c), recall(c), f1(c), support));
        }
        sb.append(pad("macro avg", cw, false))
                .append(String.format(java.util.Locale.ROOT, " %10.4f %10.4f %10.4f %10d%n", macroPrecision(), macroRecall(), macroF1(), total()));
        sb.append(pad("accuracy", cw, false)).append(String.format(java.util.Locale.ROOT, " %32.4f %10d%n", accuracy(), total()));
        return sb.toString();
    }

    private static String pad(String s, int width, boolean right) {
        if (s.length() >= width) return s;
        String spaces = " ".repeat(width - s.length());
        return right ? spaces + s : s + spaces;
    }

    @Override
    public String toString() {
        return toTable();
    }

    /**
     * Writes the matrix as a PNG heat map (XChart): predicted class across, actual class down, each cell
     * labelled with its count; the parent directories are created.
     */
    public void writePng(Path file, String title) throws IOException {
        System.setProperty("java.awt.headless", "true"); // no display needed to render a file
        int size = Math.max(400, 60 * classes + 200);
        HeatMapChart chart = new HeatMapChartBuilder().width(size + 100).height(size).title(title)
                .xAxisTitle("predicted").yAxisTitle("actual").build();
        chart.getStyler().setShowValue(true).setPlotContentSize(1.0);
        chart.getStyler().setRangeColors(new Color[] {new Color(0xf7fbff), new Color(0x6baed6), new Color(0x08306b)});
        chart.getStyler().setLegendVisible(true);
        List<Number[]> cells = new ArrayList<>();
        // y runs bottom-up in XChart: reverse it so class 0 is the top row, as in the text table.
        List<String> ys = new ArrayList<>(names);
        java.util.Collections.reverse(ys);
        for (int a = 0; a < classes; a++) {
            for (int p = 0; p < classes; p++) cells.add(new Number[] {p, classes - 1 - a, count(a, p)});
        }
        chart.addSeries("count", names, ys, cells);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        try (var out = new java.io.BufferedOutputStream(Files.newOutputStream(file))) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}

package io.tensorlane.layers.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The data sets bundled with tensorlane (copies of scikit-learn's data files: origin, checksums and license
 * in {@code io/tensorlane/layers/data/README.md} next to them), each with the fixed train/test split that
 * the project compares results on. Every call parses the file again and returns fresh arrays.
 *
 * <p>Validation sets come from the training rows with the same kind of rule: for digits
 * {@code DataSplit.tail(split.train(), split.train().n() / 10)} (the last 10%); for breast cancer and diabetes
 * {@code DataSplit.modulo(split.train(), 4, 3)}, which is exactly the original rows with {@code index % 5 == 3}
 * (the training rows are the original ones with {@code index % 5 != 4}, four out of every five).
 */
public final class Datasets {
    /** Rows of the digits file that form the test set: the contiguous tail (the file cycles 0..9, so a tail is balanced). */
    public static final int DIGITS_TEST_ROWS = 360;

    private static final List<String> BREAST_CANCER_FEATURES = List.of(
            "mean radius", "mean texture", "mean perimeter", "mean area", "mean smoothness", "mean compactness",
            "mean concavity", "mean concave points", "mean symmetry", "mean fractal dimension",
            "radius error", "texture error", "perimeter error", "area error", "smoothness error", "compactness error",
            "concavity error", "concave points error", "symmetry error", "fractal dimension error",
            "worst radius", "worst texture", "worst perimeter", "worst area", "worst smoothness", "worst compactness",
            "worst concavity", "worst concave points", "worst symmetry", "worst fractal dimension");

    private static final List<String> DIABETES_FEATURES = List.of("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6");

    private Datasets() {
    }

    /**
     * Handwritten digits: 1797 images of 8x8 pixels (x (1797, 64), pixel (r, c) at column {@code 8r + c},
     * values 0..16 as floats, unscaled), labels 0..9. Split: test = the last 360 rows (1437 / 360).
     * As NCHW images the features are {@code (n, 1, 8, 8)}; {@code pixel / 16} is a common scaling.
     */
    public static DataSplit<LabeledData> digits() {
        CsvTable t = table("digits.csv.gz", CsvFormat.comma());
        expectShape(t, 1797, 65);
        List<String> features = new ArrayList<>();
        for (int r = 0; r < 8; r++) for (int c = 0; c < 8; c++) features.add("pixel_" + r + "_" + c);
        List<String> classes = IntStream.range(0, 10).mapToObj(Integer::toString).toList();
        LabeledData all = new LabeledData("digits", t.rows(), 64, t.floats(0, 64), t.ints(64, 0, 9), 10, features, classes);
        return DataSplit.tail(all, DIGITS_TEST_ROWS);
    }

    /**
     * Breast Cancer Wisconsin (Diagnostic): x (569, 30) real features of very different scales (standardise
     * them with training statistics), labels 0 = malignant, 1 = benign. Split: test = rows with
     * {@code index % 5 == 4} (456 / 113).
     */
    public static DataSplit<LabeledData> breastCancer() {
        CsvTable t = table("breast_cancer.csv", CsvFormat.comma().skipping(1));
        // The metadata line states n, d and the class names: check the data agrees with it.
        String[] meta = t.skipped().getFirst().split(",");
        if (meta.length != 4 || !meta[0].strip().equals(Integer.toString(t.rows())) || !meta[1].strip().equals(Integer.toString(t.cols() - 1))) {
            throw new IllegalStateException("breast_cancer.csv: metadata line '" + t.skipped().getFirst() + "' does not match "
                    + t.rows() + " rows x " + (t.cols() - 1) + " features");
        }
        expectShape(t, 569, 31);
        LabeledData all = new LabeledData("breast_cancer", t.rows(), 30, t.floats(0, 30), t.ints(30, 0, 1), 2,
                BREAST_CANCER_FEATURES, List.of(meta[2].strip(), meta[3].strip()));
        return DataSplit.modulo(all, 5, 4);
    }

    /**
     * Diabetes (Efron et al. 2004): x (442, 10) raw, unscaled features (age, sex, bmi, bp, s1..s6), target a
     * measure of disease progression after one year (25..346). Split: test = rows with {@code index % 5 == 4}
     * (354 / 88).
     */
    public static DataSplit<RegressionData> diabetes() {
        CsvTable x = table("diabetes_data_raw.csv.gz", CsvFormat.whitespace());
        CsvTable y = table("diabetes_target.csv.gz", CsvFormat.whitespace());
        expectShape(x, 442, 10);
        expectShape(y, 442, 1);
        RegressionData all = new RegressionData("diabetes", x.rows(), 10, x.floats(0, 10), y.floats(0, 1), DIABETES_FEATURES);
        return DataSplit.modulo(all, 5, 4);
    }

    /** Opens a bundled resource file by name (e.g. {@code "digits.csv.gz"}); the caller closes it. */
    public static InputStream open(String resource) {
        InputStream in = Datasets.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalArgumentException("datasets: no bundled file '" + resource
                    + "' (bundled: digits.csv.gz, breast_cancer.csv, diabetes_data_raw.csv.gz, diabetes_target.csv.gz)");
        }
        return in;
    }

    private static CsvTable table(String resource, CsvFormat format) {
        try (InputStream in = open(resource)) {
            return Csv.read(in, resource, format);
        } catch (IOException e) {
            throw new UncheckedIOException(resource + ": " + e.getMessage(), e);
        }
    }

    private static void expectShape(CsvTable t, int rows, int cols) {
        if (t.rows() != rows || t.cols() != cols) {
            throw new IllegalStateException(t.source() + ": expected " + rows + " x " + cols + ", read " + t.rows() + " x " + t.cols());
        }
    }
}

package io.tensorlane.layers.data;

import java.util.List;
import java.util.Objects;

/**
 * Classification samples: features {@code x} of shape (n, d) row-major float32 and labels {@code y} (n) in
 * {@code [0, classes)}.
 */
public record LabeledData(String name, int n, int d, float[] x, int[] y, int classes, List<String> featureNames,
                          List<String> classNames) implements Rows<LabeledData> {
    public LabeledData {
        Objects.requireNonNull(name, "name");
        if (n < 0 || d <= 0 || classes <= 0) {
            throw new IllegalArgumentException("labeled data " + name + ": bad sizes n=" + n + ", d=" + d + ", classes=" + classes);
        }
        if (x.length != (long) n * d) {
            throw new IllegalArgumentException("labeled data " + name + ": x has " + x.length + " values, not n*d = " + n + "*" + d);
        }
        if (y.length != n) throw new IllegalArgumentException("labeled data " + name + ": y has " + y.length + " labels, not n = " + n);
        for (int i = 0; i < n; i++) {
            if (y[i] < 0 || y[i] >= classes) {
                throw new IllegalArgumentException("labeled data " + name + ": label y[" + i + "] = " + y[i] + " not in [0, " + classes + ")");
            }
        }
        featureNames = List.copyOf(featureNames);
        classNames = List.copyOf(classNames);
        if (featureNames.size() != d) throw new IllegalArgumentException("labeled data " + name + ": " + featureNames.size() + " feature names for d = " + d);
        if (classNames.size() != classes) throw new IllegalArgumentException("labeled data " + name + ": " + classNames.size() + " class names for " + classes + " classes");
    }

    @Override
    public LabeledData select(int[] rows, String subsetName) {
        float[] sx = new float[rows.length * d];
        int[] sy = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int r = Objects.checkIndex(rows[i], n);
            System.arraycopy(x, r * d, sx, i * d, d);
            sy[i] = y[r];
        }
        return new LabeledData(subsetName, rows.length, d, sx, sy, classes, featureNames, classNames);
    }

    /** This data with new features of width {@code newD} (e.g. scaled or projected), same labels. */
    public LabeledData withFeatures(float[] newX, int newD, List<String> newNames) {
        return new LabeledData(name, n, newD, newX, y, classes, newNames, classNames);
    }

    /** Samples per class. */
    public int[] classCounts() {
        int[] c = new int[classes];
        for (int v : y) c[v]++;
        return c;
    }
}

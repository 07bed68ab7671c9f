package io.tensorlane.layers.data;

import java.util.List;
import java.util.Objects;

/** Regression samples: features {@code x} (n, d) row-major float32 and one real target per sample, {@code y} (n). */
public record RegressionData(String name, int n, int d, float[] x, float[] y, List<String> featureNames)
        implements Rows<RegressionData> {
    public RegressionData {
        Objects.requireNonNull(name, "name");
        if (n < 0 || d <= 0) throw new IllegalArgumentException("regression data " + name + ": bad sizes n=" + n + ", d=" + d);
        if (x.length != (long) n * d) {
            throw new IllegalArgumentException("regression data " + name + ": x has " + x.length + " values, not n*d = " + n + "*" + d);
        }
        if (y.length != n) throw new IllegalArgumentException("regression data " + name + ": y has " + y.length + " targets, not n = " + n);
        featureNames = List.copyOf(featureNames);
        if (featureNames.size() != d) throw new IllegalArgumentException("regression data " + name + ": " + featureNames.size() + " feature names for d = " + d);
    }

    @Override
    public RegressionData select(int[] rows, String subsetName) {
        float[] sx = new float[rows.length * d];
        float[] sy = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int r = Objects.checkIndex(rows[i], n);
            System.arraycopy(x, r * d, sx, i * d, d);
            sy[i] = y[r];
        }
        return new RegressionData(subsetName, rows.length, d, sx, sy, featureNames);
    }

    /** This data with new features of width {@code newD}, same targets. */
    public RegressionData withFeatures(float[] newX, int newD, List<String> newNames) {
        return new RegressionData(name, n, newD, newX, y, newNames);
    }
}

package io.tensorlane.layers.data;

/** One-hot encoding of class labels and back. */
public final class OneHot {
    private OneHot() {
    }

    /** Labels (n) in {@code [0, classes)} to a row-major (n, classes) float32 matrix with a single 1 per row. */
    public static float[] encode(int[] labels, int classes) {
        if (classes <= 0) throw new IllegalArgumentException("oneHot: classes must be > 0, got " + classes);
        long size = (long) labels.length * classes;
        if (size > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("oneHot: " + labels.length + " x " + classes + " exceeds a Java array");
        float[] out = new float[(int) size];
        for (int i = 0; i < labels.length; i++) {
            int c = labels[i];
            if (c < 0 || c >= classes) throw new IllegalArgumentException("oneHot: labels[" + i + "] = " + c + " not in [0, " + classes + ")");
            out[i * classes + c] = 1f;
        }
        return out;
    }

    /** The index of each row's largest value (first one on ties) of a row-major (n, classes) matrix: decodes one-hot rows or scores. */
    public static int[] argmax(float[] rows, int classes) {
        if (classes <= 0 || rows.length % classes != 0) {
            throw new IllegalArgumentException("argmax: " + rows.length + " values are not rows of " + classes + " classes");
        }
        int n = rows.length / classes;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            float bv = rows[i * classes];
            for (int c = 1; c < classes; c++) {
                float v = rows[i * classes + c];
                if (v > bv || Float.isNaN(bv)) { bv = v; best = c; }
            }
            out[i] = best;
        }
        return out;
    }
}

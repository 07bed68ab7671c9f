package io.tensorlane.layers.data;

import java.util.List;
import java.util.Objects;

/**
 * A numeric table read by {@link Csv}: {@code rows x cols} doubles in row-major order, the column names
 * (empty when the file had no header) and the skipped leading lines (metadata, verbatim).
 */
public record CsvTable(String source, List<String> columns, List<String> skipped, int rows, int cols, double[] values) {
    public CsvTable {
        Objects.requireNonNull(source, "source");
        columns = List.copyOf(columns);
        skipped = List.copyOf(skipped);
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException("csv " + source + ": " + values.length + " values do not fill " + rows + "x" + cols);
        }
    }

    public double get(int row, int col) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(col, cols);
        return values[row * cols + col];
    }

    /** Columns {@code [from, to)} of every row as float32, row-major ({@code rows x (to - from)}). */
    public float[] floats(int from, int to) {
        Objects.checkFromToIndex(from, to, cols);
        int w = to - from;
        float[] out = new float[rows * w];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < w; c++) out[r * w + c] = (float) values[r * cols + from + c];
        }
        return out;
    }

    /** One column as ints; every value must be integral and within {@code [min, max]}. */
    public int[] ints(int col, int min, int max) {
        Objects.checkIndex(col, cols);
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            double v = values[r * cols + col];
            if (v != Math.rint(v) || v < min || v > max) {
                throw new IllegalArgumentException("csv " + source + ": data row " + r + ", column " + (col + 1) + ": " + v
                        + " is not an integer in [" + min + ", " + max + "]");
            }
            out[r] = (int) v;
        }
        return out;
    }
}

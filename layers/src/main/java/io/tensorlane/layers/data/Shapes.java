package io.tensorlane.layers.data;

/** Shape checks for row-major (n, d) float arrays. */
final class Shapes {
    private Shapes() {
    }

    /** The row count n of x viewed as (n, d); d must be > 0 and divide x's length. */
    static int rows(String op, float[] x, int d) {
        if (x == null) throw new IllegalArgumentException(op + ": x is null");
        if (d <= 0) throw new IllegalArgumentException(op + ": d must be > 0, got " + d);
        if (x.length % d != 0) throw new IllegalArgumentException(op + ": x has " + x.length + " values, not a multiple of d=" + d);
        return x.length / d;
    }
}

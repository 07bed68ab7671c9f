package io.tensorlane.kernels.simd;

/**
 * One reusable buffer of a per-thread kernel workspace: grown on demand and never shrunk, so once a thread
 * has seen a shape, later calls allocate nothing. Its contents are not kept when it grows. Heap arrays on
 * purpose: over them C2 hoists the range checks of linear indices out of the hot loops, which it did not do
 * for long segment offsets (see {@link GemmMicrokernels}).
 */
final class Scratch {
    private float[] floats = new float[0];
    private int[] ints = new int[0];
    private double[] doubles = new double[0];

    /** The float buffer, at least {@code n} long. */
    float[] floats(int n) {
        if (floats.length < n) floats = new float[n];
        return floats;
    }

    /** The double buffer, at least {@code n} long. */
    double[] doubles(int n) {
        if (doubles.length < n) doubles = new double[n];
        return doubles;
    }

    /** The int buffer, at least {@code n} long. */
    int[] ints(int n) {
        if (ints.length < n) ints = new int[n];
        return ints;
    }
}

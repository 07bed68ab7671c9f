package io.tensorlane.bench.examples;

import java.util.Random;

/**
 * Images for segmentation: each size x size image (one channel) holds one filled rectangle and one filled
 * disk at random places and sizes on a noisy background; the mask labels every pixel 0 (background),
 * 1 (rectangle) or 2 (disk, drawn last, so it wins where the two overlap; at least half the rectangle stays visible). Seeded.
 *
 * @param n      images
 * @param size   height = width
 * @param images (n, 1, size, size) row-major, values about 0..1
 * @param masks  (n, size, size) row-major class per pixel
 */
public record SyntheticShapes(int n, int size, float[] images, int[] masks) {
    public static final int CLASSES = 3;
    public static final String[] NAMES = {"background", "rectangle", "disk"};

    public static SyntheticShapes generate(int n, int size, long seed) {
        if (n < 1 || size < 8) throw new IllegalArgumentException("synthetic shapes: need n >= 1 and size >= 8, got " + n + ", " + size);
        Random r = new Random(seed);
        float[] img = new float[n * size * size];
        int[] mask = new int[n * size * size];
        for (int i = 0; i < n; i++) {
            int base = i * size * size;
            int rh = 3 + r.nextInt(size / 3), rw = 3 + r.nextInt(size / 3);
            int ry = r.nextInt(size - rh + 1), rx = r.nextInt(size - rw + 1);
            for (int y = ry; y < ry + rh; y++) for (int x = rx; x < rx + rw; x++) mask[base + y * size + x] = 1;
            // Redraw the disk until at least half of the rectangle stays visible.
            int[] plane = new int[size * size];
            int visible;
            do {
                System.arraycopy(mask, base, plane, 0, plane.length);
                double rad = 2 + r.nextDouble() * size / 5;
                double cy = rad + r.nextDouble() * (size - 2 * rad), cx = rad + r.nextDouble() * (size - 2 * rad);
                visible = 0;
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        double dy = y + 0.5 - cy, dx = x + 0.5 - cx;
                        if (dy * dy + dx * dx <= rad * rad) plane[y * size + x] = 2;
                        else if (plane[y * size + x] == 1) visible++;
                    }
                }
            } while (2 * visible < rh * rw);
            System.arraycopy(plane, 0, mask, base, plane.length);
            // Both shapes equally bright: the net must tell them apart by shape, not by intensity.
            for (int p = 0; p < size * size; p++) {
                img[base + p] = (mask[base + p] == 0 ? 0.1f : 0.9f) + (float) (0.1 * r.nextGaussian());
            }
        }
        return new SyntheticShapes(n, size, img, mask);
    }

    /**
     * Intersection over union of each class between {@code actual} and {@code predicted} label maps
     * (NaN for a class in neither), and their mean over the classes that occur.
     */
    public static double[] iou(int[] actual, int[] predicted, int classes) {
        if (actual.length != predicted.length) {
            throw new IllegalArgumentException("iou: " + actual.length + " actual labels but " + predicted.length + " predicted");
        }
        long[] inter = new long[classes], union = new long[classes];
        for (int i = 0; i < actual.length; i++) {
            int a = actual[i], p = predicted[i];
            if (a < 0 || a >= classes || p < 0 || p >= classes) throw new IllegalArgumentException("iou: label out of [0, " + classes + ") at " + i);
            if (a == p) {
                inter[a]++;
                union[a]++;
            } else {
                union[a]++;
                union[p]++;
            }
        }
        double[] out = new double[classes + 1];
        double sum = 0;
        int present = 0;
        for (int c = 0; c < classes; c++) {
            out[c] = union[c] == 0 ? Double.NaN : (double) inter[c] / union[c];
            if (union[c] > 0) {
                sum += out[c];
                present++;
            }
        }
        out[classes] = sum / present;
        return out;
    }
}

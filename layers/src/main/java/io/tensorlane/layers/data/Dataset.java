package io.tensorlane.layers.data;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.random.RandomGenerator;

/**
 * An in-memory data set: {@code n} samples of a fixed shape stored row-major in one float array,
 * with either int class labels or float targets of a fixed shape (regression, autoencoders).
 * Mini-batches come out as tensors whose buffers are reused from batch to batch; shuffling draws
 * from the generator the caller passes, so a seed fixes the order.
 */
public final class Dataset {
    private final float[] features;
    private final long[] sampleShape;
    private final int sampleSize;
    private final int n;
    private final int[] labels;        // null for float targets
    private final float[] targets;     // null for labels
    private final long[] targetShape;  // per sample, for targets
    private final int targetSize;

    private Dataset(float[] features, long[] sampleShape, int[] labels, float[] targets, long[] targetShape) {
        this.sampleShape = sampleShape.clone();
        this.sampleSize = Math.toIntExact(count("sampleShape", sampleShape));
        if (sampleSize == 0) throw new IllegalArgumentException("dataset: empty sample shape " + Arrays.toString(sampleShape));
        if (features.length % sampleSize != 0) {
            throw new IllegalArgumentException("dataset: " + features.length + " features are not a whole number of samples of "
                    + Arrays.toString(sampleShape));
        }
        this.features = features;
        this.n = features.length / sampleSize;
        this.labels = labels;
        this.targets = targets;
        this.targetShape = targetShape == null ? null : targetShape.clone();
        this.targetSize = targetShape == null ? 0 : Math.toIntExact(count("targetShape", targetShape));
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("dataset: " + labels.length + " labels for " + n + " samples");
        }
        if (targets != null && (long) targetSize * n != targets.length) {
            throw new IllegalArgumentException("dataset: " + targets.length + " targets for " + n + " samples of target shape "
                    + Arrays.toString(targetShape));
        }
    }

    /** Samples of {@code sampleShape} (no batch dim) with class labels; arrays are used, not copied. */
    public static Dataset of(float[] features, long[] sampleShape, int[] labels) {
        return new Dataset(features, sampleShape, java.util.Objects.requireNonNull(labels, "labels"), null, null);
    }

    /** Samples with float targets of {@code targetShape} per sample; arrays are used, not copied. */
    public static Dataset regression(float[] features, long[] sampleShape, float[] targets, long[] targetShape) {
        return new Dataset(features, sampleShape, null, java.util.Objects.requireNonNull(targets, "targets"), targetShape);
    }

    /** The samples as their own targets (autoencoders). */
    public static Dataset autoencoder(float[] features, long[] sampleShape) {
        return regression(features, sampleShape, features, sampleShape);
    }

    private static long count(String what, long[] shape) {
        long c = 1;
        for (long d : shape) {
            if (d < 1) throw new IllegalArgumentException("dataset: " + what + " " + Arrays.toString(shape) + " has a dim < 1");
            c = Math.multiplyExact(c, d);
        }
        return c;
    }

    public int size() { return n; }

    public long[] sampleShape() { return sampleShape.clone(); }

    /** True for class labels, false for float targets. */
    public boolean hasLabels() { return labels != null; }

    /** The labels (not a copy); null for float targets. */
    public int[] labels() { return labels; }

    /** Largest label + 1 (0 without labels). */
    public int numClasses() {
        int m = -1;
        if (labels != null) for (int y : labels) m = Math.max(m, y);
        return m + 1;
    }

    /** The samples at {@code indices} (copied). */
    public Dataset subset(int[] indices) {
        float[] f = new float[Math.multiplyExact(indices.length, sampleSize)];
        for (int i = 0; i < indices.length; i++) System.arraycopy(features, checkIndex(indices[i]) * sampleSize, f, i * sampleSize, sampleSize);
        if (labels != null) {
            int[] l = new int[indices.length];
            for (int i = 0; i < indices.length; i++) l[i] = labels[indices[i]];
            return of(f, sampleShape, l);
        }
        float[] t = new float[Math.multiplyExact(indices.length, targetSize)];
        for (int i = 0; i < indices.length; i++) System.arraycopy(targets, indices[i] * targetSize, t, i * targetSize, targetSize);
        return regression(f, sampleShape, t, targetShape);
    }

    /** Samples [from, to) (copied). */
    public Dataset slice(int from, int to) {
        if (from < 0 || to > n || from > to) throw new IllegalArgumentException("dataset: slice [" + from + ", " + to + ") of " + n + " samples");
        int[] idx = new int[to - from];
        for (int i = 0; i < idx.length; i++) idx[i] = from + i;
        return subset(idx);
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException("dataset: sample " + i + " of " + n);
        return i;
    }

    /** A fresh batch of the samples at {@code indices} (not reused). */
    public Batch batch(int[] indices) {
        Buffers b = new Buffers(indices.length);
        b.fill(indices, 0, indices.length);
        return b.batch;
    }

    /**
     * One epoch of mini-batches of {@code batchSize} (the last may be smaller), in a random order
     * drawn from {@code rng} when {@code shuffle}. Buffers are reused: a batch is valid until the next.
     */
    public Iterable<Batch> batches(int batchSize, boolean shuffle, RandomGenerator rng) {
        if (batchSize < 1) throw new IllegalArgumentException("dataset: batch size must be >= 1, got " + batchSize);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        if (shuffle) {
            for (int i = n - 1; i > 0; i--) { // Fisher-Yates
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return () -> new Iterator<>() {
            private int at;
            private Buffers full, tail;

            @Override
            public boolean hasNext() { return at < n; }

            @Override
            public Batch next() {
                if (at >= n) throw new NoSuchElementException();
                int b = Math.min(batchSize, n - at);
                Buffers buf;
                if (b == batchSize) buf = full == null ? full = new Buffers(b) : full;
                else buf = tail == null ? tail = new Buffers(b) : tail;
                buf.fill(order, at, b);
                at += b;
                return buf.batch;
            }
        };
    }

    /** Number of batches of {@code batchSize} in one epoch. */
    public int batchCount(int batchSize) {
        return (n + batchSize - 1) / batchSize;
    }

    /**
     * The reusable batch tensors behind one batch size, in native memory (an automatic arena): the kernels'
     * vector loops should only ever see native segments (heap segments passed through the same loops make the
     * JIT's code slower for both kinds, see {@code SimdKernels}); the rows are copied in from the heap arrays.
     */
    private final class Buffers {
        final Tensor x, y;
        final Batch batch;

        Buffers(int b) {
            Arena arena = Arena.ofAuto();
            long[] xs = new long[sampleShape.length + 1];
            xs[0] = b;
            System.arraycopy(sampleShape, 0, xs, 1, sampleShape.length);
            x = Tensor.allocate(arena, DType.F32, xs);
            if (labels != null) {
                y = Tensor.allocate(arena, DType.I32, b);
            } else {
                long[] ts = new long[targetShape.length + 1];
                ts[0] = b;
                System.arraycopy(targetShape, 0, ts, 1, targetShape.length);
                y = Tensor.allocate(arena, DType.F32, ts);
            }
            batch = new Batch(x, y, b);
        }

        void fill(int[] order, int from, int b) {
            MemorySegment xs = x.segment(), ys = y.segment();
            for (int i = 0; i < b; i++) {
                int s = checkIndex(order[from + i]);
                MemorySegment.copy(features, s * sampleSize, xs, JAVA_FLOAT, (long) i * sampleSize * Float.BYTES, sampleSize);
                if (labels != null) {
                    ys.setAtIndex(JAVA_INT, i, labels[s]);
                } else {
                    MemorySegment.copy(targets, s * targetSize, ys, JAVA_FLOAT, (long) i * targetSize * Float.BYTES, targetSize);
                }
            }
        }
    }
}

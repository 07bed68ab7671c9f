package io.tensorlane.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random chains of views (slice, transpose, permute, reshape) checked against a model that knows
 * nothing about strides: each view is a function from its own index to an index of the base array,
 * built by composing the index arithmetic of each step. Seeded, so a failure names its case.
 */
class TensorViewPropertiesTest {
    /** A view as the model sees it: its shape and where each index lands in the base array. */
    record Model(long[] shape, java.util.function.Function<long[], Long> toBase) {
        long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    static long[] unravel(long flat, long[] shape) {
        long[] idx = new long[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            idx[i] = flat % shape[i];
            flat /= shape[i];
        }
        return idx;
    }

    static long ravel(long[] idx, long[] shape) {
        long flat = 0;
        for (int i = 0; i < shape.length; i++) flat = flat * shape[i] + idx[i];
        return flat;
    }

    @Test
    void viewChainsMatchIndexArithmetic() {
        for (long seed = 0; seed < 400; seed++) {
            Random rnd = new Random(seed);
            try {
                viewChain(1 + rnd.nextInt(4), rnd);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("view chain with seed " + seed + " failed: " + e.getMessage(), e);
            }
        }
    }

    private static void viewChain(int rank, Random rnd) {
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) shape[i] = 1 + rnd.nextInt(5);
        int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = i;
        long[] base = shape.clone();
        Tensor t = Tensor.of(data, shape);
        Model m = new Model(shape.clone(), idx -> ravel(idx, base));

        for (int step = 0; step < 6; step++) {
            int r = m.shape.length;
            switch (rnd.nextInt(4)) {
                case 0 -> { // slice
                    int d = rnd.nextInt(r);
                    long size = m.shape[d];
                    long from = rnd.nextLong(size + 1), to = from + rnd.nextLong(size - from + 1);
                    t = t.slice(d, from, to);
                    long[] s = m.shape.clone();
                    s[d] = to - from;
                    Model prev = m;
                    m = new Model(s, idx -> {
                        long[] i = idx.clone();
                        i[d] += from;
                        return prev.toBase.apply(i);
                    });
                }
                case 1 -> { // transpose
                    int a = rnd.nextInt(r), b = rnd.nextInt(r);
                    t = t.transpose(a, b);
                    long[] s = m.shape.clone();
                    s[a] = m.shape[b];
                    s[b] = m.shape[a];
                    Model prev = m;
                    m = new Model(s, idx -> {
                        long[] i = idx.clone();
                        i[a] = idx[b];
                        i[b] = idx[a];
                        return prev.toBase.apply(i);
                    });
                }
                case 2 -> { // permute
                    int[] order = shuffled(r, rnd);
                    t = t.permute(order);
                    long[] s = new long[r];
                    for (int i = 0; i < r; i++) s[i] = m.shape[order[i]];
                    Model prev = m;
                    m = new Model(s, idx -> {
                        long[] src = new long[r];
                        for (int i = 0; i < r; i++) src[order[i]] = idx[i];
                        return prev.toBase.apply(src);
                    });
                }
                default -> { // reshape to a random factorisation, with one -1
                    long[] ns = randomShapeOf(m.numel(), rnd);
                    long[] arg = ns.clone();
                    if (ns.length > 0 && m.numel() > 0) arg[rnd.nextInt(ns.length)] = -1;
                    if (!t.isContiguous()) {
                        Tensor strided = t;
                        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> strided.reshape(arg));
                        assertTrue(e.getMessage().contains("not contiguous; call contiguous() first"), e.getMessage());
                        Tensor c = t.contiguous();
                        assertNotSame(t, c);
                        assertTrue(c.isContiguous());
                        t = c;
                    }
                    t = t.reshape(arg);
                    Model prev = m;
                    long[] old = prev.shape.clone();
                    m = new Model(ns, idx -> prev.toBase.apply(unravel(ravel(idx, ns), old)));
                }
            }
            assertArrayEquals(m.shape, t.shape(), "shape after step " + step);
            check(t, m, data);
        }
    }

    private static void check(Tensor t, Model m, float[] data) {
        float[] flat = t.toFloatArray();
        assertEquals(m.numel(), flat.length);
        Tensor c = t.contiguous();
        assertTrue(c.isContiguous());
        if (t.isContiguous()) assertSame(t, c, "contiguous() copies only when needed");
        for (int k = 0; k < flat.length; k++) {
            long[] idx = unravel(k, m.shape);
            float expected = data[(int) (long) m.toBase.apply(idx)];
            assertEquals(expected, flat[k], "toFloatArray at " + Arrays.toString(idx));
            assertEquals(expected, t.getFloat(idx), "getFloat at " + Arrays.toString(idx));
            assertEquals(expected, c.getFloat(idx), "contiguous() at " + Arrays.toString(idx));
        }
    }

    private static int[] shuffled(int r, Random rnd) {
        int[] o = new int[r];
        for (int i = 0; i < r; i++) o[i] = i;
        for (int i = r - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), tmp = o[i];
            o[i] = o[j];
            o[j] = tmp;
        }
        return o;
    }

    /** A random shape of 1..4 dims with the given element count (count 0: one dim is 0). */
    private static long[] randomShapeOf(long numel, Random rnd) {
        int r = 1 + rnd.nextInt(4);
        long[] s = new long[r];
        Arrays.fill(s, 1);
        if (numel == 0) {
            s[rnd.nextInt(r)] = 0;
            for (int i = 0; i < r; i++) if (s[i] != 0) s[i] = 1 + rnd.nextInt(3);
            return s;
        }
        long left = numel;
        for (long p = 2; p <= left; p++) {
            while (left % p == 0) {
                s[rnd.nextInt(r)] *= p;
                left /= p;
            }
        }
        return s;
    }

    @Test
    void everySliceRangeIsEitherAViewOrRejected() {
        Tensor t = Tensor.of(new float[20], 4, 5);
        for (int from = -2; from <= 7; from++) {
            for (int to = -2; to <= 7; to++) {
                int f = from, e = to;
                if (0 <= from && from <= to && to <= 5) {
                    Tensor s = t.slice(1, from, to);
                    assertArrayEquals(new long[] {4, to - from}, s.shape());
                    assertEquals(from, s.offset());
                } else {
                    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> t.slice(1, f, e));
                    assertTrue(ex.getMessage().startsWith("slice: range [" + from + ", " + to + ")"), ex.getMessage());
                }
            }
        }
    }
}

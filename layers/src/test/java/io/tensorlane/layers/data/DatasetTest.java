package io.tensorlane.layers.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DatasetTest {
    static Dataset tens(int n) {
        float[] f = new float[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            f[2 * i] = i;
            f[2 * i + 1] = -i;
            y[i] = i % 3;
        }
        return Dataset.of(f, new long[] {1, 2}, y);
    }

    static List<Integer> order(Dataset d, int bs, long seed) {
        List<Integer> seen = new ArrayList<>();
        for (Batch b : d.batches(bs, true, new Random(seed))) {
            for (int i = 0; i < b.size(); i++) {
                int s = (int) b.x().getFloat(i, 0, 0);
                assertEquals(-s, b.x().getFloat(i, 0, 1));
                assertEquals(s % 3, b.y().getInt(i));
                seen.add(s);
            }
        }
        return seen;
    }

    @Test
    void batchesCoverEverySampleOnceInASeededOrder() {
        Dataset d = tens(10);
        List<Integer> a = order(d, 4, 1);
        assertEquals(10, a.size());
        assertEquals(10, a.stream().distinct().count());
        assertEquals(a, order(d, 4, 1));
        assertNotEquals(a, order(d, 4, 2));
        assertEquals(3, d.batchCount(4));
        assertEquals(3, d.numClasses());
    }

    @Test
    void buffersAreReusedAndTheTailIsSmaller() {
        Dataset d = tens(10);
        List<Batch> bs = new ArrayList<>();
        for (Batch b : d.batches(4, false, new Random(0))) bs.add(b);
        assertSame(bs.get(0).x(), bs.get(1).x());
        assertArrayEquals(new long[] {4, 1, 2}, bs.get(0).x().shape());
        assertArrayEquals(new long[] {2, 1, 2}, bs.get(2).x().shape());
        assertEquals(2, bs.get(2).size());
        // off-heap, so that the kernels' vector loops never see a heap segment (see SimdKernels)
        assertTrue(bs.get(0).x().segment().isNative() && bs.get(0).y().segment().isNative());
        Batch r = Dataset.autoencoder(new float[] {1, 2, 3, 4}, new long[] {2}).batch(new int[] {1, 0});
        assertTrue(r.x().segment().isNative() && r.y().segment().isNative());
        assertArrayEquals(new float[] {3, 4, 1, 2}, r.y().toFloatArray());
    }

    @Test
    void regressionTargetsSubsetsAndErrors() {
        Dataset ae = Dataset.autoencoder(new float[] {1, 2, 3, 4, 5, 6}, new long[] {3});
        Batch b = ae.batch(new int[] {1});
        assertArrayEquals(new float[] {4, 5, 6}, b.y().toFloatArray());
        assertEquals(1, ae.slice(1, 2).size());
        assertArrayEquals(new int[] {2, 0}, tens(10).subset(new int[] {5, 9}).labels());
        var e = assertThrows(IllegalArgumentException.class, () -> Dataset.of(new float[5], new long[] {2}, new int[2]));
        assertEquals("dataset: 5 features are not a whole number of samples of [2]", e.getMessage());
        var l = assertThrows(IllegalArgumentException.class, () -> Dataset.of(new float[4], new long[] {2}, new int[3]));
        assertEquals("dataset: 3 labels for 2 samples", l.getMessage());
    }
}

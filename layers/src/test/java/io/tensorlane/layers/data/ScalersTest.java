package io.tensorlane.layers.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ScalersTest {
    @Test
    void standardScalerGivesZeroMeanUnitVarianceOnTrain() {
        Random r = new Random(7);
        int n = 50, d = 4;
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (i % d + 1) * 10 + 100 * (i % d));
        for (int i = 0; i < n; i++) x[i * d + 2] = 3f; // constant column
        StandardScaler s = StandardScaler.fit(x, d);
        float[] z = s.transform(x);
        for (int j = 0; j < d; j++) {
            double m = 0, v = 0;
            for (int i = 0; i < n; i++) m += z[i * d + j];
            m /= n;
            for (int i = 0; i < n; i++) v += (z[i * d + j] - m) * (z[i * d + j] - m);
            v /= n;
            assertEquals(0, m, 1e-5);
            assertEquals(j == 2 ? 0 : 1, v, 1e-4, "column " + j);
        }
        assertEquals(1.0, s.scale()[2]);
        assertEquals(3.0, s.mean()[2], 1e-6);
        float[] back = s.inverseTransform(z);
        for (int i = 0; i < x.length; i++) assertEquals(x[i], back[i], 1e-3 * Math.max(1, Math.abs(x[i])));
        // applied to other data with the train statistics, not refitted
        float[] other = s.transform(new float[] {0, 0, 3, 0});
        assertEquals(0f, other[2]);
        assertEquals((float) (-s.mean()[0] / s.scale()[0]), other[0], 1e-6);
    }

    @Test
    void minMaxScalerMapsTrainRangeAndConstantColumnsToLo() {
        float[] x = {1, 5, 10, 3, 5, 20, 2, 5, 15};
        MinMaxScaler s = MinMaxScaler.fit(x, 3, -1, 1);
        float[] z = s.transform(x);
        assertArrayEquals(new float[] {-1, -1, -1, 1, -1, 1, 0, -1, 0}, z, 1e-6f);
        assertArrayEquals(x, s.inverseTransform(z), 1e-5f);
        assertArrayEquals(new float[] {3, -1, 3}, s.transform(new float[] {5, 5, 30}), 1e-6f); // not clipped
    }

    @Test
    void badInputs() {
        assertThrows(IllegalArgumentException.class, () -> StandardScaler.fit(new float[] {1, 2, 3}, 2));
        assertThrows(IllegalArgumentException.class, () -> StandardScaler.fit(new float[0], 2));
        assertThrows(IllegalArgumentException.class, () -> StandardScaler.fit(new float[] {1, Float.NaN}, 2));
        assertThrows(IllegalArgumentException.class, () -> MinMaxScaler.fit(new float[] {1, 2}, 2, 1, 1));
        StandardScaler s = StandardScaler.fit(new float[] {1, 2}, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> s.transform(new float[] {1, 2, 3}));
        assertTrue(e.getMessage().contains("d=2"), e.getMessage());
    }

    @Test
    void oneHotRoundTrip() {
        int[] y = {2, 0, 1, 2};
        float[] h = OneHot.encode(y, 3);
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, h);
        assertArrayEquals(y, OneHot.argmax(h, 3));
        assertThrows(IllegalArgumentException.class, () -> OneHot.encode(new int[] {3}, 3));
        assertThrows(IllegalArgumentException.class, () -> OneHot.encode(new int[] {-1}, 3));
        assertThrows(IllegalArgumentException.class, () -> OneHot.argmax(new float[5], 3));
    }
}

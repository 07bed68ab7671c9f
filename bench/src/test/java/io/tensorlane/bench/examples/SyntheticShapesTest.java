package io.tensorlane.bench.examples;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class SyntheticShapesTest {
    @Test
    void everyImageHasBothShapesAndTheImageShowsTheMask() {
        SyntheticShapes s = SyntheticShapes.generate(50, 16, 3);
        int px = 16 * 16;
        for (int i = 0; i < s.n(); i++) {
            int[] count = new int[3];
            double[] mean = new double[3];
            for (int p = 0; p < px; p++) {
                int c = s.masks()[i * px + p];
                count[c]++;
                mean[c] += s.images()[i * px + p];
            }
            assertTrue(count[0] > 0 && count[2] >= 9, "image " + i + " has background and a disk");
            assertTrue(count[1] >= 5, "image " + i + ": at least half the rectangle (>= 3x3) is visible");
            assertTrue(mean[0] / count[0] < 0.3 && mean[2] / count[2] > 0.7);
        }
        assertArrayEquals(s.images(), SyntheticShapes.generate(50, 16, 3).images(), "seeded");
        assertArrayEquals(s.masks(), SyntheticShapes.generate(50, 16, 3).masks());
    }

    @Test
    void iouPerClassAndMean() {
        int[] a = {0, 0, 1, 1, 2, 2};
        int[] p = {0, 1, 1, 1, 2, 0};
        double[] iou = SyntheticShapes.iou(a, p, 3);
        assertEquals(1.0 / 3, iou[0], 1e-12);  // class 0: 1 shared of {0,1,5}
        assertEquals(2.0 / 3, iou[1], 1e-12);  // class 1: {2,3} of {1,2,3}
        assertEquals(1.0 / 2, iou[2], 1e-12);  // class 2: {4} of {4,5}
        assertEquals((1.0 / 3 + 2.0 / 3 + 0.5) / 3, iou[3], 1e-12);
        assertEquals(1.0, SyntheticShapes.iou(a, a, 3)[3]);
        double[] absent = SyntheticShapes.iou(new int[] {0, 0}, new int[] {0, 0}, 3);
        assertTrue(Double.isNaN(absent[1]));
        assertEquals(1.0, absent[3], "classes in neither map do not count");
        assertThrows(IllegalArgumentException.class, () -> SyntheticShapes.iou(a, new int[2], 3));
        assertThrows(IllegalArgumentException.class, () -> SyntheticShapes.iou(new int[] {3}, new int[] {0}, 3));
    }
}

package io.tensorlane.layers.metrics;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsTest {
    // 3 classes; hand-counted: actual 0 -> {0,0,1}, actual 1 -> {1,1,1,2}, actual 2 -> {0,2}
    static final int[] ACTUAL = {0, 0, 0, 1, 1, 1, 1, 2, 2};
    static final int[] PREDICTED = {0, 0, 1, 1, 1, 1, 2, 0, 2};

    @Test
    void perClassAndMacroScoresByHand() {
        ConfusionMatrix cm = ConfusionMatrix.of(ACTUAL, PREDICTED, 3);
        assertEquals(2, cm.count(0, 0));
        assertEquals(1, cm.count(0, 1));
        assertEquals(1, cm.count(2, 0));
        assertEquals(9, cm.total());
        assertEquals(6.0 / 9, cm.accuracy(), 1e-12);
        assertEquals(6.0 / 9, Metrics.accuracy(ACTUAL, PREDICTED), 1e-12);
        assertEquals(2.0 / 3, cm.precision(0), 1e-12); // predicted 0: 0,0,2
        assertEquals(3.0 / 4, cm.precision(1), 1e-12); // predicted 1: 0,1,1,1
        assertEquals(1.0 / 2, cm.precision(2), 1e-12); // predicted 2: 1,2
        assertEquals(2.0 / 3, cm.recall(0), 1e-12);
        assertEquals(3.0 / 4, cm.recall(1), 1e-12);
        assertEquals(1.0 / 2, cm.recall(2), 1e-12);
        assertEquals(2.0 / 3, cm.f1(0), 1e-12);
        assertEquals((2.0 / 3 + 3.0 / 4 + 1.0 / 2) / 3, cm.macroPrecision(), 1e-12);
        assertEquals((2.0 / 3 + 3.0 / 4 + 1.0 / 2) / 3, cm.macroF1(), 1e-12);
    }

    @Test
    void zeroDivisionIsZeroAndBadLabelsAreRefused() {
        ConfusionMatrix cm = ConfusionMatrix.of(new int[] {0, 0}, new int[] {0, 0}, 3);
        assertEquals(0, cm.precision(1));
        assertEquals(0, cm.recall(2));
        assertEquals(0, cm.f1(2));
        assertEquals(1, cm.f1(0));
        assertThrows(IllegalArgumentException.class, () -> ConfusionMatrix.of(new int[] {3}, new int[] {0}, 3));
        assertThrows(IllegalArgumentException.class, () -> ConfusionMatrix.of(new int[] {0}, new int[] {-1}, 3));
        assertThrows(IllegalArgumentException.class, () -> ConfusionMatrix.of(new int[] {0, 1}, new int[] {0}, 3));
        assertThrows(IllegalArgumentException.class, () -> Metrics.accuracy(new int[0], new int[0]));
    }

    @Test
    void regressionMetrics() {
        float[] y = {1, 2, 3, 4};
        assertEquals(1, Metrics.r2(y, y), 0);
        assertEquals(0, Metrics.r2(y, new float[] {2.5f, 2.5f, 2.5f, 2.5f}), 1e-12);
        assertEquals(1.0 - 0.25 * 4 / 5, Metrics.r2(y, new float[] {1.5f, 2.5f, 2.5f, 3.5f}), 1e-12);
        assertEquals(0.25, Metrics.meanSquaredError(y, new float[] {1.5f, 2.5f, 2.5f, 3.5f}), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Metrics.r2(new float[] {1, 1}, new float[] {1, 1}));
    }

    @Test
    void tableIsAligned() {
        ConfusionMatrix cm = ConfusionMatrix.of(ACTUAL, PREDICTED, List.of("cat", "dog", "hamster"));
        String t = cm.toTable();
        String[] lines = t.split("\n");
        assertEquals("actual \\ predicted     cat     dog hamster", lines[0]);
        assertEquals("cat                      2       1       0", lines[1]);
        assertEquals("hamster                  1       0       1", lines[3]);
        assertEquals(lines[0].length(), lines[2].length());
        assertTrue(t.contains("macro avg"), t);
        assertTrue(t.contains("accuracy"), t);
    }

    @Test
    void heatMapPng(@TempDir Path dir) throws Exception {
        ConfusionMatrix cm = ConfusionMatrix.of(ACTUAL, PREDICTED, 3);
        Path png = dir.resolve("sub/cm.png");
        cm.writePng(png, "test");
        var img = ImageIO.read(png.toFile());
        assertNotNull(img);
        assertTrue(img.getWidth() >= 400 && img.getHeight() >= 400);
        assertTrue(Files.size(png) > 1000);
    }
}

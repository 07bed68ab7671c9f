package io.tensorlane.bench.demo;

import static org.junit.jupiter.api.Assertions.*;

import io.tensorlane.layers.data.Batch;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShiftAugmentTest {
    static final int N = 200, C = 2, H = 3, W = 4;

    static float value(int c, int r, int col) {
        return 1 + 100 * c + 10 * r + col;
    }

    static Batch batch() {
        float[] x = new float[N * C * H * W];
        for (int i = 0; i < N; i++) for (int c = 0; c < C; c++) for (int r = 0; r < H; r++) for (int col = 0; col < W; col++) {
            x[((i * C + c) * H + r) * W + col] = value(c, r, col);
        }
        return new Batch(Tensor.of(x, N, C, H, W), Tensor.ofInts(new int[N], N), N);
    }

    @Test
    void everyImageIsShiftedByAtMostOnePixelWithZeroFill() {
        Batch b = batch();
        new ShiftAugment(1, 5).accept(b);
        float[] x = b.x().toFloatArray();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < N; i++) {
            String found = null;
            for (int dy = -1; dy <= 1 && found == null; dy++) {
                for (int dx = -1; dx <= 1 && found == null; dx++) {
                    boolean all = true;
                    for (int c = 0; c < C; c++) for (int r = 0; r < H; r++) for (int col = 0; col < W; col++) {
                        int sr = r - dy, sc = col - dx;
                        float want = sr >= 0 && sr < H && sc >= 0 && sc < W ? value(c, sr, sc) : 0f;
                        all &= x[((i * C + c) * H + r) * W + col] == want;
                    }
                    if (all) found = dy + "," + dx;
                }
            }
            assertNotNull(found, "image " + i + " is a +-1 pixel shift of the original, both channels alike");
            seen.add(found);
        }
        assertEquals(9, seen.size(), "all 9 shifts occur: " + seen);
    }

    @Test
    void sameSeedSameShiftsAndZeroMaxIsIdentity() {
        Batch a = batch(), b = batch(), c = batch();
        new ShiftAugment(1, 7).accept(a);
        new ShiftAugment(1, 7).accept(b);
        assertArrayEquals(a.x().toFloatArray(), b.x().toFloatArray());
        new ShiftAugment(1, 8).accept(c);
        assertFalse(Arrays.equals(a.x().toFloatArray(), c.x().toFloatArray()));
        Batch d = batch();
        new ShiftAugment(0, 7).accept(d);
        assertArrayEquals(batch().x().toFloatArray(), d.x().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> new ShiftAugment(-1, 0));
        Batch flat = new Batch(Tensor.of(new float[8], 2, 4), Tensor.ofInts(new int[2], 2), 2);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ShiftAugment(1, 0).accept(flat)).getMessage().contains("(N, C, H, W)"));
    }
}

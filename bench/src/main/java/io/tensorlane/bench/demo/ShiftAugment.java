package io.tensorlane.bench.demo;

import io.tensorlane.layers.data.Batch;
import io.tensorlane.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Shifts every image of a training batch (N, C, H, W) by a random whole number of pixels, -max..max in
 * each direction independently, filling with zeros: small translations the digits should not care about,
 * so the net sees a slightly different image each epoch. Seeded: the same seed gives the same shifts.
 */
public final class ShiftAugment implements Consumer<Batch> {
    private final int max;
    private final Random rng;
    private float[] plane = new float[0];

    public ShiftAugment(int maxShift, long seed) {
        if (maxShift < 0) throw new IllegalArgumentException("shift augment: max shift must be >= 0, got " + maxShift);
        this.max = maxShift;
        this.rng = new Random(seed);
    }

    @Override
    public void accept(Batch b) {
        Tensor x = b.x();
        if (x.rank() != 4 || !x.isContiguous()) {
            throw new IllegalArgumentException("shift augment: batch x must be contiguous (N, C, H, W), got " + x.shapeString());
        }
        int n = (int) x.dim(0), c = (int) x.dim(1), h = (int) x.dim(2), w = (int) x.dim(3);
        if (plane.length < h * w) plane = new float[h * w];
        MemorySegment seg = x.segment();
        long base = x.offset();
        for (int i = 0; i < n; i++) {
            int dy = rng.nextInt(2 * max + 1) - max, dx = rng.nextInt(2 * max + 1) - max;
            if (dy == 0 && dx == 0) continue;
            for (int ch = 0; ch < c; ch++) {
                long off = base + ((long) i * c + ch) * h * w;
                MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, off * 4, plane, 0, h * w);
                for (int r = 0; r < h; r++) {
                    int sr = r - dy;
                    for (int col = 0; col < w; col++) {
                        int sc = col - dx;
                        float v = sr >= 0 && sr < h && sc >= 0 && sc < w ? plane[sr * w + sc] : 0f;
                        seg.setAtIndex(ValueLayout.JAVA_FLOAT, off + (long) r * w + col, v);
                    }
                }
            }
        }
    }
}

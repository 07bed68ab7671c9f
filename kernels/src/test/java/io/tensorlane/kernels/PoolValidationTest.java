package io.tensorlane.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each class of bad pooling input is rejected with a message naming the op, the argument and the
 * shapes, before anything is written (outputs keep their sentinel).
 */
class PoolValidationTest {
    private static final float SENTINEL = -5.5f;

    private static void fails(String expected, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain '" + expected + "'");
    }

    private static MemorySegment floats(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, SENTINEL);
        return MemorySegment.ofArray(a);
    }

    private static MemorySegment ints(int... v) {
        return MemorySegment.ofArray(v);
    }

    private static void untouched(MemorySegment seg) {
        for (long i = 0; i < seg.byteSize() / 4; i++) {
            assertEquals(SENTINEL, seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i), "element " + i + " was written");
        }
    }

    @Test
    void descriptorRejectsImpossibleWindows() {
        fails("Pool2dDesc: kernel must be >= 1, got 0x2", () -> Pool2dDesc.of(0, 2));
        fails("Pool2dDesc: stride must be >= 1, got 0x1", () -> Pool2dDesc.of(2).stride(0, 1));
        fails("Pool2dDesc: pad must be >= 0, got -1x0", () -> Pool2dDesc.of(2).pad(-1, 0));
        fails("max_pool2d: kernel 5 larger than padded input 4 (x=[1,1,2,2])",
                () -> Pool2dDesc.of(5).pad(1).outputShape("max_pool2d", 1, 1, 2, 2));
        fails("avg_pool2d: kernel 3 larger than padded input 2 (x=[2,3,8,2])",
                () -> Pool2dDesc.of(3).outputShape("avg_pool2d", 2, 3, 8, 2));
        fails("max_pool2d: pad 2x0 must be at most half of kernel 3x3 (x=[1,1,8,8])",
                () -> Pool2dDesc.of(3).pad(2, 0).outputShape("max_pool2d", 1, 1, 8, 8));
        fails("max_pool2d: x must be 4-D (N, C, H, W), got (x=[8,8])", () -> Pool2dDesc.of(2).outputShape("max_pool2d", 8, 8));
        fails("max_pool2d: x has a negative dim [1, -1, 4, 4]", () -> Pool2dDesc.of(2).outputShape("max_pool2d", 1, -1, 4, 4));
        fails("exceeds the int32 index range", () -> Pool2dDesc.of(2).outputShape("max_pool2d", 1, 1, 1 << 16, 1 << 16));
        assertArrayEquals(new long[] {2, 3, 4, 4}, Pool2dDesc.of(3).stride(2).pad(1).outputShape("max_pool2d", 2, 3, 8, 8));
        assertArrayEquals(new long[] {1, 1, 3, 2}, Pool2dDesc.of(2, 3).stride(2, 3).outputShape("avg_pool2d", 1, 1, 7, 8));
    }

    @Test
    void roiDescriptorRejectsBadBoxes() {
        fails("RoiPoolDesc: output size must be >= 1, got 0x7", () -> RoiPoolDesc.of(0, 7, 1f));
        fails("RoiPoolDesc: spatialScale must be finite and > 0, got NaN", () -> RoiPoolDesc.of(7, 7, Float.NaN));
        fails("RoiPoolDesc: spatialScale must be finite and > 0, got -1.0", () -> RoiPoolDesc.of(7, 7, -1f));
        RoiPoolDesc d = RoiPoolDesc.of(2, 2, 1f);
        MemorySegment x = floats(2 * 1 * 4 * 4), out = floats(4), argmax = floats(4);
        fails("roi_pool: ROI 0 [5.0, 1.0, 4.0, 3.0] has x2 4.0 < x1 5.0 (rois=[1, 5])",
                () -> Pooling.roiPool(d, 2, 1, 4, 4, 1, MemorySegment.ofArray(new float[] {0, 5, 1, 4, 3}), 0,
                        x, 0, out, 0, argmax, 0, Parallelism.single()));
        fails("roi_pool: ROI 0 [1.0, 3.0, 2.0, 2.0] has y2 2.0 < y1 3.0",
                () -> Pooling.roiPool(d, 2, 1, 4, 4, 1, MemorySegment.ofArray(new float[] {0, 1, 3, 2, 2}), 0,
                        x, 0, out, 0, argmax, 0, Parallelism.single()));
        fails("roi_pool: ROI 0 has batch index 2.0, expected an integer in [0, 2)",
                () -> Pooling.roiPool(d, 2, 1, 4, 4, 1, MemorySegment.ofArray(new float[] {2, 0, 0, 1, 1}), 0,
                        x, 0, out, 0, argmax, 0, Parallelism.single()));
        fails("roi_pool: ROI 0 has batch index 0.5",
                () -> Pooling.roiPool(d, 2, 1, 4, 4, 1, MemorySegment.ofArray(new float[] {0.5f, 0, 0, 1, 1}), 0,
                        x, 0, out, 0, argmax, 0, Parallelism.single()));
        fails("roi_pool: ROI 0 has coordinate Infinity",
                () -> Pooling.roiPool(d, 2, 1, 4, 4, 1, MemorySegment.ofArray(new float[] {0, 0, 0, Float.POSITIVE_INFINITY, 1}), 0,
                        x, 0, out, 0, argmax, 0, Parallelism.single()));
        untouched(out);
        untouched(argmax);
        // the Caffe rule on request: the malformed box is one pixel at (round(x1), round(y1))
        MemorySegment img = MemorySegment.ofArray(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
        MemorySegment o = floats(1), a = MemorySegment.ofArray(new int[1]);
        Pooling.roiPool(RoiPoolDesc.of(1, 1, 1f).clampMalformed(true), 1, 1, 4, 4, 1,
                MemorySegment.ofArray(new float[] {0, 2, 1, 1, 0}), 0, img, 0, o, 0, a, 0, Parallelism.single());
        assertEquals(6f, o.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0));
        assertEquals(6, a.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, 0));
    }

    @Test
    void roiPartlyOutsideIsClippedAndEmptyBinsAreMarked() {
        // 1 image, 1 channel, 2x2 map; ROI from (-2,-2) to (1,1) in 2x2 bins: bins over rows/cols {-2,-1} are empty
        MemorySegment img = MemorySegment.ofArray(new float[] {1, 2, 3, 4});
        MemorySegment o = floats(4), a = MemorySegment.ofArray(new int[4]);
        Pooling.roiPool(RoiPoolDesc.of(2, 2, 1f), 1, 1, 2, 2, 1, MemorySegment.ofArray(new float[] {0, -2, -2, 1, 1}), 0,
                img, 0, o, 0, a, 0, Parallelism.single());
        float[] out = o.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
        int[] am = a.toArray(java.lang.foreign.ValueLayout.JAVA_INT);
        assertArrayEquals(new float[] {0, 0, 0, 4}, out);
        assertArrayEquals(new int[] {-1, -1, -1, 3}, am);
    }

    @Test
    void kernelEntryPointsCheckBuffersAndIndices() {
        Pool2dDesc d = Pool2dDesc.of(2);
        Parallelism one = Parallelism.single();
        MemorySegment x = floats(16), out = floats(4), dx = floats(16);
        fails("max_pool2d: x needs elements [0, 32) but its segment holds 16 elements",
                () -> Pooling.maxPool2d(d, 2, 1, 4, 4, x, 0, out, 0, ints(0, 0, 0, 0), 0, one));
        fails("max_pool2d: indices needs elements [0, 4) but its segment holds 3 elements",
                () -> Pooling.maxPool2d(d, 1, 1, 4, 4, x, 0, out, 0, ints(0, 0, 0), 0, one));
        fails("max_pool2d: x [0, 16) and out [2, 6) share memory",
                () -> Pooling.maxPool2d(d, 1, 1, 4, 4, x, 0, x, 2, ints(0, 0, 0, 0), 0, one));
        fails("max_pool2d_backward: indices[2] = 16 is outside [0, 16) (x=[1,1,4,4])",
                () -> Pooling.maxPool2dBackward(d, 1, 1, 4, 4, out, 0, ints(0, 1, 16, 3), 0, dx, 0, one));
        fails("max_pool2d_backward: indices[0] = -1 is outside [0, 16)",
                () -> Pooling.maxPool2dBackward(d, 1, 1, 4, 4, out, 0, ints(-1, 1, 2, 3), 0, dx, 0, one));
        untouched(dx);
        fails("max_unpool2d: indices[1] = 9 is outside [0, 9) (out=[1,1,3,3])",
                () -> Pooling.maxUnpool2d(1, 1, 1, 2, 3, 3, floats(2), 0, ints(0, 9), 0, dx, 0, one));
        fails("max_unpool2d_backward: indices[0] = 20 is outside [0, 16)",
                () -> Pooling.maxUnpool2dBackward(1, 1, 1, 2, 4, 4, dx, 0, ints(20, 0), 0, floats(2), 0, one));
        fails("global_avg_pool: x has empty planes (x=[1,2,0,3])", () -> Pooling.globalAvgPool(1, 2, 0, 3, x, 0, out, 0, one));
        fails("roi_pool_backward: argmax[1] = 16 is outside [-1, 16)",
                () -> Pooling.roiPoolBackward(RoiPoolDesc.of(1, 2, 1f), 1, 1, 4, 4, 1, MemorySegment.ofArray(new float[] {0, 0, 0, 3, 3}), 0,
                        floats(2), 0, ints(-1, 16), 0, dx, 0, one));
        untouched(dx);
        untouched(out);
    }
}

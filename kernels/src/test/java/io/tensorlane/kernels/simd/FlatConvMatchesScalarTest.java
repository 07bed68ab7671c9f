package io.tensorlane.kernels.simd;

import static io.tensorlane.kernels.ConvErrorBound.abs;
import static io.tensorlane.kernels.ConvErrorBound.arr;
import static io.tensorlane.kernels.ConvErrorBound.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static io.tensorlane.kernels.simd.ConvKernelCheck.geometry;
import static io.tensorlane.kernels.simd.ConvKernelCheck.heap;
import static io.tensorlane.kernels.simd.ConvKernelCheck.random;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.ref.ScalarConv;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The flat-plane kernels called directly (whatever {@link FlatConv#forward} would choose for the shape) against
 * the scalar twin: 1, 2 and 3 output channels (the 1 x 8 kernel), counts that are not a multiple of the
 * 4-channel block (the last block overlaps), 1 input channel, padding on every border, padding wider than
 * the kernel's reach (rows wider than w + pw), asymmetric padding, dilation 2, rectangular kernels, rows
 * narrower than a vector, heap segments, and backward-weights over several chunks with a short last one.
 * Tagged "simd": re-run at vector caps 128/256 and forced 512 bits. Tolerance as in
 * DirectConvMatchesScalarTest; 1 and 3 threads must be bit-identical.
 */
@Tag("simd")
class FlatConvMatchesScalarTest {
    private final ScalarConv twin = new ScalarConv();

    // n, c, h, w, f, kh, kw, sh, sw, ph, pw, dh, dw
    static final int[][] SHAPES = {
            {2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1},    // LeNet-5 conv1
            {2, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1},   // LeNet-5 conv2
            {2, 5, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1},     // the digits CNN's 8x8
            {2, 3, 4, 4, 9, 3, 3, 1, 1, 1, 1, 1, 1},      // 4x4, 9 filters
            {2, 1, 8, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1},      // F = 3 (1 x 8 kernel), C = 1
            {2, 3, 9, 11, 1, 3, 3, 1, 1, 1, 1, 1, 1},     // F = 1
            {2, 2, 7, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1},      // F = 2
            {2, 4, 7, 10, 13, 3, 2, 1, 1, 2, 1, 1, 1},    // odd F, rectangular kernel, pad >= kernel/2
            {2, 2, 6, 6, 5, 3, 3, 1, 1, 2, 3, 1, 1},      // padding wider than the kernel reaches (wpx = wo)
            {2, 3, 10, 10, 7, 3, 3, 1, 1, 2, 2, 2, 2},    // dilation 2
            {1, 2, 1, 9, 5, 1, 3, 1, 1, 0, 1, 1, 1},      // 1-D
            {2, 3, 6, 6, 4, 6, 6, 1, 1, 0, 0, 1, 1},      // 1x1 output
            {2, 7, 6, 6, 50, 5, 5, 1, 1, 2, 2, 1, 1},
            {2, 3, 9, 7, 10, 3, 3, 1, 1, 1, 1, 1, 1},     // 10 filters: channel pairs, the last pair in the last block
            {2, 10, 6, 9, 14, 3, 3, 1, 1, 0, 1, 1, 1},    // 14 filters forward, 10 input channels for backward-data
    };

    @Test
    void forwardMatchesTheTwin() {
        Random r = new Random(21);
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            assertTrue(FlatConv.supportsForward(g), g.toString());
            try (Arena a = Arena.ofShared()) {
                MemorySegment x = random(a, g.xSize(), r), w = random(a, g.wSize(), r), b = random(a, g.f(), r);
                MemorySegment yRef = a.allocate(g.ySize() * 4), yNb = a.allocate(g.ySize() * 4), mag = a.allocate(g.ySize() * 4);
                twin.conv2d(g, x, 0, w, 0, b, 0, yRef, 0, Parallelism.single());
                twin.conv2d(g, x, 0, w, 0, null, 0, yNb, 0, Parallelism.single());
                twin.conv2d(g, abs(a, x), 0, abs(a, w), 0, abs(a, b), 0, mag, 0, Parallelism.single());
                long n = g.cg() * g.kh() * g.kw();
                MemorySegment y1 = a.allocate(g.ySize() * 4), y3 = a.allocate(g.ySize() * 4);
                y1.fill((byte) 0x7f);
                FlatConv.conv2d(g, x, 0, w, 0, b, 0, y1, 0, Parallelism.single());
                FlatConv.conv2d(g, x, 0, w, 0, b, 0, y3, 0, Parallelism.threads(3));
                assertWithin("fwd " + g, arr(yRef), arr(y1), arr(mag), n + 1);
                assertArrayEquals(arr(y1), arr(y3), "threads " + g);
                MemorySegment yh = heap(y1);
                yh.fill((byte) 0x7f);
                FlatConv.conv2d(g, heap(x), 0, heap(w), 0, null, 0, yh, 0, Parallelism.single());
                assertWithin("fwd heap, no bias " + g, arr(yNb), arr(yh), arr(mag), n);
            }
        }
    }

    @Test
    void backwardDataMatchesTheTwin() {
        Random r = new Random(23);
        int tested = 0;
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            if (!FlatConv.supportsBackwardData(g)) continue;
            tested++;
            ConvKernelCheck.backwardData(g, r, (gg, d, w, dx, par) -> FlatConv.backwardData(gg, d, 0, w, 0, dx, 0, par));
        }
        assertTrue(tested >= 10, "backward-data shapes tested: " + tested);
    }

    @Test
    void backwardWeightsMatchesTheTwin() {
        Random r = new Random(27);
        int[][] extra = {
                {13, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1},  // LeNet conv1 over several chunks, a short last one
                {40, 2, 5, 7, 3, 2, 3, 1, 1, 1, 0, 1, 1},    // many images per chunk
        };
        int tested = 0;
        for (int[] s : java.util.stream.Stream.concat(java.util.Arrays.stream(SHAPES), java.util.Arrays.stream(extra))
                .toArray(int[][]::new)) {
            ConvGeometry g = geometry(s);
            if (!FlatConv.supportsBackwardWeights(g)) continue;
            tested++;
            ConvKernelCheck.backwardWeights(g, r, (gg, x, d, dw, par) -> FlatConv.backwardWeights(gg, x, 0, d, 0, dw, 0, par), true);
        }
        assertTrue(tested >= 10, "backward-weights shapes tested: " + tested);
    }

    @Test
    void choiceFollowsTheMeasuredRule() {
        Conv2dDesc p1 = Conv2dDesc.of(3).pad(1);
        // LeNet-5's layers go flat (but conv2's forward: DirectConv); the digits CNN's 4x4 (half the flat positions wasted) does not
        ConvGeometry lenet1 = Conv2dDesc.of(5).pad(2).forward(new long[] {64, 1, 28, 28}, new long[] {6, 1, 5, 5});
        ConvGeometry lenet2 = Conv2dDesc.of(5).forward(new long[] {64, 6, 14, 14}, new long[] {16, 6, 5, 5});
        ConvGeometry digits8 = p1.forward(new long[] {64, 32, 8, 8}, new long[] {32, 32, 3, 3});
        ConvGeometry digits4 = p1.forward(new long[] {64, 32, 4, 4}, new long[] {64, 32, 3, 3});
        if (VectorWidth.FLOAT.length() == 8) { // the rule counts the positions rounded up to whole vectors: AVX2's
            assertTrue(FlatConv.forward(lenet1) && FlatConv.backwardData(lenet1) && FlatConv.backwardWeights(lenet1));
            assertTrue(FlatConv.backwardData(lenet2) && FlatConv.backwardWeights(lenet2));
        }
        // DirectConv's image-broadcast block is faster: 32 summed channels on rows of 8, LeNet-5's 6->16 forward
        assertFalse(FlatConv.forward(digits8) || FlatConv.backwardData(digits8));
        if (VectorWidth.FLOAT.length() <= 8) { // 16 filters fill DirectConv's lanes up to AVX2
            assertTrue(DirectConv.forward(lenet2));
            assertFalse(FlatConv.forward(lenet2));
        } else {
            assertTrue(FlatConv.forward(lenet2));
        }
        if (VectorWidth.FLOAT.length() == 8) { // 17 filters: DirectConv wastes lanes, flat stays
            assertTrue(FlatConv.forward(p1.forward(new long[] {64, 32, 8, 8}, new long[] {17, 32, 3, 3})));
        }
        assertFalse(FlatConv.backwardWeights(digits8)); // 32 input channels
        // backward-data with >= 2 rows of padding skipped: LeNet-B's (1,250 taps) goes flat, up to 2,048 taps;
        // with 1 row (3x3 pad 1) DirectConv keeps it; the digits CNN's 1->32 (9 taps) goes flat forward only
        assertTrue(FlatConv.backwardData(Conv2dDesc.of(5).forward(new long[] {64, 20, 12, 12}, new long[] {50, 20, 5, 5})));
        assertFalse(FlatConv.backwardData(Conv2dDesc.of(5).forward(new long[] {64, 90, 12, 12}, new long[] {90, 90, 5, 5})));
        assertTrue(FlatConv.backwardData(Conv2dDesc.of(5).pad(2).forward(new long[] {64, 64, 8, 8}, new long[] {64, 64, 5, 5})));
        ConvGeometry digits1 = p1.forward(new long[] {64, 1, 8, 8}, new long[] {32, 1, 3, 3});
        assertTrue(FlatConv.forward(digits1));
        assertFalse(FlatConv.backwardData(digits1) || FlatConv.backwardWeights(digits1));
        assertFalse(FlatConv.forward(digits4) || FlatConv.backwardData(digits4) || FlatConv.backwardWeights(digits4));
        // unsupported: stride 2, groups, pointwise; large images stay on im2col
        assertFalse(FlatConv.supportsForward(Conv2dDesc.of(3).stride(2).pad(1).forward(new long[] {2, 3, 11, 9}, new long[] {9, 3, 3, 3})));
        assertFalse(FlatConv.supportsForward(p1.groups(2).forward(new long[] {2, 4, 8, 8}, new long[] {8, 2, 3, 3})));
        assertFalse(FlatConv.supportsForward(Conv2dDesc.of(1).forward(new long[] {2, 8, 5, 7}, new long[] {12, 8, 1, 1})));
        assertFalse(FlatConv.supportsBackwardData(Conv2dDesc.of(3).pad(3).forward(new long[] {2, 4, 6, 6}, new long[] {9, 4, 3, 3})));
        assertFalse(FlatConv.forward(p1.forward(new long[] {8, 64, 56, 56}, new long[] {64, 64, 3, 3})));
    }
}

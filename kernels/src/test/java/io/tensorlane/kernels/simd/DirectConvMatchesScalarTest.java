package io.tensorlane.kernels.simd;

import static io.tensorlane.kernels.ConvErrorBound.abs;
import static io.tensorlane.kernels.ConvErrorBound.arr;
import static io.tensorlane.kernels.ConvErrorBound.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static io.tensorlane.kernels.simd.ConvKernelCheck.geometry;
import static io.tensorlane.kernels.simd.ConvKernelCheck.random;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.ref.ScalarConv;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The direct kernels called directly (whatever {@link DirectConv#forward} would choose for the shape) against
 * the scalar twin: F below, equal to and not a multiple of the vector width, odd F, padding on every border,
 * stride 2, dilation 2, rectangular kernels, rows narrower than the 4-pixel block and rows whose last block
 * overlaps the previous one. Tagged "simd": re-run at vector caps 128/256 and forced 512 bits.
 *
 * <p>Tolerance as in ConvSimdMatchesScalarTest: both sides sum the same n products in float in different
 * orders, so each differs from the exact sum by at most n * 2^-24 * (sum of |products|); twice that bounds
 * their difference. The sum of |products| is the twin's result on |inputs|. 1 and 3 threads must be
 * bit-identical.
 */
@Tag("simd")
class DirectConvMatchesScalarTest {
    private final ScalarConv twin = new ScalarConv();

    // n, c, h, w, f, kh, kw, sh, sw, ph, pw, dh, dw
    static final int[][] SHAPES = {
            {3, 5, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1},
            {2, 1, 8, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1},     // F = 3, C = 1
            {2, 3, 9, 11, 1, 3, 3, 1, 1, 1, 1, 1, 1},    // F = 1
            {2, 4, 7, 10, 13, 3, 2, 1, 1, 2, 1, 1, 1},   // odd F, rectangular kernel, pad >= kernel/2
            {2, 2, 12, 12, 20, 5, 5, 1, 1, 0, 0, 1, 1},
            {2, 7, 6, 6, 50, 5, 5, 1, 1, 2, 2, 1, 1},
            {2, 3, 11, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1},    // stride 2
            {2, 3, 10, 10, 17, 3, 3, 1, 1, 2, 2, 2, 2},  // dilation 2
            {1, 2, 5, 5, 40, 3, 3, 2, 2, 1, 1, 1, 1},    // rows of 3 pixels
            {2, 3, 4, 4, 64, 3, 3, 1, 1, 1, 1, 1, 1},    // 4x4, F = 64
            {1, 2, 1, 9, 5, 1, 3, 1, 1, 0, 1, 1, 1},     // 1-D
            {2, 3, 6, 6, 4, 6, 6, 1, 1, 0, 0, 1, 1},     // 1x1 output
            {1, 3, 9, 9, 8, 2, 2, 3, 2, 0, 1, 1, 1},     // stride > kernel
            // a one-vector last filter block (DirectConv.padFor) at some vector width each: LeNet-B-like 8-pixel
            // rows, 13-pixel rows (overlapping 8-pixel blocks), 17-pixel rows, stride 2 with padding
            {2, 6, 12, 12, 50, 5, 5, 1, 1, 0, 0, 1, 1},
            {1, 3, 11, 13, 40, 3, 3, 1, 1, 1, 1, 1, 1},
            {2, 4, 10, 19, 9, 3, 3, 1, 1, 0, 0, 1, 1},
            {2, 3, 21, 21, 36, 3, 3, 2, 2, 1, 1, 1, 1},
    };

    @Test
    void someShapesUseTheOneVectorLastBlock() {
        // at every vector width some forward and some backward-data shape above takes the narrower last block
        int forward = 0, backwardData = 0;
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            if (DirectConv.padFor(g.f(), g.wo()) < DirectConv.pad(g.f())) forward++;
            if (DirectConv.supportsBackwardData(g) && DirectConv.padFor(g.c(), g.w()) < DirectConv.pad(g.c())) backwardData++;
        }
        assertTrue(forward >= 2 && backwardData >= 1, "forward " + forward + ", backward-data " + backwardData);
    }

    @Test
    void forwardMatchesTheTwin() {
        Random r = new Random(11);
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            assertTrue(DirectConv.supportsForward(g), g.toString());
            try (Arena a = Arena.ofShared()) {
                MemorySegment x = random(a, g.xSize(), r), w = random(a, g.wSize(), r), b = random(a, g.f(), r);
                MemorySegment yRef = a.allocate(g.ySize() * 4), mag = a.allocate(g.ySize() * 4);
                twin.conv2d(g, x, 0, w, 0, b, 0, yRef, 0, Parallelism.single());
                twin.conv2d(g, abs(a, x), 0, abs(a, w), 0, abs(a, b), 0, mag, 0, Parallelism.single());
                for (boolean bias : new boolean[] {true, false}) {
                    MemorySegment y1 = a.allocate(g.ySize() * 4), y3 = a.allocate(g.ySize() * 4);
                    y1.fill((byte) 0x7f);
                    DirectConv.conv2d(g, x, 0, w, 0, bias ? b : null, 0, y1, 0, Parallelism.single());
                    DirectConv.conv2d(g, x, 0, w, 0, bias ? b : null, 0, y3, 0, Parallelism.threads(3));
                    assertArrayEquals(arr(y1), arr(y3), "threads " + g);
                    if (bias) {
                        assertWithin("fwd " + g, arr(yRef), arr(y1), arr(mag), g.cg() * g.kh() * g.kw() + 1);
                    } else {
                        MemorySegment yNb = a.allocate(g.ySize() * 4);
                        twin.conv2d(g, x, 0, w, 0, null, 0, yNb, 0, Parallelism.single());
                        assertWithin("fwd no bias " + g, arr(yNb), arr(y1), arr(mag), g.cg() * g.kh() * g.kw());
                    }
                }
            }
        }
    }

    @Test
    void backwardDataMatchesTheTwin() {
        Random r = new Random(13);
        int tested = 0;
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            if (!DirectConv.supportsBackwardData(g)) continue;
            tested++;
            ConvKernelCheck.backwardData(g, r, (gg, d, w, dx, par) -> DirectConv.backwardData(gg, d, 0, w, 0, dx, 0, par));
        }
        assertTrue(tested >= 8, "backward-data shapes tested: " + tested);
    }

    @Test
    void backwardWeightsMatchesTheTwin() {
        Random r = new Random(17);
        // the shapes above plus the train nets' (few images each) and one where taps and filters swap axes
        int[][] extra = {
                {3, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1},   // LeNet conv1: filters as rows
                {3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1},  // LeNet conv2
                {5, 32, 4, 4, 64, 3, 3, 1, 1, 1, 1, 1, 1},   // digits conv3, several images per chunk
                {17, 3, 5, 3, 7, 2, 3, 1, 2, 1, 0, 1, 1},    // chunks of 17 images, a short last chunk
                // channels-last path (>= 8 channels filling the lanes at every width): stride (2, 1), rectangular
                // kernel, 7 filters (a padded filter block); dilation 2 with pad 2; 12 channels (lanes rounded
                // up at 128/256 bits); 67 images of 3x3 (chunks of 7, a short last chunk)
                {2, 48, 5, 7, 7, 3, 2, 2, 1, 1, 0, 1, 1},
                {2, 32, 6, 6, 5, 3, 3, 1, 1, 2, 2, 2, 2},
                {3, 12, 7, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1},
                {67, 32, 3, 3, 9, 3, 3, 1, 1, 1, 1, 1, 1},
        };
        int channelsLast = 0;
        int[][] all = java.util.stream.Stream.concat(java.util.Arrays.stream(SHAPES), java.util.Arrays.stream(extra))
                .toArray(int[][]::new);
        for (int[] s : all) {
            ConvGeometry g = geometry(s);
            assertTrue(DirectConv.supportsBackwardWeights(g), g.toString());
            if (DirectConv.channelsLastWeights(g)) channelsLast++;
            ConvKernelCheck.backwardWeights(g, r, (gg, x, d, dw, par) -> DirectConv.backwardWeights(gg, x, 0, d, 0, dw, 0, par), false);
        }
        assertTrue(channelsLast >= 4, "channels-last backward-weights shapes tested: " + channelsLast);
    }
}

package io.tensorlane.kernels.simd;

import static io.tensorlane.kernels.ConvErrorBound.abs;
import static io.tensorlane.kernels.ConvErrorBound.arr;
import static io.tensorlane.kernels.ConvErrorBound.assertWithin;
import static io.tensorlane.kernels.simd.ConvKernelCheck.geometry;
import static io.tensorlane.kernels.simd.ConvKernelCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.GemmKernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.ref.ScalarConv;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Winograd F(2x2, 3x3) called directly (whatever {@link WinogradConv#forward} would choose) against the scalar
 * twin's direct sums, within the error bound every convolution path is held to: channel counts that are not a
 * multiple of the vector (the pad channels), 1 channel, odd and even output sizes (the last tile row / column
 * cropped), padding 0, 1 and 2, rectangular images, 1x1 outputs, several chunks of tiles with a short last one,
 * batch 1 and 3; 1 and 3 threads bit-identical. Tagged "simd": re-run at vector caps 128/256 and forced 512 bits.
 */
@Tag("simd")
class WinogradConvMatchesScalarTest {
    private final ScalarConv twin = new ScalarConv();
    private final GemmKernels gemm = new VectorGemm();

    // n, c, h, w, f, kh, kw, sh, sw, ph, pw, dh, dw
    static final int[][] SHAPES = {
            {2, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1},   // a ResNet-style layer
            {1, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1},       // few channels, odd sizes
            {3, 17, 6, 5, 33, 3, 3, 1, 1, 0, 0, 1, 1},     // no padding, odd output width
            {2, 8, 5, 5, 16, 3, 3, 1, 1, 2, 2, 1, 1},      // padding 2 (output larger than the input)
            {1, 1, 1, 1, 8, 3, 3, 1, 1, 1, 1, 1, 1},       // 1x1 image and output, 1 channel
            {2, 9, 3, 3, 7, 3, 3, 1, 1, 0, 0, 1, 1},       // 1x1 output without padding
            {1, 12, 40, 36, 20, 3, 3, 1, 1, 1, 1, 1, 1},   // 360 tiles: two chunks, a short last one
            {2, 24, 1, 19, 10, 3, 3, 1, 1, 1, 1, 1, 1},    // a single row
    };

    @Test
    void forwardMatchesTheTwin() {
        Random r = new Random(31);
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            assertTrue(WinogradConv.supports(g), g.toString());
            try (Arena a = Arena.ofShared()) {
                MemorySegment x = random(a, g.xSize(), r), w = random(a, g.wSize(), r), b = random(a, g.f(), r);
                MemorySegment ref = a.allocate(g.ySize() * 4), refNb = a.allocate(g.ySize() * 4), mag = a.allocate(g.ySize() * 4);
                twin.conv2d(g, x, 0, w, 0, b, 0, ref, 0, Parallelism.single());
                twin.conv2d(g, x, 0, w, 0, null, 0, refNb, 0, Parallelism.single());
                twin.conv2d(g, abs(a, x), 0, abs(a, w), 0, abs(a, b), 0, mag, 0, Parallelism.single());
                long terms = g.c() * 9;
                MemorySegment y1 = a.allocate(g.ySize() * 4), y3 = a.allocate(g.ySize() * 4), yNb = a.allocate(g.ySize() * 4);
                y1.fill((byte) 0x7f);
                yNb.fill((byte) 0x7f);
                WinogradConv.conv2d(gemm, g, x, 0, w, 0, b, 0, y1, 0, Parallelism.single());
                WinogradConv.conv2d(gemm, g, x, 0, w, 0, b, 0, y3, 0, Parallelism.threads(3));
                WinogradConv.conv2d(gemm, g, x, 0, w, 0, null, 0, yNb, 0, Parallelism.single());
                assertWithin("fwd " + g, arr(ref), arr(y1), arr(mag), terms + 1);
                assertWithin("fwd, no bias " + g, arr(refNb), arr(yNb), arr(mag), terms);
                assertArrayEquals(arr(y1), arr(y3), "threads " + g);
            }
        }
    }

    @Test
    void backwardDataMatchesTheTwin() {
        Random r = new Random(37);
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            ConvKernelCheck.backwardData(g, r, (gg, d, w, dx, par) -> WinogradConv.backwardData(gemm, gg, d, 0, w, 0, dx, 0, par));
        }
    }

    @Test
    void offsetsAreHonoured() {
        Random r = new Random(41);
        ConvGeometry g = geometry(SHAPES[1]);
        try (Arena a = Arena.ofShared()) {
            long xo = 3, wo = 5, bo = 7, yo = 11;
            MemorySegment x = random(a, g.xSize() + xo, r), w = random(a, g.wSize() + wo, r), b = random(a, g.f() + bo, r);
            MemorySegment ref = a.allocate(g.ySize() * 4), mag = a.allocate(g.ySize() * 4);
            twin.conv2d(g, x.asSlice(xo * 4), 0, w.asSlice(wo * 4), 0, b.asSlice(bo * 4), 0, ref, 0, Parallelism.single());
            twin.conv2d(g, abs(a, x.asSlice(xo * 4)), 0, abs(a, w.asSlice(wo * 4)), 0, abs(a, b.asSlice(bo * 4)), 0, mag, 0,
                    Parallelism.single());
            MemorySegment y = a.allocate((g.ySize() + yo + 4) * 4);
            y.fill((byte) 0x7f);
            WinogradConv.conv2d(gemm, g, x, xo, w, wo, b, bo, y, yo, Parallelism.single());
            assertWithin("fwd at offsets " + g, arr(ref), arr(y.asSlice(yo * 4, g.ySize() * 4)), arr(mag), g.c() * 9 + 1);
            float[] all = arr(y);
            for (int i = 0; i < yo; i++) assertTrue(Float.floatToRawIntBits(all[i]) == 0x7f7f7f7f, "written before y at " + i);
            for (long i = yo + g.ySize(); i < all.length; i++) {
                assertTrue(Float.floatToRawIntBits(all[(int) i]) == 0x7f7f7f7f, "written after y at " + i);
            }
        }
    }

    @Test
    void choice() {
        Conv2dDesc p1 = Conv2dDesc.of(3).pad(1);
        ConvGeometry resnet = p1.forward(new long[] {8, 64, 56, 56}, new long[] {64, 64, 3, 3});
        ConvGeometry deep = p1.forward(new long[] {8, 256, 14, 14}, new long[] {256, 256, 3, 3});
        ConvGeometry digits = p1.forward(new long[] {64, 32, 8, 8}, new long[] {32, 32, 3, 3});
        assertTrue(WinogradConv.forward(resnet) && WinogradConv.backwardData(resnet));
        assertTrue(WinogradConv.forward(deep) && WinogradConv.backwardData(deep));
        assertFalse(WinogradConv.forward(digits)); // 32 channels on small maps: the direct kernels
        assertFalse(WinogradConv.forward(p1.forward(new long[] {8, 32, 28, 28}, new long[] {32, 32, 3, 3})));
        assertTrue(WinogradConv.forward(p1.forward(new long[] {8, 32, 56, 56}, new long[] {64, 32, 3, 3})));
        // not 3x3 stride 1 dilation 1 groups 1
        assertFalse(WinogradConv.supports(Conv2dDesc.of(3).pad(1).stride(2).forward(new long[] {1, 64, 8, 8}, new long[] {64, 64, 3, 3})));
        assertFalse(WinogradConv.supports(Conv2dDesc.of(3).pad(2).dilation(2).forward(new long[] {1, 64, 8, 8}, new long[] {64, 64, 3, 3})));
        assertFalse(WinogradConv.supports(Conv2dDesc.of(3).pad(1).groups(2).forward(new long[] {1, 64, 8, 8}, new long[] {64, 32, 3, 3})));
        assertFalse(WinogradConv.supports(Conv2dDesc.of(5).pad(2).forward(new long[] {1, 64, 8, 8}, new long[] {64, 64, 5, 5})));
        assertFalse(WinogradConv.supports(Conv2dDesc.of(3).pad(3).forward(new long[] {1, 64, 8, 8}, new long[] {64, 64, 3, 3})));
    }
}

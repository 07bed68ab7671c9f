package io.tensorlane.kernels;

import static io.tensorlane.kernels.ConvErrorBound.abs;
import static io.tensorlane.kernels.ConvErrorBound.arr;
import static io.tensorlane.kernels.ConvErrorBound.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The SIMD convolution family (column-tiled im2col + SGEMM, pointwise GEMM) against the scalar twin (direct
 * loops) on awkward shapes: 1x1 inputs, odd sizes, stride larger than the kernel, padding of at least half
 * the kernel, dilation 2, groups up to depthwise, batch 1, images spanning several column tiles, several images side by side in one GEMM (with a
 * partial last chunk), and the direct kernels (odd F, F below and not a multiple of the vector width,
 * padding on every border, stride 2, dilation 2, rows narrower than the pixel block). Tagged
 * "simd": re-run at vector caps 128/256 and forced 512 bits.
 *
 * <p>Tolerance: both sides sum the same n products in float in different orders, so each differs from
 * the exact sum by at most n * 2^-24 * (sum of |products|) (the standard recursive-summation bound, FMA
 * or not); the sum of |products| per element is computed by the twin on |inputs|. im2col is pure data
 * movement and must match exactly. Results for 1 and 3 threads must be bit-identical.
 */
@Tag("simd")
class ConvSimdMatchesScalarTest {
    private final KernelSet ref = Kernels.get(Impl.SCALAR);
    private final KernelSet simd = Kernels.get(Impl.SIMD);

    // n, c, h, w, f, kh, kw, sh, sw, ph, pw, dh, dw, groups
    static final int[][] SHAPES = {
            {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1},      // 1x1 input, 1x1 kernel
            {2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},      // odd sizes, same padding
            {1, 4, 11, 13, 6, 2, 3, 3, 4, 1, 2, 1, 1, 2},    // stride > kernel, groups 2, batch 1
            {3, 6, 9, 8, 6, 3, 3, 2, 2, 2, 2, 1, 1, 6},      // depthwise, padding >= kernel/2
            {2, 5, 13, 17, 7, 3, 3, 1, 2, 2, 1, 2, 2, 1},    // dilation 2
            {2, 8, 5, 7, 12, 1, 1, 1, 1, 0, 0, 1, 1, 4},     // pointwise with groups
            {3, 17, 5, 3, 9, 1, 1, 1, 1, 0, 0, 1, 1, 1},     // pointwise, odd
            {2, 4, 7, 7, 3, 1, 1, 2, 2, 0, 0, 1, 1, 1},      // 1x1 at stride 2: im2col path
            {1, 3, 33, 35, 17, 5, 5, 1, 1, 2, 2, 1, 1, 1},   // several column tiles
            {2, 16, 40, 40, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // several column tiles, K = 144
            {1, 2, 1, 9, 3, 1, 3, 1, 1, 0, 1, 1, 1, 1},      // 1-D (H = 1)
            {2, 3, 6, 6, 4, 6, 6, 1, 1, 0, 0, 1, 1, 1},      // kernel = image: 1x1 output
            {7, 20, 14, 14, 6, 5, 5, 1, 1, 0, 0, 1, 1, 1},   // several images per GEMM, last chunk partial
            {5, 4, 6, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2},      // several images per GEMM, groups 2
            {1, 3, 23, 83, 5, 11, 11, 4, 4, 2, 3, 1, 1, 1},  // AlexNet-like stride 4: vector gathers, tails, padding
            {2, 3, 9, 40, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1},     // stride 2 on the im2col path, rows of 20 pixels
            // direct path (groups 1, small images, >= 4 channels, F a multiple of the lanes: see simd/DirectConvChoiceTest;
            // simd/DirectConvMatchesScalarTest runs the direct kernels on every shape below)
            {3, 32, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1},    // Digits-like, F = 32, same padding on every border
            {2, 4, 11, 9, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1},    // stride 2 (forward direct, backward-data im2col)
            {2, 4, 10, 10, 64, 3, 3, 1, 1, 2, 2, 2, 2, 1},   // dilation 2, pad 2
            {2, 64, 4, 4, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1},    // 4x4 image, 64 channels: backward-data direct over C
            // shapes the direct kernels support but the choice may leave on im2col (width-dependent)
            {2, 3, 9, 11, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},     // F = 3 < lanes, odd sizes
            {2, 4, 7, 10, 13, 3, 2, 1, 1, 2, 1, 1, 1, 1},    // F = 13 (odd, not a multiple of lanes), pad >= kernel/2
            {2, 2, 12, 12, 20, 5, 5, 1, 1, 0, 0, 1, 1, 1},   // LeNet-A-like, F = 20 (one odd filter vector)
            {2, 3, 11, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1},     // stride 2, rows of 5 pixels (overlapping last block)
            {2, 3, 10, 10, 17, 3, 3, 1, 1, 2, 2, 2, 2, 1},   // dilation 2, pad 2
            {1, 2, 5, 5, 40, 3, 3, 2, 2, 1, 1, 1, 1, 1},     // rows of 3 pixels (1-pixel blocks), F = 40
            {2, 4, 6, 6, 9, 3, 3, 1, 1, 3, 3, 1, 1, 1},      // pad 3 > d(k-1): backward-data falls back to im2col
    };

    static ConvGeometry geometry(int[] s) {
        Conv2dDesc d = Conv2dDesc.of(s[5], s[6]).stride(s[7], s[8]).pad(s[9], s[10]).dilation(s[11], s[12]).groups(s[13]);
        return d.forward(new long[] {s[0], s[1], s[2], s[3]}, new long[] {s[4], s[1] / s[13], s[5], s[6]});
    }

    static MemorySegment random(Arena a, long n, Random r) {
        MemorySegment s = a.allocate(n * 4 + 12, 64).asSlice(4 * (r.nextInt(3)), n * 4); // odd 4-byte offsets
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
        return s;
    }

    @Test
    void convolutionMatchesTheTwinAndIsThreadCountIndependent() {
        Random r = new Random(5);
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            String at = g.toString();
            try (Arena a = Arena.ofShared()) {
                MemorySegment x = random(a, g.xSize(), r), w = random(a, g.wSize(), r), b = random(a, g.f(), r);
                MemorySegment dout = random(a, g.ySize(), r);
                MemorySegment ax = abs(a, x), aw = abs(a, w), ad = abs(a, dout);
                long kTerms = g.cg() * g.kh() * g.kw();

                // forward
                MemorySegment yRef = a.allocate(g.ySize() * 4), ySimd = a.allocate(g.ySize() * 4), mag = a.allocate(g.ySize() * 4);
                ref.conv().conv2d(g, x, 0, w, 0, b, 0, yRef, 0, Parallelism.single());
                ref.conv().conv2d(g, ax, 0, aw, 0, abs(a, b), 0, mag, 0, Parallelism.single());
                simd.conv().conv2d(g, x, 0, w, 0, b, 0, ySimd, 0, Parallelism.single());
                assertWithin("fwd " + at, arr(yRef), arr(ySimd), arr(mag), kTerms + 1);
                MemorySegment y3 = a.allocate(g.ySize() * 4);
                simd.conv().conv2d(g, x, 0, w, 0, b, 0, y3, 0, Parallelism.threads(3));
                assertArrayEquals(arr(ySimd), arr(y3), "fwd threads " + at);

                // backward data
                MemorySegment dxRef = a.allocate(g.xSize() * 4), dxSimd = a.allocate(g.xSize() * 4), dxMag = a.allocate(g.xSize() * 4);
                ref.conv().conv2dBackwardData(g, dout, 0, w, 0, dxRef, 0, Parallelism.single());
                ref.conv().conv2dBackwardData(g, ad, 0, aw, 0, dxMag, 0, Parallelism.single());
                dxSimd.fill((byte) 0x7f); // garbage: must be overwritten
                simd.conv().conv2dBackwardData(g, dout, 0, w, 0, dxSimd, 0, Parallelism.single());
                assertWithin("bwd-data " + at, arr(dxRef), arr(dxSimd), arr(dxMag), g.fg() * g.kh() * g.kw());
                MemorySegment dx3 = a.allocate(g.xSize() * 4);
                simd.conv().conv2dBackwardData(g, dout, 0, w, 0, dx3, 0, Parallelism.threads(3));
                assertArrayEquals(arr(dxSimd), arr(dx3), "bwd-data threads " + at);

                // backward weights
                MemorySegment dwRef = a.allocate(g.wSize() * 4), dwSimd = a.allocate(g.wSize() * 4), dwMag = a.allocate(g.wSize() * 4);
                ref.conv().conv2dBackwardWeights(g, x, 0, dout, 0, dwRef, 0, Parallelism.single());
                ref.conv().conv2dBackwardWeights(g, ax, 0, ad, 0, dwMag, 0, Parallelism.single());
                dwSimd.fill((byte) 0x7f);
                simd.conv().conv2dBackwardWeights(g, x, 0, dout, 0, dwSimd, 0, Parallelism.single());
                assertWithin("bwd-weights " + at, arr(dwRef), arr(dwSimd), arr(dwMag), g.n() * g.outPlane());
                MemorySegment dw3 = a.allocate(g.wSize() * 4);
                simd.conv().conv2dBackwardWeights(g, x, 0, dout, 0, dw3, 0, Parallelism.threads(3));
                assertArrayEquals(arr(dwSimd), arr(dw3), "bwd-weights threads " + at);

                // bias grad
                MemorySegment dbRef = a.allocate(g.f() * 4), dbSimd = a.allocate(g.f() * 4), dbMag = a.allocate(g.f() * 4);
                ref.conv().biasGrad(g.n(), g.f(), g.outPlane(), dout, 0, dbRef, 0);
                ref.conv().biasGrad(g.n(), g.f(), g.outPlane(), ad, 0, dbMag, 0);
                simd.conv().biasGrad(g.n(), g.f(), g.outPlane(), dout, 0, dbSimd, 0);
                assertWithin("db " + at, arr(dbRef), arr(dbSimd), arr(dbMag), g.n() * g.outPlane());
            }
        }
    }

    @Test
    void im2colIsExactAndCol2imIsItsAdjoint() {
        Random r = new Random(7);
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            Conv2dDesc d = Conv2dDesc.of(s[5], s[6]).stride(s[7], s[8]).pad(s[9], s[10]).dilation(s[11], s[12]);
            ConvGeometry cg = d.columns("im2col", g.c(), g.h(), g.w());
            long img = cg.c() * cg.plane(), cols = cg.colRows() * cg.outPlane();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment x = random(a, img, r), c = random(a, cols, r);
                MemorySegment cRef = a.allocate(cols * 4), cSimd = a.allocate(cols * 4);
                ref.conv().im2col(cg, x, 0, cRef, 0);
                cSimd.fill((byte) 0x7f);
                simd.conv().im2col(cg, x, 0, cSimd, 0);
                assertArrayEquals(arr(cRef), arr(cSimd), "im2col " + cg);
                MemorySegment xRef = a.allocate(img * 4), xSimd = a.allocate(img * 4), mag = a.allocate(img * 4);
                ref.conv().col2im(cg, c, 0, xRef, 0);
                ref.conv().col2im(cg, abs(a, c), 0, mag, 0);
                xSimd.fill((byte) 0x7f);
                simd.conv().col2im(cg, c, 0, xSimd, 0);
                assertWithin("col2im " + cg, arr(xRef), arr(xSimd), arr(mag), (long) cg.kh() * cg.kw());
                // adjoint: <im2col(x), c> == <x, col2im(c)> (in double, up to float rounding of col2im)
                double lhs = 0, rhs = 0, scale = 0;
                float[] cx = arr(cRef), cv = arr(c), xv = arr(x), back = arr(xRef);
                for (int i = 0; i < cx.length; i++) {
                    lhs += (double) cx[i] * cv[i];
                    scale += Math.abs((double) cx[i] * cv[i]);
                }
                for (int i = 0; i < xv.length; i++) rhs += (double) xv[i] * back[i];
                assertTrue(Math.abs(lhs - rhs) <= 1e-5 * (scale + 1), "adjoint " + cg + ": " + lhs + " vs " + rhs);
            }
        }
    }

    @Test
    void affineMatchesTheTwin() {
        Random r = new Random(9);
        int[][] dims = {{1, 1, 1}, {3, 7, 5}, {17, 33, 9}, {64, 65, 10}, {2, 129, 1}, {1, 20, 31}};
        for (int[] s : dims) {
            int n = s[0], d = s[1], m = s[2];
            try (Arena a = Arena.ofShared()) {
                MemorySegment x = random(a, (long) n * d, r), w = random(a, (long) d * m, r), b = random(a, m, r);
                MemorySegment dout = random(a, (long) n * m, r);
                MemorySegment[] refOut = {a.allocate(n * m * 4L), a.allocate(n * d * 4L), a.allocate(d * m * 4L), a.allocate(m * 4L)};
                MemorySegment[] simdOut = {a.allocate(n * m * 4L), a.allocate(n * d * 4L), a.allocate(d * m * 4L), a.allocate(m * 4L)};
                MemorySegment[] mag = {a.allocate(n * m * 4L), a.allocate(n * d * 4L), a.allocate(d * m * 4L), a.allocate(m * 4L)};
                ref.conv().affine(n, d, m, x, 0, w, 0, b, 0, refOut[0], 0, Parallelism.single());
                ref.conv().affineBackward(n, d, m, x, 0, w, 0, dout, 0, refOut[1], 0, refOut[2], 0, refOut[3], 0, Parallelism.single());
                MemorySegment ax = abs(a, x), aw = abs(a, w), ad = abs(a, dout);
                ref.conv().affine(n, d, m, ax, 0, aw, 0, abs(a, b), 0, mag[0], 0, Parallelism.single());
                ref.conv().affineBackward(n, d, m, ax, 0, aw, 0, ad, 0, mag[1], 0, mag[2], 0, mag[3], 0, Parallelism.single());
                simd.conv().affine(n, d, m, x, 0, w, 0, b, 0, simdOut[0], 0, Parallelism.threads(2));
                simd.conv().affineBackward(n, d, m, x, 0, w, 0, dout, 0, simdOut[1], 0, simdOut[2], 0, simdOut[3], 0, Parallelism.threads(2));
                long[] terms = {d + 1, m, n, n};
                String[] names = {"out", "dx", "dw", "db"};
                for (int i = 0; i < 4; i++) {
                    assertWithin("affine " + names[i] + " " + n + "x" + d + "x" + m, arr(refOut[i]), arr(simdOut[i]), arr(mag[i]), terms[i]);
                }
            }
        }
    }
}

package io.tensorlane.kernels.simd;

import static io.tensorlane.kernels.ConvErrorBound.abs;
import static io.tensorlane.kernels.ConvErrorBound.arr;
import static io.tensorlane.kernels.ConvErrorBound.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.ref.ScalarConv;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * What the direct conv kernels' tests share: the shape rows ({@code n, c, h, w, f, kh, kw, sh, sw, ph, pw, dh,
 * dw}), random inputs, and the backward checks against the scalar twin (the {@link io.tensorlane.kernels.ConvErrorBound}
 * bound, and 1 vs 3 threads bit-identical).
 */
final class ConvKernelCheck {
    private static final ScalarConv TWIN = new ScalarConv();

    private ConvKernelCheck() {
    }

    /** A backward direction of a kernel under test: {@code out} from the inputs {@code a, b} (offsets 0). */
    @FunctionalInterface
    interface Backward {
        void run(ConvGeometry g, MemorySegment a, MemorySegment b, MemorySegment out, Parallelism par);
    }

    static ConvGeometry geometry(int[] s) {
        Conv2dDesc d = Conv2dDesc.of(s[5], s[6]).stride(s[7], s[8]).pad(s[9], s[10]).dilation(s[11], s[12]);
        return d.forward(new long[] {s[0], s[1], s[2], s[3]}, new long[] {s[4], s[1], s[5], s[6]});
    }

    static MemorySegment random(Arena a, long n, Random r) {
        MemorySegment s = a.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
        return s;
    }

    static MemorySegment heap(MemorySegment s) {
        return MemorySegment.ofArray(s.toArray(ValueLayout.JAVA_FLOAT));
    }

    /** dx = backward-data(dout, w) of the kernel vs the twin, 1 and 3 threads. */
    static void backwardData(ConvGeometry g, Random r, Backward kernel) {
        try (Arena a = Arena.ofShared()) {
            MemorySegment dout = random(a, g.ySize(), r), w = random(a, g.wSize(), r);
            MemorySegment ref = a.allocate(g.xSize() * 4), mag = a.allocate(g.xSize() * 4);
            TWIN.conv2dBackwardData(g, dout, 0, w, 0, ref, 0, Parallelism.single());
            TWIN.conv2dBackwardData(g, abs(a, dout), 0, abs(a, w), 0, mag, 0, Parallelism.single());
            MemorySegment d1 = a.allocate(g.xSize() * 4), d3 = a.allocate(g.xSize() * 4);
            d1.fill((byte) 0x7f);
            kernel.run(g, dout, w, d1, Parallelism.single());
            kernel.run(g, dout, w, d3, Parallelism.threads(3));
            assertWithin("bwd-data " + g, arr(ref), arr(d1), arr(mag), g.fg() * g.kh() * g.kw());
            assertArrayEquals(arr(d1), arr(d3), "threads " + g);
        }
    }

    /**
     * dW = backward-weights(x, dout) of the kernel vs the twin, 1 and 3 threads; with {@code heapForThreads}
     * the 3-thread call reads heap copies of x and dout.
     */
    static void backwardWeights(ConvGeometry g, Random r, Backward kernel, boolean heapForThreads) {
        try (Arena a = Arena.ofShared()) {
            MemorySegment x = random(a, g.xSize(), r), dout = random(a, g.ySize(), r);
            MemorySegment ref = a.allocate(g.wSize() * 4), mag = a.allocate(g.wSize() * 4);
            TWIN.conv2dBackwardWeights(g, x, 0, dout, 0, ref, 0, Parallelism.single());
            TWIN.conv2dBackwardWeights(g, abs(a, x), 0, abs(a, dout), 0, mag, 0, Parallelism.single());
            MemorySegment d1 = a.allocate(g.wSize() * 4), d3 = a.allocate(g.wSize() * 4);
            d1.fill((byte) 0x7f);
            d3.fill((byte) 0x7f);
            kernel.run(g, x, dout, d1, Parallelism.single());
            kernel.run(g, heapForThreads ? heap(x) : x, heapForThreads ? heap(dout) : dout, d3, Parallelism.threads(3));
            assertWithin("bwd-weights " + g, arr(ref), arr(d1), arr(mag), g.n() * g.outPlane());
            assertArrayEquals(arr(d1), arr(d3), "threads " + g);
        }
    }
}

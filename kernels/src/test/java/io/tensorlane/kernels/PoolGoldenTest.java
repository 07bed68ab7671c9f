package io.tensorlane.kernels;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.stream.Stream;

import static io.tensorlane.kernels.FloatAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Both pooling implementations against the PyTorch/Caffe golden cases (src/test/resources/reference),
 * each case with its own tolerance; int32 indices must match exactly. Data sits at odd offsets in
 * guarded off-heap buffers.
 */
class PoolGoldenTest {
    static Stream<String> cases() {
        return Stream.of("maxpool2d", "avgpool2d", "global_avgpool", "max_unpool2d", "roi_pool")
                .flatMap(op -> GoldenCase.filesOf(op).stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void scalarMatchesGolden(String file) {
        verify(Kernels.get(Impl.SCALAR), GoldenCase.load(file));
    }

    @Tag("simd")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void simdMatchesGolden(String file) {
        verify(Kernels.get(Impl.SIMD), GoldenCase.load(file));
    }

    private static int p(GoldenCase c, String name) {
        return c.param(name).asInt();
    }

    private static void verify(KernelSet k, GoldenCase c) {
        String op = c.root().get("op").asText();
        PoolKernels pool = k.pool();
        try (Arena arena = Arena.ofConfined()) {
            GuardedBuffer.Memory mem = GuardedBuffer.Memory.NATIVE;
            switch (op) {
                case "maxpool2d", "avgpool2d" -> {
                    long[] xs = c.shape("inputs", "x");
                    Pool2dDesc d = Pool2dDesc.of(p(c, "kh"), p(c, "kw")).stride(p(c, "stride_h"), p(c, "stride_w"))
                            .pad(p(c, "pad_h"), p(c, "pad_w"));
                    long[] os = d.outputShape(op, xs);
                    long planes = xs[0] * xs[1], ol = planes * os[2] * os[3], xl = planes * xs[2] * xs[3];
                    GuardedBuffer x = GuardedBuffer.floats(mem, arena, 3, c.floats("inputs", "x"));
                    GuardedBuffer g = GuardedBuffer.floats(mem, arena, 1, c.floats("inputs", "dout"));
                    GuardedBuffer out = GuardedBuffer.floats(mem, arena, 5, ol);
                    GuardedBuffer dx = GuardedBuffer.floats(mem, arena, 2, xl);
                    if (op.equals("maxpool2d")) {
                        GuardedBuffer idx = GuardedBuffer.ints(mem, arena, 1, ol);
                        pool.maxPool2d(planes, xs[2], xs[3], d, x.seg, x.off, out.seg, out.off, idx.seg, idx.off);
                        assertArrayEquals(c.ints("outputs", "indices"), idx.toInts(), c + " indices");
                        pool.maxPool2dBackward(planes, xs[2], xs[3], d, g.seg, g.off, idx.seg, idx.off, dx.seg, dx.off);
                        idx.assertGuardsIntact("indices");
                    } else {
                        pool.avgPool2d(planes, xs[2], xs[3], d, x.seg, x.off, out.seg, out.off);
                        pool.avgPool2dBackward(planes, xs[2], xs[3], d, g.seg, g.off, dx.seg, dx.off);
                    }
                    assertClose(c + " out", c.floats("outputs", "out"), out.toFloats(), c.rtol(), c.atol());
                    assertClose(c + " dx", c.floats("grads", "dx"), dx.toFloats(), c.rtol(), c.atol());
                    out.assertGuardsIntact("out");
                    dx.assertGuardsIntact("dx");
                }
                case "global_avgpool" -> {
                    long[] xs = c.shape("inputs", "x");
                    long planes = xs[0] * xs[1], hw = xs[2] * xs[3];
                    GuardedBuffer x = GuardedBuffer.floats(mem, arena, 3, c.floats("inputs", "x"));
                    GuardedBuffer g = GuardedBuffer.floats(mem, arena, 1, c.floats("inputs", "dout"));
                    GuardedBuffer out = GuardedBuffer.floats(mem, arena, 5, planes);
                    GuardedBuffer dx = GuardedBuffer.floats(mem, arena, 2, planes * hw);
                    pool.globalAvgPool(planes, hw, x.seg, x.off, out.seg, out.off);
                    pool.globalAvgPoolBackward(planes, hw, g.seg, g.off, dx.seg, dx.off);
                    assertClose(c + " out", c.floats("outputs", "out"), out.toFloats(), c.rtol(), c.atol());
                    assertClose(c + " dx", c.floats("grads", "dx"), dx.toFloats(), c.rtol(), c.atol());
                }
                case "max_unpool2d" -> {
                    long[] xs = c.shape("inputs", "x");
                    long planes = xs[0] * xs[1], inHW = xs[2] * xs[3], outHW = (long) p(c, "H") * p(c, "W");
                    GuardedBuffer x = GuardedBuffer.floats(mem, arena, 3, c.floats("inputs", "x"));
                    GuardedBuffer idx = GuardedBuffer.ints(mem, arena, 1, c.ints("inputs", "indices"));
                    GuardedBuffer g = GuardedBuffer.floats(mem, arena, 1, c.floats("inputs", "dout"));
                    GuardedBuffer out = GuardedBuffer.floats(mem, arena, 5, planes * outHW);
                    GuardedBuffer dx = GuardedBuffer.floats(mem, arena, 2, planes * inHW);
                    pool.maxUnpool2d(planes, inHW, outHW, x.seg, x.off, idx.seg, idx.off, out.seg, out.off);
                    pool.maxUnpool2dBackward(planes, inHW, outHW, g.seg, g.off, idx.seg, idx.off, dx.seg, dx.off);
                    assertClose(c + " out", c.floats("outputs", "out"), out.toFloats(), c.rtol(), c.atol());
                    assertClose(c + " dx", c.floats("grads", "dx"), dx.toFloats(), c.rtol(), c.atol());
                    out.assertGuardsIntact("out");
                }
                case "roi_pool" -> {
                    long[] xs = c.shape("inputs", "x");
                    long r = c.shape("inputs", "rois")[0];
                    RoiPoolDesc d = RoiPoolDesc.of(p(c, "pooled_h"), p(c, "pooled_w"), c.param("spatial_scale").floatValue())
                            .clampMalformed(true);
                    long ol = r * xs[1] * d.pooledH() * d.pooledW();
                    GuardedBuffer x = GuardedBuffer.floats(mem, arena, 3, c.floats("inputs", "x"));
                    GuardedBuffer rois = GuardedBuffer.floats(mem, arena, 1, c.floats("inputs", "rois"));
                    GuardedBuffer g = GuardedBuffer.floats(mem, arena, 1, c.floats("inputs", "dout"));
                    GuardedBuffer out = GuardedBuffer.floats(mem, arena, 5, ol);
                    GuardedBuffer am = GuardedBuffer.ints(mem, arena, 1, ol);
                    GuardedBuffer dx = GuardedBuffer.floats(mem, arena, 2, xs[0] * xs[1] * xs[2] * xs[3]);
                    d.checkRois("roi_pool", rois.seg, rois.off, r, xs[0]);
                    pool.roiPool(0, r, xs[1], xs[2], xs[3], d, rois.seg, rois.off, x.seg, x.off, out.seg, out.off, am.seg, am.off);
                    assertArrayEquals(c.ints("outputs", "argmax"), am.toInts(), c + " argmax");
                    pool.roiPoolBackward(0, xs[1], xs[0], xs[1], xs[2], xs[3], r, d, rois.seg, rois.off, g.seg, g.off,
                            am.seg, am.off, dx.seg, dx.off);
                    assertClose(c + " out", c.floats("outputs", "out"), out.toFloats(), c.rtol(), c.atol());
                    assertClose(c + " dx", c.floats("grads", "dx"), dx.toFloats(), c.rtol(), c.atol());
                    out.assertGuardsIntact("out");
                    dx.assertGuardsIntact("dx");
                }
                default -> throw new IllegalStateException("unexpected op " + op);
            }
        }
    }
}

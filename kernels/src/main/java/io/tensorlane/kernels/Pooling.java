package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Validating entry points for {@link PoolKernels}: 2-D max/average pooling, global average pooling,
 * max unpooling and Fast R-CNN ROI pooling over contiguous NCHW float32 tensors (offsets in elements,
 * indices int32 flat {@code h*W + w} inside their own (n, c) plane). Work is split over the N*C planes
 * (ROI pooling: over ROIs forward, channels backward) in chunks fixed by the shape, so results do not
 * depend on the thread count. Outputs must not overlap inputs. Backward calls overwrite dx.
 * Geometry and semantics: {@link Pool2dDesc}, {@link RoiPoolDesc}, {@link PoolKernels}.
 */
public final class Pooling {
    /** Elements per parallel chunk (whole planes, at least one). */
    public static final long GRAIN = 1 << 16;

    private Pooling() {
    }

    /** Planes per chunk for planes of {@code planeElems} elements. */
    public static long planeGrain(long planeElems) {
        return Math.max(1, GRAIN / Math.max(1, planeElems));
    }

    /** x (n, c, h, w) -&gt; out, idx (n, c, outH, outW): max pool with argmax (int32 flat index in the plane). */
    public static void maxPool2d(Pool2dDesc d, long n, long c, long h, long w, MemorySegment x, long xOff,
                                 MemorySegment out, long outOff, MemorySegment idx, long idxOff, Parallelism par) {
        String op = "max_pool2d";
        long[] os = d.outputShape(op, n, c, h, w);
        long xl = n * c * h * w, ol = Checks.numel(op, "out", os);
        Checks.floats(op, "x", x, xOff, xl);
        Checks.floats(op, "out", out, outOff, ol);
        Checks.ints(op, "indices", idx, idxOff, ol);
        Checks.disjoint(op, "x", x, xOff, xl, Float.BYTES, "out", out, outOff, ol, Float.BYTES);
        Checks.disjoint(op, "x", x, xOff, xl, Float.BYTES, "indices", idx, idxOff, ol, Integer.BYTES);
        Checks.disjoint(op, "out", out, outOff, ol, Float.BYTES, "indices", idx, idxOff, ol, Integer.BYTES);
        PoolKernels k = Kernels.get().pool();
        long ohw = os[2] * os[3];
        par.parallelFor(0, n * c, planeGrain(h * w), (p0, p1) -> k.maxPool2d(p1 - p0, h, w, d,
                x, xOff + p0 * h * w, out, outOff + p0 * ohw, idx, idxOff + p0 * ohw));
    }

    /** dout, idx (n, c, outH, outW) -&gt; dx (n, c, h, w) = scatter-add of dout at idx (indices in [0, h*w)). */
    public static void maxPool2dBackward(Pool2dDesc d, long n, long c, long h, long w, MemorySegment dout, long doutOff,
                                         MemorySegment idx, long idxOff, MemorySegment dx, long dxOff, Parallelism par) {
        String op = "max_pool2d_backward";
        long[] os = d.outputShape(op, n, c, h, w);
        long xl = n * c * h * w, ol = Checks.numel(op, "dout", os);
        Checks.floats(op, "dout", dout, doutOff, ol);
        Checks.ints(op, "indices", idx, idxOff, ol);
        Checks.floats(op, "dx", dx, dxOff, xl);
        Checks.disjoint(op, "dout", dout, doutOff, ol, Float.BYTES, "dx", dx, dxOff, xl, Float.BYTES);
        Checks.disjoint(op, "indices", idx, idxOff, ol, Integer.BYTES, "dx", dx, dxOff, xl, Float.BYTES);
        checkIndices(op, "indices", idx, idxOff, ol, 0, h * w, "x=" + dims(n, c, h, w));
        PoolKernels k = Kernels.get().pool();
        long ohw = os[2] * os[3];
        par.parallelFor(0, n * c, planeGrain(h * w), (p0, p1) -> k.maxPool2dBackward(p1 - p0, h, w, d,
                dout, doutOff + p0 * ohw, idx, idxOff + p0 * ohw, dx, dxOff + p0 * h * w));
    }

    /** x (n, c, h, w) -&gt; out (n, c, outH, outW): window mean (divisor: {@link Pool2dDesc}). */
    public static void avgPool2d(Pool2dDesc d, long n, long c, long h, long w, MemorySegment x, long xOff,
                                 MemorySegment out, long outOff, Parallelism par) {
        String op = "avg_pool2d";
        long[] os = d.outputShape(op, n, c, h, w);
        long xl = n * c * h * w, ol = Checks.numel(op, "out", os);
        Checks.floats(op, "x", x, xOff, xl);
        Checks.floats(op, "out", out, outOff, ol);
        Checks.disjoint(op, "x", x, xOff, xl, Float.BYTES, "out", out, outOff, ol, Float.BYTES);
        PoolKernels k = Kernels.get().pool();
        long ohw = os[2] * os[3];
        par.parallelFor(0, n * c, planeGrain(h * w), (p0, p1) -> k.avgPool2d(p1 - p0, h, w, d,
                x, xOff + p0 * h * w, out, outOff + p0 * ohw));
    }

    /** dout (n, c, outH, outW) -&gt; dx (n, c, h, w). */
    public static void avgPool2dBackward(Pool2dDesc d, long n, long c, long h, long w, MemorySegment dout, long doutOff,
                                         MemorySegment dx, long dxOff, Parallelism par) {
        String op = "avg_pool2d_backward";
        long[] os = d.outputShape(op, n, c, h, w);
        long xl = n * c * h * w, ol = Checks.numel(op, "dout", os);
        Checks.floats(op, "dout", dout, doutOff, ol);
        Checks.floats(op, "dx", dx, dxOff, xl);
        Checks.disjoint(op, "dout", dout, doutOff, ol, Float.BYTES, "dx", dx, dxOff, xl, Float.BYTES);
        PoolKernels k = Kernels.get().pool();
        long ohw = os[2] * os[3];
        par.parallelFor(0, n * c, planeGrain(h * w), (p0, p1) -> k.avgPool2dBackward(p1 - p0, h, w, d,
                dout, doutOff + p0 * ohw, dx, dxOff + p0 * h * w));
    }

    /** x (n, c, h, w) -&gt; out (n, c) (= (n, c, 1, 1)): mean of each plane; h*w must be &gt; 0. */
    public static void globalAvgPool(long n, long c, long h, long w, MemorySegment x, long xOff,
                                     MemorySegment out, long outOff, Parallelism par) {
        String op = "global_avg_pool";
        long hw = globalPlane(op, n, c, h, w);
        long planes = n * c;
        Checks.floats(op, "x", x, xOff, planes * hw);
        Checks.floats(op, "out", out, outOff, planes);
        Checks.disjoint(op, "x", x, xOff, planes * hw, Float.BYTES, "out", out, outOff, planes, Float.BYTES);
        PoolKernels k = Kernels.get().pool();
        par.parallelFor(0, planes, planeGrain(hw), (p0, p1) -> k.globalAvgPool(p1 - p0, hw,
                x, xOff + p0 * hw, out, outOff + p0));
    }

    /** dout (n, c) -&gt; dx (n, c, h, w) = dout / (h*w) broadcast. */
    public static void globalAvgPoolBackward(long n, long c, long h, long w, MemorySegment dout, long doutOff,
                                             MemorySegment dx, long dxOff, Parallelism par) {
        String op = "global_avg_pool_backward";
        long hw = globalPlane(op, n, c, h, w);
        long planes = n * c;
        Checks.floats(op, "dout", dout, doutOff, planes);
        Checks.floats(op, "dx", dx, dxOff, planes * hw);
        Checks.disjoint(op, "dout", dout, doutOff, planes, Float.BYTES, "dx", dx, dxOff, planes * hw, Float.BYTES);
        PoolKernels k = Kernels.get().pool();
        par.parallelFor(0, planes, planeGrain(hw), (p0, p1) -> k.globalAvgPoolBackward(p1 - p0, hw,
                dout, doutOff + p0, dx, dxOff + p0 * hw));
    }

    /** h*w of a non-empty plane, validated. */
    public static long globalPlane(String op, long n, long c, long h, long w) {
        long[] shape = {n, c, h, w};
        Checks.numel(op, "x", shape);
        if (h == 0 || w == 0) {
            throw new IllegalArgumentException(op + ": x has empty planes (x=" + dims(shape) + ")");
        }
        return h * w;
    }

    /**
     * x, idx (n, c, inH, inW) -&gt; out (n, c, outH, outW): zero except out.flat[idx] = x (indices in
     * [0, outH*outW); with duplicates in a plane the last in row-major order wins).
     */
    public static void maxUnpool2d(long n, long c, long inH, long inW, long outH, long outW, MemorySegment x, long xOff,
                                   MemorySegment idx, long idxOff, MemorySegment out, long outOff, Parallelism par) {
        String op = "max_unpool2d";
        long[] in = {n, c, inH, inW}, os = {n, c, outH, outW};
        long il = Checks.numel(op, "x", in), ol = Checks.numel(op, "out", os);
        long inHW = inH * inW, outHW = outH * outW;
        if (outHW > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": output plane " + outH + "x" + outW + " exceeds the int32 index range");
        }
        Checks.floats(op, "x", x, xOff, il);
        Checks.ints(op, "indices", idx, idxOff, il);
        Checks.floats(op, "out", out, outOff, ol);
        Checks.disjoint(op, "x", x, xOff, il, Float.BYTES, "out", out, outOff, ol, Float.BYTES);
        Checks.disjoint(op, "indices", idx, idxOff, il, Integer.BYTES, "out", out, outOff, ol, Float.BYTES);
        checkIndices(op, "indices", idx, idxOff, il, 0, outHW, "out=" + dims(os));
        PoolKernels k = Kernels.get().pool();
        par.parallelFor(0, n * c, planeGrain(outHW), (p0, p1) -> k.maxUnpool2d(p1 - p0, inHW, outHW,
                x, xOff + p0 * inHW, idx, idxOff + p0 * inHW, out, outOff + p0 * outHW));
    }

    /** dout (n, c, outH, outW), idx (n, c, inH, inW) -&gt; dx (n, c, inH, inW) = dout.flat[idx]. */
    public static void maxUnpool2dBackward(long n, long c, long inH, long inW, long outH, long outW,
                                           MemorySegment dout, long doutOff, MemorySegment idx, long idxOff,
                                           MemorySegment dx, long dxOff, Parallelism par) {
        String op = "max_unpool2d_backward";
        long[] in = {n, c, inH, inW}, os = {n, c, outH, outW};
        long il = Checks.numel(op, "dx", in), ol = Checks.numel(op, "dout", os);
        long inHW = inH * inW, outHW = outH * outW;
        Checks.floats(op, "dout", dout, doutOff, ol);
        Checks.ints(op, "indices", idx, idxOff, il);
        Checks.floats(op, "dx", dx, dxOff, il);
        Checks.disjoint(op, "dout", dout, doutOff, ol, Float.BYTES, "dx", dx, dxOff, il, Float.BYTES);
        Checks.disjoint(op, "indices", idx, idxOff, il, Integer.BYTES, "dx", dx, dxOff, il, Float.BYTES);
        checkIndices(op, "indices", idx, idxOff, il, 0, outHW, "dout=" + dims(os));
        PoolKernels k = Kernels.get().pool();
        par.parallelFor(0, n * c, planeGrain(inHW), (p0, p1) -> k.maxUnpool2dBackward(p1 - p0, inHW, outHW,
                dout, doutOff + p0 * outHW, idx, idxOff + p0 * inHW, dx, dxOff + p0 * inHW));
    }

    /**
     * x (n, c, h, w), rois (numRois, 5) -&gt; out, argmax (numRois, c, pooledH, pooledW); see
     * {@link RoiPoolDesc} for the bin rule, clipping and malformed ROIs.
     */
    public static void roiPool(RoiPoolDesc d, long n, long c, long h, long w, long numRois, MemorySegment rois, long roisOff,
                               MemorySegment x, long xOff, MemorySegment out, long outOff,
                               MemorySegment argmax, long argmaxOff, Parallelism par) {
        String op = "roi_pool";
        long xl = roiMap(op, n, c, h, w);
        Checks.nonNegative(op, "number of ROIs", numRois);
        long ol = Checks.numel(op, "out", numRois, c, d.pooledH(), d.pooledW());
        Checks.floats(op, "x", x, xOff, xl);
        Checks.floats(op, "out", out, outOff, ol);
        Checks.ints(op, "argmax", argmax, argmaxOff, ol);
        Checks.disjoint(op, "x", x, xOff, xl, Float.BYTES, "out", out, outOff, ol, Float.BYTES);
        Checks.disjoint(op, "x", x, xOff, xl, Float.BYTES, "argmax", argmax, argmaxOff, ol, Integer.BYTES);
        Checks.disjoint(op, "out", out, outOff, ol, Float.BYTES, "argmax", argmax, argmaxOff, ol, Integer.BYTES);
        d.checkRois(op, rois, roisOff, numRois, n);
        Checks.disjoint(op, "rois", rois, roisOff, numRois * 5, Float.BYTES, "out", out, outOff, ol, Float.BYTES);
        Checks.disjoint(op, "rois", rois, roisOff, numRois * 5, Float.BYTES, "argmax", argmax, argmaxOff, ol, Integer.BYTES);
        PoolKernels k = Kernels.get().pool();
        long perRoi = c * d.pooledH() * d.pooledW() * 4L;
        par.parallelFor(0, numRois, planeGrain(perRoi), (r0, r1) -> k.roiPool(r0, r1, c, h, w, d, rois, roisOff,
                x, xOff, out, outOff, argmax, argmaxOff));
    }

    /**
     * dout, argmax (numRois, c, pooledH, pooledW), rois (numRois, 5) -&gt; dx (n, c, h, w):
     * scatter-add of dout at argmax (-1 skipped; others must be in [0, h*w)).
     */
    public static void roiPoolBackward(RoiPoolDesc d, long n, long c, long h, long w, long numRois,
                                       MemorySegment rois, long roisOff, MemorySegment dout, long doutOff,
                                       MemorySegment argmax, long argmaxOff, MemorySegment dx, long dxOff, Parallelism par) {
        String op = "roi_pool_backward";
        long xl = roiMap(op, n, c, h, w);
        Checks.nonNegative(op, "number of ROIs", numRois);
        long ol = Checks.numel(op, "dout", numRois, c, d.pooledH(), d.pooledW());
        Checks.floats(op, "dout", dout, doutOff, ol);
        Checks.ints(op, "argmax", argmax, argmaxOff, ol);
        Checks.floats(op, "dx", dx, dxOff, xl);
        Checks.disjoint(op, "dout", dout, doutOff, ol, Float.BYTES, "dx", dx, dxOff, xl, Float.BYTES);
        Checks.disjoint(op, "argmax", argmax, argmaxOff, ol, Integer.BYTES, "dx", dx, dxOff, xl, Float.BYTES);
        d.checkRois(op, rois, roisOff, numRois, n);
        Checks.disjoint(op, "rois", rois, roisOff, numRois * 5, Float.BYTES, "dx", dx, dxOff, xl, Float.BYTES);
        checkIndices(op, "argmax", argmax, argmaxOff, ol, -1, h * w, "x=" + dims(n, c, h, w));
        PoolKernels k = Kernels.get().pool();
        par.parallelFor(0, c, planeGrain(n * h * w), (c0, c1) -> k.roiPoolBackward(c0, c1, n, c, h, w, numRois, d,
                rois, roisOff, dout, doutOff, argmax, argmaxOff, dx, dxOff));
    }

    /** Elements of a validated ROI feature map (n, c, h, w); h*w must fit int32 indices. */
    public static long roiMap(String op, long n, long c, long h, long w) {
        long[] shape = {n, c, h, w};
        long xl = Checks.numel(op, "x", shape);
        if (h * w > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": plane H*W = " + h * w + " exceeds the int32 index range (x="
                    + dims(shape) + ")");
        }
        return xl;
    }

    /** A shape as in messages: {@code [1,3,8,8]}. */
    static String dims(long... shape) {
        return Arrays.toString(shape).replace(" ", "");
    }

    /**
     * Every int32 in {@code seg[off, off+len)} lies in [lo, hi); otherwise an IllegalArgumentException
     * naming the first bad position and value. Reads only.
     */
    public static void checkIndices(String op, String arg, MemorySegment seg, long off, long len, long lo, long hi,
                                    String context) {
        for (long i = 0; i < len; i++) {
            int v = seg.getAtIndex(JAVA_INT, off + i);
            if (v < lo || v >= hi) {
                throw new IllegalArgumentException(op + ": " + arg + "[" + i + "] = " + v + " is outside [" + lo + ", "
                        + hi + ") (" + context + ")");
            }
        }
    }
}

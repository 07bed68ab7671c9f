package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Pooling over consecutive NCHW planes (float32, offsets in elements; indices int32 flat {@code h*W + w}
 * inside their own plane, PyTorch's convention). A "plane" is one (n, c) image of {@code h x w};
 * the plane-wise kernels process {@code planes} planes stored one after another, so a caller may
 * split N*C planes into chunks. Backward kernels <b>overwrite</b> dx. Unchecked: see {@link Pooling}.
 *
 * <p>Max pooling selects, in row-major window order, {@code v > best || isNaN(v)} starting from
 * -Infinity at the first real element (PyTorch's CPU rule): the first maximum wins ties and a NaN
 * propagates. Padded positions are never selected.
 */
public interface PoolKernels {
    /** out, idx (planes, outH, outW) = max pool of x (planes, h, w) */
    void maxPool2d(long planes, long h, long w, Pool2dDesc d, MemorySegment x, long xOff,
                   MemorySegment out, long outOff, MemorySegment idx, long idxOff);

    /** dx (planes, h, w) = 0, then dx.flat[idx] += dout for every output (idx in [0, h*w)) */
    void maxPool2dBackward(long planes, long h, long w, Pool2dDesc d, MemorySegment dout, long doutOff,
                           MemorySegment idx, long idxOff, MemorySegment dx, long dxOff);

    /** out (planes, outH, outW) = window mean of x (planes, h, w) (divisor: see {@link Pool2dDesc}) */
    void avgPool2d(long planes, long h, long w, Pool2dDesc d, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** dx (planes, h, w) = sum over windows holding the element of dout / divisor */
    void avgPool2dBackward(long planes, long h, long w, Pool2dDesc d, MemorySegment dout, long doutOff,
                           MemorySegment dx, long dxOff);

    /** out[planes] = mean of each plane of hw elements (hw &gt; 0) */
    void globalAvgPool(long planes, long hw, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** dx (planes, hw) = dout[p] / hw broadcast over each plane */
    void globalAvgPoolBackward(long planes, long hw, MemorySegment dout, long doutOff, MemorySegment dx, long dxOff);

    /**
     * out (planes, outHW) = 0, then out.flat[idx] = x for each of the inHW elements of a plane, in
     * order (with duplicate indices the last one wins); idx in [0, outHW)
     */
    void maxUnpool2d(long planes, long inHW, long outHW, MemorySegment x, long xOff, MemorySegment idx, long idxOff,
                     MemorySegment out, long outOff);

    /** dx (planes, inHW) = dout.flat[idx] (a gather); idx in [0, outHW) */
    void maxUnpool2dBackward(long planes, long inHW, long outHW, MemorySegment dout, long doutOff,
                             MemorySegment idx, long idxOff, MemorySegment dx, long dxOff);

    /**
     * ROIs {@code [r0, r1)} of {@code rois (R, 5)}: out, argmax (R, channels, pooledH, pooledW) from x
     * (N, channels, h, w); argmax -1 and out 0 for an empty bin. Offsets point at the whole arrays.
     */
    void roiPool(long r0, long r1, long channels, long h, long w, RoiPoolDesc d, MemorySegment rois, long roisOff,
                 MemorySegment x, long xOff, MemorySegment out, long outOff, MemorySegment argmax, long argmaxOff);

    /**
     * Channels {@code [c0, c1)} of dx (n, channels, h, w): zeroed, then
     * {@code dx[b, c].flat[argmax[r, c, ph, pw]] += dout[r, c, ph, pw]} over r = 0..numRois-1 in order,
     * skipping -1 (b = rois[r, 0]). Offsets point at the whole arrays.
     */
    void roiPoolBackward(long c0, long c1, long n, long channels, long h, long w, long numRois, RoiPoolDesc d,
                         MemorySegment rois, long roisOff, MemorySegment dout, long doutOff,
                         MemorySegment argmax, long argmaxOff, MemorySegment dx, long dxOff);
}

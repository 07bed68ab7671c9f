package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.Pool2dDesc;
import io.tensorlane.kernels.PoolKernels;
import io.tensorlane.kernels.RoiPoolDesc;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Scalar twins of the pooling kernels: the definitions written out loop by loop, windows visited in
 * row-major order. The SIMD kernels reproduce the same float operations in the same order per output
 * (max/avg pooling are bit-identical); only the global average, summed here in double, differs in
 * rounding.
 */
public final class ScalarPool implements PoolKernels {

    @Override
    public void maxPool2d(long planes, long h, long w, Pool2dDesc d, MemorySegment x, long xOff,
                          MemorySegment out, long outOff, MemorySegment idx, long idxOff) {
        long oh = d.outH(h), ow = d.outW(w);
        for (long p = 0; p < planes; p++) {
            long xb = xOff + p * h * w, ob = p * oh * ow;
            for (long i = 0; i < oh; i++) {
                long r0 = i * d.strideH() - d.padH(), r1 = Math.min(r0 + d.kernelH(), h);
                r0 = Math.max(r0, 0);
                for (long j = 0; j < ow; j++) {
                    long c0 = j * d.strideW() - d.padW(), c1 = Math.min(c0 + d.kernelW(), w);
                    c0 = Math.max(c0, 0);
                    float best = Float.NEGATIVE_INFINITY;
                    long bi = r0 * w + c0;
                    for (long r = r0; r < r1; r++) {
                        for (long c = c0; c < c1; c++) {
                            float v = x.getAtIndex(JAVA_FLOAT, xb + r * w + c);
                            if (v > best || v != v) {
                                best = v;
                                bi = r * w + c;
                            }
                        }
                    }
                    out.setAtIndex(JAVA_FLOAT, outOff + ob + i * ow + j, best);
                    idx.setAtIndex(JAVA_INT, idxOff + ob + i * ow + j, (int) bi);
                }
            }
        }
    }

    @Override
    public void maxPool2dBackward(long planes, long h, long w, Pool2dDesc d, MemorySegment dout, long doutOff,
                                  MemorySegment idx, long idxOff, MemorySegment dx, long dxOff) {
        long hw = h * w, ohw = d.outH(h) * d.outW(w);
        for (long p = 0; p < planes; p++) {
            long xb = dxOff + p * hw, ob = p * ohw;
            for (long i = 0; i < hw; i++) dx.setAtIndex(JAVA_FLOAT, xb + i, 0f);
            for (long o = 0; o < ohw; o++) {
                long at = xb + idx.getAtIndex(JAVA_INT, idxOff + ob + o);
                dx.setAtIndex(JAVA_FLOAT, at, dx.getAtIndex(JAVA_FLOAT, at) + dout.getAtIndex(JAVA_FLOAT, doutOff + ob + o));
            }
        }
    }

    /** The divisor of the window whose real rows are [r0, r1) and columns [c0, c1). */
    static float divisor(Pool2dDesc d, long r0, long r1, long c0, long c1) {
        return d.countIncludePad() ? (float) d.kernelH() * d.kernelW() : (float) ((r1 - r0) * (c1 - c0));
    }

    @Override
    public void avgPool2d(long planes, long h, long w, Pool2dDesc d, MemorySegment x, long xOff,
                          MemorySegment out, long outOff) {
        long oh = d.outH(h), ow = d.outW(w);
        for (long p = 0; p < planes; p++) {
            long xb = xOff + p * h * w, ob = outOff + p * oh * ow;
            for (long i = 0; i < oh; i++) {
                long r0 = i * d.strideH() - d.padH(), r1 = Math.min(r0 + d.kernelH(), h);
                r0 = Math.max(r0, 0);
                for (long j = 0; j < ow; j++) {
                    long c0 = j * d.strideW() - d.padW(), c1 = Math.min(c0 + d.kernelW(), w);
                    c0 = Math.max(c0, 0);
                    float sum = 0f;
                    for (long r = r0; r < r1; r++) {
                        for (long c = c0; c < c1; c++) sum += x.getAtIndex(JAVA_FLOAT, xb + r * w + c);
                    }
                    out.setAtIndex(JAVA_FLOAT, ob + i * ow + j, sum / divisor(d, r0, r1, c0, c1));
                }
            }
        }
    }

    @Override
    public void avgPool2dBackward(long planes, long h, long w, Pool2dDesc d, MemorySegment dout, long doutOff,
                                  MemorySegment dx, long dxOff) {
        long oh = d.outH(h), ow = d.outW(w);
        for (long p = 0; p < planes; p++) {
            long xb = dxOff + p * h * w, ob = doutOff + p * oh * ow;
            for (long i = 0; i < h * w; i++) dx.setAtIndex(JAVA_FLOAT, xb + i, 0f);
            for (long i = 0; i < oh; i++) {
                long r0 = i * d.strideH() - d.padH(), r1 = Math.min(r0 + d.kernelH(), h);
                r0 = Math.max(r0, 0);
                for (long j = 0; j < ow; j++) {
                    long c0 = j * d.strideW() - d.padW(), c1 = Math.min(c0 + d.kernelW(), w);
                    c0 = Math.max(c0, 0);
                    float g = dout.getAtIndex(JAVA_FLOAT, ob + i * ow + j) / divisor(d, r0, r1, c0, c1);
                    for (long r = r0; r < r1; r++) {
                        for (long c = c0; c < c1; c++) {
                            long at = xb + r * w + c;
                            dx.setAtIndex(JAVA_FLOAT, at, dx.getAtIndex(JAVA_FLOAT, at) + g);
                        }
                    }
                }
            }
        }
    }

    @Override
    public void globalAvgPool(long planes, long hw, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long p = 0; p < planes; p++) {
            double sum = 0;
            for (long i = 0; i < hw; i++) sum += x.getAtIndex(JAVA_FLOAT, xOff + p * hw + i);
            out.setAtIndex(JAVA_FLOAT, outOff + p, (float) (sum / hw));
        }
    }

    @Override
    public void globalAvgPoolBackward(long planes, long hw, MemorySegment dout, long doutOff, MemorySegment dx, long dxOff) {
        float n = hw;
        for (long p = 0; p < planes; p++) {
            float g = dout.getAtIndex(JAVA_FLOAT, doutOff + p) / n;
            for (long i = 0; i < hw; i++) dx.setAtIndex(JAVA_FLOAT, dxOff + p * hw + i, g);
        }
    }

    @Override
    public void maxUnpool2d(long planes, long inHW, long outHW, MemorySegment x, long xOff, MemorySegment idx, long idxOff,
                            MemorySegment out, long outOff) {
        for (long p = 0; p < planes; p++) {
            long ob = outOff + p * outHW;
            out.asSlice(ob * Float.BYTES, outHW * Float.BYTES).fill((byte) 0);
            for (long i = 0; i < inHW; i++) {
                long at = ob + idx.getAtIndex(JAVA_INT, idxOff + p * inHW + i);
                out.setAtIndex(JAVA_FLOAT, at, x.getAtIndex(JAVA_FLOAT, xOff + p * inHW + i));
            }
        }
    }

    @Override
    public void maxUnpool2dBackward(long planes, long inHW, long outHW, MemorySegment dout, long doutOff,
                                    MemorySegment idx, long idxOff, MemorySegment dx, long dxOff) {
        for (long p = 0; p < planes; p++) {
            for (long i = 0; i < inHW; i++) {
                long at = doutOff + p * outHW + idx.getAtIndex(JAVA_INT, idxOff + p * inHW + i);
                dx.setAtIndex(JAVA_FLOAT, dxOff + p * inHW + i, dout.getAtIndex(JAVA_FLOAT, at));
            }
        }
    }

    @Override
    public void roiPool(long r0, long r1, long channels, long h, long w, RoiPoolDesc d, MemorySegment rois, long roisOff,
                        MemorySegment x, long xOff, MemorySegment out, long outOff, MemorySegment argmax, long argmaxOff) {
        int ph = d.pooledH(), pw = d.pooledW();
        for (long r = r0; r < r1; r++) {
            long ro = roisOff + r * 5;
            long b = (long) rois.getAtIndex(JAVA_FLOAT, ro);
            long sw = d.scaled(rois.getAtIndex(JAVA_FLOAT, ro + 1)), sh = d.scaled(rois.getAtIndex(JAVA_FLOAT, ro + 2));
            long ew = d.scaled(rois.getAtIndex(JAVA_FLOAT, ro + 3)), eh = d.scaled(rois.getAtIndex(JAVA_FLOAT, ro + 4));
            float binH = RoiPoolDesc.binSize(RoiPoolDesc.extent(sh, eh), ph);
            float binW = RoiPoolDesc.binSize(RoiPoolDesc.extent(sw, ew), pw);
            for (long c = 0; c < channels; c++) {
                long xb = xOff + (b * channels + c) * h * w;
                long ob = ((r * channels + c) * ph) * pw;
                for (int i = 0; i < ph; i++) {
                    long hs = RoiPoolDesc.binStart(i, binH, sh, h), he = RoiPoolDesc.binEnd(i, binH, sh, h);
                    for (int j = 0; j < pw; j++) {
                        long ws = RoiPoolDesc.binStart(j, binW, sw, w), we = RoiPoolDesc.binEnd(j, binW, sw, w);
                        boolean empty = he <= hs || we <= ws;
                        // Caffe: start below every finite value, strict >, -1 until something is picked
                        float best = empty ? 0f : -Float.MAX_VALUE;
                        long bi = -1;
                        for (long y = hs; y < he; y++) {
                            for (long xx = ws; xx < we; xx++) {
                                float v = x.getAtIndex(JAVA_FLOAT, xb + y * w + xx);
                                if (v > best) {
                                    best = v;
                                    bi = y * w + xx;
                                }
                            }
                        }
                        out.setAtIndex(JAVA_FLOAT, outOff + ob + (long) i * pw + j, best);
                        argmax.setAtIndex(JAVA_INT, argmaxOff + ob + (long) i * pw + j, (int) bi);
                    }
                }
            }
        }
    }

    @Override
    public void roiPoolBackward(long c0, long c1, long n, long channels, long h, long w, long numRois, RoiPoolDesc d,
                                MemorySegment rois, long roisOff, MemorySegment dout, long doutOff,
                                MemorySegment argmax, long argmaxOff, MemorySegment dx, long dxOff) {
        long hw = h * w, bins = (long) d.pooledH() * d.pooledW();
        for (long b = 0; b < n; b++) {
            for (long c = c0; c < c1; c++) {
                dx.asSlice((dxOff + (b * channels + c) * hw) * Float.BYTES, hw * Float.BYTES).fill((byte) 0);
            }
        }
        for (long r = 0; r < numRois; r++) {
            long b = (long) rois.getAtIndex(JAVA_FLOAT, roisOff + r * 5);
            for (long c = c0; c < c1; c++) {
                long xb = dxOff + (b * channels + c) * hw, ob = (r * channels + c) * bins;
                for (long k = 0; k < bins; k++) {
                    int a = argmax.getAtIndex(JAVA_INT, argmaxOff + ob + k);
                    if (a < 0) continue;
                    dx.setAtIndex(JAVA_FLOAT, xb + a, dx.getAtIndex(JAVA_FLOAT, xb + a) + dout.getAtIndex(JAVA_FLOAT, doutOff + ob + k));
                }
            }
        }
    }
}

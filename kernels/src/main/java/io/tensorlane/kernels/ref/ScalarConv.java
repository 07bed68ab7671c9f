package io.tensorlane.kernels.ref;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.ConvKernels;
import io.tensorlane.kernels.Parallelism;
import java.lang.foreign.MemorySegment;

/**
 * Scalar twin of the convolution family: the definitions as direct loops (no im2col, no GEMM), so it is an
 * independent oracle for the SIMD version. Every sum runs in a fixed order with {@link Math#fma};
 * single-threaded whatever {@code par} says.
 */
public final class ScalarConv implements ConvKernels {
    @Override
    public void im2col(ConvGeometry g, MemorySegment x, long xOff, MemorySegment cols, long colsOff) {
        long p = g.outPlane();
        for (long ci = 0; ci < g.c(); ci++) {
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    long row = colsOff + ((ci * g.kh() + i) * g.kw() + j) * p;
                    for (long oh = 0; oh < g.ho(); oh++) {
                        long y = oh * g.strideH() + (long) i * g.dilationH() - g.padH();
                        for (long ow = 0; ow < g.wo(); ow++) {
                            long xx = ow * g.strideW() + (long) j * g.dilationW() - g.padW();
                            float v = y >= 0 && y < g.h() && xx >= 0 && xx < g.w()
                                    ? x.getAtIndex(JAVA_FLOAT, xOff + (ci * g.h() + y) * g.w() + xx) : 0f;
                            cols.setAtIndex(JAVA_FLOAT, row + oh * g.wo() + ow, v);
                        }
                    }
                }
            }
        }
    }

    @Override
    public void col2im(ConvGeometry g, MemorySegment cols, long colsOff, MemorySegment x, long xOff) {
        long n = g.c() * g.plane();
        for (long e = 0; e < n; e++) x.setAtIndex(JAVA_FLOAT, xOff + e, 0f);
        long p = g.outPlane();
        for (long ci = 0; ci < g.c(); ci++) {
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    long row = colsOff + ((ci * g.kh() + i) * g.kw() + j) * p;
                    for (long oh = 0; oh < g.ho(); oh++) {
                        long y = oh * g.strideH() + (long) i * g.dilationH() - g.padH();
                        if (y < 0 || y >= g.h()) continue;
                        for (long ow = 0; ow < g.wo(); ow++) {
                            long xx = ow * g.strideW() + (long) j * g.dilationW() - g.padW();
                            if (xx < 0 || xx >= g.w()) continue;
                            long t = xOff + (ci * g.h() + y) * g.w() + xx;
                            x.setAtIndex(JAVA_FLOAT, t, x.getAtIndex(JAVA_FLOAT, t) + cols.getAtIndex(JAVA_FLOAT, row + oh * g.wo() + ow));
                        }
                    }
                }
            }
        }
    }

    @Override
    public void conv2d(ConvGeometry g, MemorySegment x, long xOff, MemorySegment w, long wOff,
                       MemorySegment b, long bOff, MemorySegment y, long yOff, Parallelism par) {
        long cg = g.cg(), fg = g.fg();
        for (long n = 0; n < g.n(); n++) {
            for (long f = 0; f < g.f(); f++) {
                long c0 = f / fg * cg;
                for (long oh = 0; oh < g.ho(); oh++) {
                    for (long ow = 0; ow < g.wo(); ow++) {
                        float acc = 0f;
                        for (long cc = 0; cc < cg; cc++) {
                            for (int i = 0; i < g.kh(); i++) {
                                long yy = oh * g.strideH() + (long) i * g.dilationH() - g.padH();
                                if (yy < 0 || yy >= g.h()) continue;
                                for (int j = 0; j < g.kw(); j++) {
                                    long xx = ow * g.strideW() + (long) j * g.dilationW() - g.padW();
                                    if (xx < 0 || xx >= g.w()) continue;
                                    float xv = x.getAtIndex(JAVA_FLOAT, xOff + ((n * g.c() + c0 + cc) * g.h() + yy) * g.w() + xx);
                                    float wv = w.getAtIndex(JAVA_FLOAT, wOff + ((f * cg + cc) * g.kh() + i) * g.kw() + j);
                                    acc = Math.fma(wv, xv, acc);
                                }
                            }
                        }
                        if (b != null) acc += b.getAtIndex(JAVA_FLOAT, bOff + f);
                        y.setAtIndex(JAVA_FLOAT, yOff + ((n * g.f() + f) * g.ho() + oh) * g.wo() + ow, acc);
                    }
                }
            }
        }
    }

    @Override
    public void conv2dBackwardData(ConvGeometry g, MemorySegment dout, long dOff, MemorySegment w, long wOff,
                                   MemorySegment dx, long dxOff, Parallelism par) {
        long cg = g.cg(), fg = g.fg();
        // gather form: each dx element sums over the (f, i, j) whose window covers it, in that order
        for (long n = 0; n < g.n(); n++) {
            for (long c = 0; c < g.c(); c++) {
                long grp = c / cg, cc = c % cg;
                for (long yy = 0; yy < g.h(); yy++) {
                    for (long xx = 0; xx < g.w(); xx++) {
                        float acc = 0f;
                        for (long f = grp * fg; f < (grp + 1) * fg; f++) {
                            for (int i = 0; i < g.kh(); i++) {
                                long t = yy + g.padH() - (long) i * g.dilationH();
                                if (t < 0 || t % g.strideH() != 0 || t / g.strideH() >= g.ho()) continue;
                                long oh = t / g.strideH();
                                for (int j = 0; j < g.kw(); j++) {
                                    long u = xx + g.padW() - (long) j * g.dilationW();
                                    if (u < 0 || u % g.strideW() != 0 || u / g.strideW() >= g.wo()) continue;
                                    long ow = u / g.strideW();
                                    float dv = dout.getAtIndex(JAVA_FLOAT, dOff + ((n * g.f() + f) * g.ho() + oh) * g.wo() + ow);
                                    float wv = w.getAtIndex(JAVA_FLOAT, wOff + ((f * cg + cc) * g.kh() + i) * g.kw() + j);
                                    acc = Math.fma(wv, dv, acc);
                                }
                            }
                        }
                        dx.setAtIndex(JAVA_FLOAT, dxOff + ((n * g.c() + c) * g.h() + yy) * g.w() + xx, acc);
                    }
                }
            }
        }
    }

    @Override
    public void conv2dBackwardWeights(ConvGeometry g, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                      MemorySegment dw, long dwOff, Parallelism par) {
        long cg = g.cg(), fg = g.fg();
        for (long f = 0; f < g.f(); f++) {
            long c0 = f / fg * cg;
            for (long cc = 0; cc < cg; cc++) {
                for (int i = 0; i < g.kh(); i++) {
                    for (int j = 0; j < g.kw(); j++) {
                        float acc = 0f;
                        for (long n = 0; n < g.n(); n++) {
                            for (long oh = 0; oh < g.ho(); oh++) {
                                long yy = oh * g.strideH() + (long) i * g.dilationH() - g.padH();
                                if (yy < 0 || yy >= g.h()) continue;
                                for (long ow = 0; ow < g.wo(); ow++) {
                                    long xx = ow * g.strideW() + (long) j * g.dilationW() - g.padW();
                                    if (xx < 0 || xx >= g.w()) continue;
                                    float xv = x.getAtIndex(JAVA_FLOAT, xOff + ((n * g.c() + c0 + cc) * g.h() + yy) * g.w() + xx);
                                    float dv = dout.getAtIndex(JAVA_FLOAT, dOff + ((n * g.f() + f) * g.ho() + oh) * g.wo() + ow);
                                    acc = Math.fma(xv, dv, acc);
                                }
                            }
                        }
                        dw.setAtIndex(JAVA_FLOAT, dwOff + ((f * cg + cc) * g.kh() + i) * g.kw() + j, acc);
                    }
                }
            }
        }
    }

    @Override
    public void biasGrad(long n, long channels, long plane, MemorySegment dout, long dOff, MemorySegment db, long dbOff) {
        for (long c = 0; c < channels; c++) {
            float acc = 0f;
            for (long i = 0; i < n; i++) {
                long row = dOff + (i * channels + c) * plane;
                for (long p = 0; p < plane; p++) acc += dout.getAtIndex(JAVA_FLOAT, row + p);
            }
            db.setAtIndex(JAVA_FLOAT, dbOff + c, acc);
        }
    }

    @Override
    public void addBias(long n, long channels, long plane, MemorySegment b, long bOff, MemorySegment y, long yOff) {
        for (long i = 0; i < n; i++) {
            for (long c = 0; c < channels; c++) {
                float bv = b.getAtIndex(JAVA_FLOAT, bOff + c);
                long row = yOff + (i * channels + c) * plane;
                for (long p = 0; p < plane; p++) y.setAtIndex(JAVA_FLOAT, row + p, y.getAtIndex(JAVA_FLOAT, row + p) + bv);
            }
        }
    }

    @Override
    public void affine(long n, long d, long m, MemorySegment x, long xOff, MemorySegment w, long wOff,
                       MemorySegment b, long bOff, MemorySegment out, long outOff, Parallelism par) {
        for (long i = 0; i < n; i++) {
            for (long j = 0; j < m; j++) {
                float acc = 0f;
                for (long p = 0; p < d; p++) {
                    acc = Math.fma(x.getAtIndex(JAVA_FLOAT, xOff + i * d + p), w.getAtIndex(JAVA_FLOAT, wOff + p * m + j), acc);
                }
                if (b != null) acc += b.getAtIndex(JAVA_FLOAT, bOff + j);
                out.setAtIndex(JAVA_FLOAT, outOff + i * m + j, acc);
            }
        }
    }

    @Override
    public void affineBackward(long n, long d, long m, MemorySegment x, long xOff, MemorySegment w, long wOff,
                               MemorySegment dout, long dOff, MemorySegment dx, long dxOff, MemorySegment dw, long dwOff,
                               MemorySegment db, long dbOff, Parallelism par) {
        if (dx != null) {
            for (long i = 0; i < n; i++) {
                for (long p = 0; p < d; p++) {
                    float acc = 0f;
                    for (long j = 0; j < m; j++) {
                        acc = Math.fma(dout.getAtIndex(JAVA_FLOAT, dOff + i * m + j), w.getAtIndex(JAVA_FLOAT, wOff + p * m + j), acc);
                    }
                    dx.setAtIndex(JAVA_FLOAT, dxOff + i * d + p, acc);
                }
            }
        }
        if (dw != null) {
            for (long p = 0; p < d; p++) {
                for (long j = 0; j < m; j++) {
                    float acc = 0f;
                    for (long i = 0; i < n; i++) {
                        acc = Math.fma(x.getAtIndex(JAVA_FLOAT, xOff + i * d + p), dout.getAtIndex(JAVA_FLOAT, dOff + i * m + j), acc);
                    }
                    dw.setAtIndex(JAVA_FLOAT, dwOff + p * m + j, acc);
                }
            }
        }
        if (db != null) biasGrad(n, m, 1, dout, dOff, db, dbOff);
    }

    @Override
    public String toString() {
        return "ScalarConv";
    }
}

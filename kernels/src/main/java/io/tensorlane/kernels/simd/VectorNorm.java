package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.DropoutMask;
import io.tensorlane.kernels.NormKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Vector API version of {@link NormKernels}.
 *
 * <p>Batch norm, spatial layout ({@code inner > 1}): channel by channel. A channel's N planes (100 KiB for
 * 8x56x56) stay in L2 between its passes, so memory sees one read of x and one write of y (forward), or one read
 * of x and dout and one write of dx (backward). Statistics are taken of {@code z = x - k}, k being one value of the
 * channel (its first), so every float sum adds numbers of the data's spread rather than of its mean; each block of
 * up to {@value #BLOCK} values (a run of one plane, or several whole small planes of the channel)
 * (8 KiB, in L1 for its second pass) gets its float sum, then its sum of squares around that block mean; the
 * blocks' (count, mean, M2) are merged in double (Chan et al.). So float rounding only ever spans one block of
 * centred values, and a large mean does not cancel digits of the variance as sum(x^2) - m*mean^2 would.
 * Small planes (whole vectors, at most {@value #SMALL_INNER} values: 4x4 to 16x16 maps) run the same statistics
 * image by image instead (see {@link #imageMajor}): per-plane loop set-ups and cache-set conflicts made the
 * channel-by-channel loop 2-3x slower on 64 x 64 x 4 x 4.
 *
 * <p>Per-feature layout ({@code inner == 1}, x is N x D): lanes run across features, L columns at a time,
 * rows in blocks of {@value #ROWS} (block sum, then centred squares), blocks merged per lane with the same
 * formula in float.
 *
 * <p>Dropout: the integer hash of {@link DropoutMask} on int lanes (bit-identical masks to the scalar twin).
 */
public final class VectorNorm implements NormKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final VectorSpecies<Integer> I = VectorWidth.INT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    static final int BLOCK = 2048;
    static final int ROWS = 128;

    private static FloatVector load(MemorySegment s, long i) {
        return FloatVector.fromMemorySegment(S, s, i * Float.BYTES, NATIVE);
    }

    private static FloatVector load(MemorySegment s, long i, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, s, i * Float.BYTES, NATIVE, m);
    }

    private static float get(MemorySegment s, long i) {
        return s.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
    }

    private static void set(MemorySegment s, long i, float v) {
        s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, v);
    }

    // ------------------------------------------------------------------ block sums (spatial layout)

    /**
     * Float sum of x - k over {@code planes} runs x[p + q*stride, + len) (k = 0: the plain sum), two accumulators
     * carried across the runs (small planes: one block is several of them).
     */
    private static float sum(MemorySegment x, long p, long stride, int planes, int len, float k) {
        FloatVector kv = FloatVector.broadcast(S, k);
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
        int bound = S.loopBound(len);
        VectorMask<Float> m = S.indexInRange(bound, len);
        for (int q = 0; q < planes; q++, p += stride) {
            int i = 0;
            for (; i + L < bound; i += 2 * L) {
                a0 = a0.add(load(x, p + i).sub(kv));
                a1 = a1.add(load(x, p + i + L).sub(kv));
            }
            for (; i < bound; i += L) a0 = a0.add(load(x, p + i).sub(kv));
            if (i < len) a1 = a1.add(load(x, p + i, m).sub(kv, m)); // masked lanes stay 0
        }
        return VectorMath.sumLanes(a0.add(a1));
    }

    /** Float sum of (x - c)^2 over the runs of {@link #sum}. */
    private static float centredSquares(MemorySegment x, long p, long stride, int planes, int len, float c) {
        FloatVector cv = FloatVector.broadcast(S, c);
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
        int bound = S.loopBound(len);
        VectorMask<Float> m = S.indexInRange(bound, len);
        for (int q = 0; q < planes; q++, p += stride) {
            int i = 0;
            for (; i + L < bound; i += 2 * L) {
                FloatVector d0 = load(x, p + i).sub(cv), d1 = load(x, p + i + L).sub(cv);
                a0 = d0.fma(d0, a0);
                a1 = d1.fma(d1, a1);
            }
            for (; i < bound; i += L) {
                FloatVector d0 = load(x, p + i).sub(cv);
                a0 = d0.fma(d0, a0);
            }
            if (i < len) {
                FloatVector d0 = load(x, p + i, m).sub(cv, m); // masked lanes stay 0
                a1 = d0.fma(d0, a1);
            }
        }
        return VectorMath.sumLanes(a0.add(a1));
    }

    /**
     * y = ((x - k) - muK) * scale + beta over [p, p + len), where k + muK is the mean: with k a value of the channel
     * (the shift of the statistics) both subtractions act on numbers of the data's spread, not of its mean, so a
     * large mean costs no digits of xhat (a float mean alone would be off by up to half an ulp of the mean).
     */
    private static void normalise(MemorySegment x, long xp, MemorySegment y, long yp, long stride, long planes, long len,
                                  float k, float muK, float scale, float beta) {
        FloatVector kv = FloatVector.broadcast(S, k), mv = FloatVector.broadcast(S, muK), sv = FloatVector.broadcast(S, scale),
                bv = FloatVector.broadcast(S, beta);
        long bound = S.loopBound(len);
        VectorMask<Float> m = S.indexInRange(bound, len);
        for (long q = 0; q < planes; q++, xp += stride, yp += stride) {
            long i = 0;
            for (; i < bound; i += L) {
                load(x, xp + i).sub(kv).sub(mv).fma(sv, bv).intoMemorySegment(y, (yp + i) * Float.BYTES, NATIVE);
            }
            if (i < len) {
                load(x, xp + i, m).sub(kv).sub(mv).fma(sv, bv).intoMemorySegment(y, (yp + i) * Float.BYTES, NATIVE, m);
            }
        }
    }

    // ------------------------------------------------------------------ training forward

    @Override
    public void batchNormTrainForward(long outer, long channels, long inner, long c0, long c1,
                                      MemorySegment x, long xOff, MemorySegment gamma, long gOff, MemorySegment beta, long bOff,
                                      float eps, float momentum, MemorySegment runMean, long rmOff, MemorySegment runVar, long rvOff,
                                      MemorySegment y, long yOff, MemorySegment mean, long meanOff, MemorySegment var, long varOff) {
        if (inner == 1) {
            featureTrain(outer, channels, c0, c1, x, xOff, gamma, gOff, beta, bOff, eps, momentum, runMean, rmOff,
                    runVar, rvOff, y, yOff, mean, meanOff, var, varOff);
            return;
        }
        if (imageMajor(inner)) {
            for (long cs = c0, step = SMALL_SPAN / inner; cs < c1; cs += step) {
                smallTrain(outer, channels, (int) inner, cs, Math.min(c1, cs + step), x, xOff, gamma, gOff, beta, bOff, eps,
                        momentum, runMean, rmOff, runVar, rvOff, y, yOff, mean, meanOff, var, varOff);
            }
            return;
        }
        long stride = channels * inner;
        int group = planesPerBlock(outer, inner);
        for (long c = c0; c < c1; c++) {
            // statistics of z = x - k, k = the channel's first value: sums of values of the data's spread
            float k = get(x, xOff + c * inner);
            double cnt = 0, muK = 0, m2 = 0;
            for (long o = 0; o < outer; o += group) {
                int planes = (int) Math.min(group, outer - o);
                long plane = xOff + (o * channels + c) * inner;
                for (long b = 0; b < inner; b += BLOCK) {
                    int len = (int) Math.min(BLOCK, inner - b);
                    long bn = (long) planes * len;
                    double bMean = (double) sum(x, plane + b, stride, planes, len, k) / bn;   // of z
                    float centre = (float) (k + bMean);
                    double off = centre - (k + bMean);                                        // centre's rounding
                    double bM2 = Math.max(centredSquares(x, plane + b, stride, planes, len, centre) - bn * off * off, 0);
                    double n = cnt + bn;
                    double delta = bMean - muK;
                    muK += delta * bn / n;
                    m2 += bM2 + delta * delta * cnt * bn / n;
                    cnt = n;
                }
            }
            double mu = k + muK;
            double va = Math.max(m2 / cnt, 0);
            double inv = 1.0 / Math.sqrt(va + eps);
            float scale = (float) (get(gamma, gOff + c) * inv);
            float be = get(beta, bOff + c);
            normalise(x, xOff + c * inner, y, yOff + c * inner, stride, outer, inner, k, (float) muK, scale, be);
            set(mean, meanOff + c, (float) mu);
            set(var, varOff + c, (float) va);
            set(runMean, rmOff + c, (float) (momentum * (double) get(runMean, rmOff + c) + (1.0 - momentum) * mu));
            set(runVar, rvOff + c, (float) (momentum * (double) get(runVar, rvOff + c) + (1.0 - momentum) * va));
        }
    }

    /** Per-feature training forward: x is outer x channels, columns [c0, c1), L columns per vector. */
    private static void featureTrain(long rows, long cols, long c0, long c1, MemorySegment x, long xOff,
                                     MemorySegment gamma, long gOff, MemorySegment beta, long bOff, float eps, float momentum,
                                     MemorySegment runMean, long rmOff, MemorySegment runVar, long rvOff,
                                     MemorySegment y, long yOff, MemorySegment mean, long meanOff, MemorySegment var, long varOff) {
        for (long c = c0; c < c1; c += L) {
            VectorMask<Float> cm = S.indexInRange(c, c1);
            // statistics of z = x - k, k = row 0 (see normalise): mu is the mean of z
            FloatVector k = load(x, xOff + c, cm);
            FloatVector mu = FloatVector.zero(S), m2 = FloatVector.zero(S);
            long cnt = 0;
            for (long r0 = 0; r0 < rows; r0 += ROWS) {
                long rn = Math.min(ROWS, rows - r0);
                FloatVector s = FloatVector.zero(S);
                for (long r = r0; r < r0 + rn; r++) s = s.add(load(x, xOff + r * cols + c, cm).sub(k));
                FloatVector bm = s.div((float) rn);
                FloatVector q = FloatVector.zero(S);
                for (long r = r0; r < r0 + rn; r++) {
                    FloatVector d = load(x, xOff + r * cols + c, cm).sub(k).sub(bm);
                    q = d.fma(d, q);
                }
                long n = cnt + rn;
                FloatVector delta = bm.sub(mu);
                mu = delta.fma(FloatVector.broadcast(S, (float) ((double) rn / n)), mu);
                m2 = m2.add(q).add(delta.mul(delta).mul((float) ((double) cnt * rn / n)));
                cnt = n;
            }
            FloatVector va = m2.div((float) rows);
            FloatVector muX = k.add(mu);
            muX.intoMemorySegment(mean, (meanOff + c) * Float.BYTES, NATIVE, cm);
            va.intoMemorySegment(var, (varOff + c) * Float.BYTES, NATIVE, cm);
            float keep = 1f - momentum;
            load(runMean, rmOff + c, cm).mul(momentum).add(muX.mul(keep))
                    .intoMemorySegment(runMean, (rmOff + c) * Float.BYTES, NATIVE, cm);
            load(runVar, rvOff + c, cm).mul(momentum).add(va.mul(keep))
                    .intoMemorySegment(runVar, (rvOff + c) * Float.BYTES, NATIVE, cm);
            FloatVector scale = load(gamma, gOff + c, cm).div(va.add(eps).sqrt());
            FloatVector be = load(beta, bOff + c, cm);
            for (long r = 0; r < rows; r++) {
                load(x, xOff + r * cols + c, cm).sub(k).sub(mu).fma(scale, be)
                        .intoMemorySegment(y, (yOff + r * cols + c) * Float.BYTES, NATIVE, cm);
            }
        }
    }

    // ------------------------------------------------------------------ eval forward

    @Override
    public void batchNormEvalForward(long outer, long channels, long inner, long c0, long c1,
                                     MemorySegment x, long xOff, MemorySegment gamma, long gOff, MemorySegment beta, long bOff,
                                     MemorySegment mean, long meanOff, MemorySegment var, long varOff, float eps,
                                     MemorySegment y, long yOff) {
        if (inner == 1) {
            for (long c = c0; c < c1; c += L) {
                VectorMask<Float> cm = S.indexInRange(c, c1);
                FloatVector mu = load(mean, meanOff + c, cm);
                FloatVector scale = load(gamma, gOff + c, cm).div(load(var, varOff + c, cm).add(eps).sqrt());
                FloatVector be = load(beta, bOff + c, cm);
                for (long r = 0; r < outer; r++) {
                    load(x, xOff + r * channels + c, cm).sub(mu).fma(scale, be)
                            .intoMemorySegment(y, (yOff + r * channels + c) * Float.BYTES, NATIVE, cm);
                }
            }
            return;
        }
        for (long c = c0; c < c1; c++) {
            float mu = get(mean, meanOff + c);
            float scale = (float) (get(gamma, gOff + c) / Math.sqrt((double) get(var, varOff + c) + eps));
            float be = get(beta, bOff + c);
            normalise(x, xOff + c * inner, y, yOff + c * inner, channels * inner, outer, inner, mu, 0f, scale, be);
        }
    }

    // ------------------------------------------------------------------ backward

    @Override
    public void batchNormBackward(boolean training, long outer, long channels, long inner, long c0, long c1,
                                  MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment gamma, long gOff,
                                  MemorySegment mean, long meanOff, MemorySegment var, long varOff, float eps,
                                  MemorySegment dx, long dxOff, MemorySegment dgamma, long dgOff, MemorySegment dbeta, long dbOff) {
        if (inner == 1) {
            featureBackward(training, outer, channels, c0, c1, x, xOff, dout, dOff, gamma, gOff, mean, meanOff, var, varOff,
                    eps, dx, dxOff, dgamma, dgOff, dbeta, dbOff);
            return;
        }
        if (imageMajor(inner)) {
            for (long cs = c0, step = SMALL_SPAN / inner; cs < c1; cs += step) {
                smallBackward(training, outer, channels, (int) inner, cs, Math.min(c1, cs + step), x, xOff, dout, dOff, gamma,
                        gOff, mean, meanOff, var, varOff, eps, dx, dxOff, dgamma, dgOff, dbeta, dbOff);
            }
            return;
        }
        double m = (double) outer * inner;
        float[] pair = new float[2]; // the two block sums of centredDot (one small array per call, not per block)
        long stride = channels * inner;
        int group = planesPerBlock(outer, inner);
        for (long c = c0; c < c1; c++) {
            float mu = get(mean, meanOff + c);
            double inv = 1.0 / Math.sqrt((double) get(var, varOff + c) + eps);
            double sd = 0, sdx = 0;
            for (long o = 0; o < outer; o += group) {
                int planes = (int) Math.min(group, outer - o);
                long at = (o * channels + c) * inner;
                for (long b = 0; b < inner; b += BLOCK) {
                    int len = (int) Math.min(BLOCK, inner - b);
                    centredDot(x, xOff + at + b, dout, dOff + at + b, stride, planes, len, mu, pair);
                    sd += pair[0];
                    sdx += pair[1];
                }
            }
            double a = get(gamma, gOff + c) * inv;
            double dg = sdx * inv;
            float fa = (float) a;
            float k = training ? (float) (-a * inv * dg / m) : 0f;
            float k0 = training ? (float) (sd / m) : 0f;
            backwardPlanes(x, xOff + c * inner, dout, dOff + c * inner, dx, dxOff + c * inner, stride, outer, inner, mu, fa, k, k0);
            set(dgamma, dgOff + c, (float) dg);
            set(dbeta, dbOff + c, (float) sd);
        }
    }

    /**
     * One pass over a block: {@code out[0]} = float sum of d, {@code out[1]} = float sum of (x - c) * d, over the
     * {@code planes} runs [q*stride, + len) of x at xp and d at dp.
     */
    private static void centredDot(MemorySegment x, long xp, MemorySegment d, long dp, long stride, int planes, int len,
                                   float c, float[] out) {
        FloatVector cv = FloatVector.broadcast(S, c);
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
        int bound = S.loopBound(len);
        VectorMask<Float> m = S.indexInRange(bound, len);
        for (int q = 0; q < planes; q++, xp += stride, dp += stride) {
            int i = 0;
            for (; i + L < bound; i += 2 * L) {
                FloatVector d0 = load(d, dp + i), d1 = load(d, dp + i + L);
                s0 = s0.add(d0);
                s1 = s1.add(d1);
                a0 = load(x, xp + i).sub(cv).fma(d0, a0);
                a1 = load(x, xp + i + L).sub(cv).fma(d1, a1);
            }
            for (; i < bound; i += L) {
                FloatVector d0 = load(d, dp + i);
                s0 = s0.add(d0);
                a0 = load(x, xp + i).sub(cv).fma(d0, a0);
            }
            if (i < len) {
                FloatVector d0 = load(d, dp + i, m); // masked lanes are 0
                s1 = s1.add(d0);
                a1 = load(x, xp + i, m).sub(cv).fma(d0, a1);
            }
        }
        out[0] = VectorMath.sumLanes(s0.add(s1));
        out[1] = VectorMath.sumLanes(a0.add(a1));
    }

    /**
     * dx = (dout - k0) * a + (x - mu) * k over the {@code planes} runs [q*stride, + len), with k0 = mean(dout):
     * subtracting the mean before scaling gives exactly 0 where dout equals its mean (e.g. N = 1, where dx must be 0).
     */
    private static void backwardPlanes(MemorySegment x, long xp, MemorySegment d, long dp, MemorySegment dx, long gp,
                                       long stride, long planes, long len, float mu, float a, float k, float k0) {
        FloatVector mv = FloatVector.broadcast(S, mu), av = FloatVector.broadcast(S, a),
                kv = FloatVector.broadcast(S, k), k0v = FloatVector.broadcast(S, k0);
        long bound = S.loopBound(len);
        VectorMask<Float> m = S.indexInRange(bound, len);
        for (long q = 0; q < planes; q++, xp += stride, dp += stride, gp += stride) {
            long i = 0;
            for (; i < bound; i += L) {
                load(d, dp + i).sub(k0v).fma(av, load(x, xp + i).sub(mv).mul(kv))
                        .intoMemorySegment(dx, (gp + i) * Float.BYTES, NATIVE);
            }
            if (i < len) {
                load(d, dp + i, m).sub(k0v).fma(av, load(x, xp + i, m).sub(mv).mul(kv))
                        .intoMemorySegment(dx, (gp + i) * Float.BYTES, NATIVE, m);
            }
        }
    }

    // ------------------------------------------------------------------ small planes, image by image

    /** Largest plane of the image-major path, and the most values per image it takes in one pass (whole channels). */
    static final int SMALL_INNER = 256, SMALL_SPAN = 8192;
    private static final ThreadLocal<Scratch[]> SMALL = ThreadLocal.withInitial(() -> {
        Scratch[] s = new Scratch[6];
        for (int i = 0; i < s.length; i++) s[i] = new Scratch();
        return s;
    });

    /**
     * Whether planes of {@code inner} values take the image-major path: planes of whole vectors, at most
     * {@value #SMALL_INNER} values (the 4x4 .. 16x16 maps of small CNNs). Channel by channel, such planes are runs
     * of 2-32 vectors at a stride of a whole image (a power of two for the usual channel counts): every run pays a
     * loop set-up, and the runs of one channel fall into the same few cache sets. Image by image, a range of
     * channels is one contiguous run, read with one long loop into per-position accumulators (heap arrays of one
     * image's values), folded per channel afterwards; ranges of at most {@value #SMALL_SPAN} values per image,
     * whole channels. A channel's sums involve only its own positions, so its results do not depend on the range
     * it is computed in (thread splits, sub-ranges). The choice depends on the shape only.
     */
    private static boolean imageMajor(long inner) {
        return inner % L == 0 && inner <= SMALL_INNER;
    }

    /** Sets {@code a[c*inner .. +inner)} to {@code v[from + c]} for the cn channels. */
    private static void spread(float[] a, int cn, int inner, float[] v, int from) {
        for (int c = 0; c < cn; c++) java.util.Arrays.fill(a, c * inner, (c + 1) * inner, v[from + c]);
    }

    /** Float sum of {@code a[c*inner .. +inner)} (vector adds, then the lanes). */
    private static float channelSum(float[] a, int c, int inner) {
        FloatVector s = FloatVector.zero(S);
        for (int j = c * inner, end = j + inner; j < end; j += L) s = s.add(FloatVector.fromArray(S, a, j));
        return VectorMath.sumLanes(s);
    }

    // One image's run of the image-major passes. Separate small methods on purpose: written inline in the
    // (large) callers, C2 did not inline the vector operations and boxed every vector (1 MiB per call).

    /** acc[j] += x[p + j] - shift[j] over the run. */
    private static void addShifted(MemorySegment x, long p, float[] shift, float[] acc, int span) {
        for (int j = 0; j < span; j += L) {
            FloatVector.fromArray(S, acc, j).add(load(x, p + j).sub(FloatVector.fromArray(S, shift, j))).intoArray(acc, j);
        }
    }

    /** acc[j] += (x[p + j] - centre[j])^2 over the run. */
    private static void addSquares(MemorySegment x, long p, float[] centre, float[] acc, int span) {
        for (int j = 0; j < span; j += L) {
            FloatVector d = load(x, p + j).sub(FloatVector.fromArray(S, centre, j));
            d.fma(d, FloatVector.fromArray(S, acc, j)).intoArray(acc, j);
        }
    }

    /** y = ((x - shift) - muK) * scale + beta over the run (the channel-major {@link #normalise}'s operations). */
    private static void normaliseImage(MemorySegment x, long p, MemorySegment y, long r, float[] shift, float[] muK,
                                       float[] scale, float[] beta, int span) {
        for (int j = 0; j < span; j += L) {
            load(x, p + j).sub(FloatVector.fromArray(S, shift, j)).sub(FloatVector.fromArray(S, muK, j))
                    .fma(FloatVector.fromArray(S, scale, j), FloatVector.fromArray(S, beta, j))
                    .intoMemorySegment(y, (r + j) * Float.BYTES, NATIVE);
        }
    }

    /** accD[j] += d[j], accX[j] += (x[j] - mu[j]) * d[j] over the run. */
    private static void addDots(MemorySegment x, long xp, MemorySegment d, long dp, float[] mu, float[] accD, float[] accX, int span) {
        for (int j = 0; j < span; j += L) {
            FloatVector dv = load(d, dp + j);
            FloatVector.fromArray(S, accD, j).add(dv).intoArray(accD, j);
            load(x, xp + j).sub(FloatVector.fromArray(S, mu, j)).fma(dv, FloatVector.fromArray(S, accX, j)).intoArray(accX, j);
        }
    }

    /** dx = (d - k0) * a + (x - mu) * k over the run (the channel-major {@link #backwardPlanes}'s operations). */
    private static void backwardImage(MemorySegment x, long xp, MemorySegment d, long dp, MemorySegment dx, long gp,
                                      float[] mu, float[] a, float[] k, float[] k0, int span) {
        for (int j = 0; j < span; j += L) {
            load(d, dp + j).sub(FloatVector.fromArray(S, k0, j)).fma(FloatVector.fromArray(S, a, j),
                            load(x, xp + j).sub(FloatVector.fromArray(S, mu, j)).mul(FloatVector.fromArray(S, k, j)))
                    .intoMemorySegment(dx, (gp + j) * Float.BYTES, NATIVE);
        }
    }

    /**
     * {@link #batchNormTrainForward} of small planes, image-major (see {@link #imageMajor}): the same blocks of
     * images and the same statistics as the channel-major loop (block sums of x - k, centred squares around the
     * block mean, blocks merged in double), each block's sums accumulated per position across its images, and the
     * same per-element normalisation.
     */
    private static void smallTrain(long outer, long channels, int inner, long c0, long c1, MemorySegment x, long xOff,
                                   MemorySegment gamma, long gOff, MemorySegment beta, long bOff, float eps, float momentum,
                                   MemorySegment runMean, long rmOff, MemorySegment runVar, long rvOff,
                                   MemorySegment y, long yOff, MemorySegment mean, long meanOff, MemorySegment var, long varOff) {
        int cn = (int) (c1 - c0), span = cn * inner;
        long stride = channels * inner, base = c0 * inner;
        Scratch[] ws = SMALL.get();
        float[] acc = ws[0].floats(span), shift = ws[1].floats(span), centre = ws[2].floats(span);
        float[] perC = ws[3].floats(4 * cn); // k, block centre, then muK, scale, beta per channel
        double[] st = ws[4].doubles(4 * cn);  // muK, m2, block mean, centre's rounding per channel
        for (int c = 0; c < cn; c++) {
            perC[c] = get(x, xOff + base + (long) c * inner); // k: the channel's first value
            st[c] = 0;
            st[cn + c] = 0;
        }
        spread(shift, cn, inner, perC, 0);
        int group = planesPerBlock(outer, inner);
        double cnt = 0;
        for (long o = 0; o < outer; o += group) {
            int planes = (int) Math.min(group, outer - o);
            double bn = (double) planes * inner;
            java.util.Arrays.fill(acc, 0, span, 0f);
            for (int q = 0; q < planes; q++) addShifted(x, xOff + base + (o + q) * stride, shift, acc, span);
            for (int c = 0; c < cn; c++) {
                double bMean = channelSum(acc, c, inner) / bn; // of z
                float ce = (float) (perC[c] + bMean);
                st[2 * cn + c] = bMean;
                st[3 * cn + c] = ce - (perC[c] + bMean);           // centre's rounding
                perC[cn + c] = ce;
            }
            spread(centre, cn, inner, perC, cn);
            java.util.Arrays.fill(acc, 0, span, 0f);
            for (int q = 0; q < planes; q++) addSquares(x, xOff + base + (o + q) * stride, centre, acc, span);
            double n = cnt + bn;
            for (int c = 0; c < cn; c++) {
                double off = st[3 * cn + c], bMean = st[2 * cn + c];
                double bM2 = Math.max(channelSum(acc, c, inner) - bn * off * off, 0);
                double delta = bMean - st[c];
                st[c] += delta * bn / n;
                st[cn + c] += bM2 + delta * delta * cnt * bn / n;
            }
            cnt = n;
        }
        for (int c = 0; c < cn; c++) {
            long ch = c0 + c;
            double muK = st[c], mu = perC[c] + muK, va = Math.max(st[cn + c] / cnt, 0);
            double inv = 1.0 / Math.sqrt(va + eps);
            perC[cn + c] = (float) muK;
            perC[2 * cn + c] = (float) (get(gamma, gOff + ch) * inv);
            perC[3 * cn + c] = get(beta, bOff + ch);
            set(mean, meanOff + ch, (float) mu);
            set(var, varOff + ch, (float) va);
            set(runMean, rmOff + ch, (float) (momentum * (double) get(runMean, rmOff + ch) + (1.0 - momentum) * mu));
            set(runVar, rvOff + ch, (float) (momentum * (double) get(runVar, rvOff + ch) + (1.0 - momentum) * va));
        }
        float[] muKs = centre, scale = acc, be = ws[5].floats(span);
        spread(muKs, cn, inner, perC, cn);
        spread(scale, cn, inner, perC, 2 * cn);
        spread(be, cn, inner, perC, 3 * cn);
        for (long o = 0; o < outer; o++) {
            normaliseImage(x, xOff + base + o * stride, y, yOff + base + o * stride, shift, muKs, scale, be, span);
        }
    }

    /**
     * {@link #batchNormBackward} of small planes, image-major (see {@link #imageMajor}): per block of images the
     * float sums of dout and (x - mu) * dout, accumulated per position and folded per channel into double sums,
     * then the same per-element dx as the channel-major loop.
     */
    private static void smallBackward(boolean training, long outer, long channels, int inner, long c0, long c1,
                                      MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment gamma, long gOff,
                                      MemorySegment mean, long meanOff, MemorySegment var, long varOff, float eps,
                                      MemorySegment dx, long dxOff, MemorySegment dgamma, long dgOff, MemorySegment dbeta, long dbOff) {
        int cn = (int) (c1 - c0), span = cn * inner;
        long stride = channels * inner, base = c0 * inner;
        double m = (double) outer * inner;
        Scratch[] ws = SMALL.get();
        float[] accD = ws[0].floats(span), accX = ws[1].floats(span), mus = ws[2].floats(span);
        float[] perC = ws[3].floats(4 * cn); // mu, a, k, k0 per channel
        double[] st = ws[4].doubles(2 * cn);  // sum dout, sum (x - mu) * dout per channel
        for (int c = 0; c < cn; c++) {
            perC[c] = get(mean, meanOff + c0 + c);
            st[c] = 0;
            st[cn + c] = 0;
        }
        spread(mus, cn, inner, perC, 0);
        int group = planesPerBlock(outer, inner);
        for (long o = 0; o < outer; o += group) {
            int planes = (int) Math.min(group, outer - o);
            java.util.Arrays.fill(accD, 0, span, 0f);
            java.util.Arrays.fill(accX, 0, span, 0f);
            for (int q = 0; q < planes; q++) {
                long p = base + (o + q) * stride;
                addDots(x, xOff + p, dout, dOff + p, mus, accD, accX, span);
            }
            for (int c = 0; c < cn; c++) {
                st[c] += channelSum(accD, c, inner);
                st[cn + c] += channelSum(accX, c, inner);
            }
        }
        for (int c = 0; c < cn; c++) {
            long ch = c0 + c;
            double inv = 1.0 / Math.sqrt((double) get(var, varOff + ch) + eps);
            double a = get(gamma, gOff + ch) * inv, sd = st[c], dg = st[cn + c] * inv;
            perC[cn + c] = (float) a;
            perC[2 * cn + c] = training ? (float) (-a * inv * dg / m) : 0f;
            perC[3 * cn + c] = training ? (float) (sd / m) : 0f;
            set(dgamma, dgOff + ch, (float) dg);
            set(dbeta, dbOff + ch, (float) sd);
        }
        float[] as = accD, ks = accX, k0s = ws[5].floats(span);
        spread(as, cn, inner, perC, cn);
        spread(ks, cn, inner, perC, 2 * cn);
        spread(k0s, cn, inner, perC, 3 * cn);
        for (long o = 0; o < outer; o++) {
            long p = base + o * stride;
            backwardImage(x, xOff + p, dout, dOff + p, dx, dxOff + p, mus, as, ks, k0s, span);
        }
    }

    /**
     * Planes per statistics block: small planes (the 8x8 and 4x4 maps of small CNNs) are grouped up to
     * {@value #BLOCK} values, so a block's float sums and its double merge are paid once per group, not per
     * 16-64 values; planes of {@value #BLOCK} or more are cut into blocks instead.
     */
    private static int planesPerBlock(long outer, long inner) {
        return inner >= BLOCK ? 1 : (int) Math.max(1, Math.min(outer, BLOCK / inner));
    }

    private static void featureBackward(boolean training, long rows, long cols, long c0, long c1,
                                        MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment gamma, long gOff,
                                        MemorySegment mean, long meanOff, MemorySegment var, long varOff, float eps,
                                        MemorySegment dx, long dxOff, MemorySegment dgamma, long dgOff, MemorySegment dbeta, long dbOff) {
        float invM = (float) (1.0 / rows);
        for (long c = c0; c < c1; c += L) {
            VectorMask<Float> cm = S.indexInRange(c, c1);
            FloatVector mu = load(mean, meanOff + c, cm);
            FloatVector inv = FloatVector.broadcast(S, 1f).div(load(var, varOff + c, cm).add(eps).sqrt());
            FloatVector sd = FloatVector.zero(S), sdx = FloatVector.zero(S);
            for (long r0 = 0; r0 < rows; r0 += ROWS) {
                long end = Math.min(rows, r0 + ROWS);
                FloatVector bd = FloatVector.zero(S), bdx = FloatVector.zero(S);
                for (long r = r0; r < end; r++) {
                    FloatVector d = load(dout, dOff + r * cols + c, cm);
                    bd = bd.add(d);
                    bdx = load(x, xOff + r * cols + c, cm).sub(mu).fma(d, bdx);
                }
                sd = sd.add(bd);
                sdx = sdx.add(bdx);
            }
            FloatVector dg = sdx.mul(inv);
            dg.intoMemorySegment(dgamma, (dgOff + c) * Float.BYTES, NATIVE, cm);
            sd.intoMemorySegment(dbeta, (dbOff + c) * Float.BYTES, NATIVE, cm);
            FloatVector a = load(gamma, gOff + c, cm).mul(inv);
            FloatVector k = training ? a.mul(inv).mul(dg).mul(-invM) : FloatVector.zero(S);
            FloatVector k0 = training ? sd.div((float) rows) : FloatVector.zero(S);
            for (long r = 0; r < rows; r++) {
                load(dout, dOff + r * cols + c, cm).sub(k0).fma(a, load(x, xOff + r * cols + c, cm).sub(mu).mul(k))
                        .intoMemorySegment(dx, (dxOff + r * cols + c) * Float.BYTES, NATIVE, cm);
            }
        }
    }

    // ------------------------------------------------------------------ dropout

    @Override
    public void dropoutForward(long n, long index0, long seed, int keepThreshold, float scale,
                               MemorySegment x, long xOff, MemorySegment mask, long mOff, MemorySegment y, long yOff) {
        long j = 0;
        while (j < n) {
            // within one run the high 32 bits of the index, hence the key, stay the same
            long idx = index0 + j;
            long run = Math.min(n - j, (1L << 32) - (idx & 0xFFFFFFFFL));
            dropoutRun(run, (int) idx, DropoutMask.key(seed, idx >>> 32), keepThreshold, scale,
                    x, xOff + j, mask, mOff + j, y, yOff + j);
            j += run;
        }
    }

    private static void dropoutRun(long n, int lo, int key, int keepThreshold, float scale,
                                   MemorySegment x, long xOff, MemorySegment mask, long mOff, MemorySegment y, long yOff) {
        IntVector lane = IntVector.zero(I).addIndex(1);
        float thr = keepThreshold;
        FloatVector zero = FloatVector.zero(S);
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            IntVector h = lane.add(lo + (int) i).mul(DropoutMask.GOLDEN32).add(key);
            h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x85EBCA6B);
            h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13)).mul(0xC2B2AE35);
            h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).lanewise(VectorOperators.LSHR, 8);
            FloatVector u = (FloatVector) h.convert(VectorOperators.I2F, 0);
            FloatVector k = zero.blend(1f, u.compare(VectorOperators.LT, thr));
            k.intoMemorySegment(mask, (mOff + i) * Float.BYTES, NATIVE);
            load(x, xOff + i).mul(k).mul(scale).intoMemorySegment(y, (yOff + i) * Float.BYTES, NATIVE);
        }
        for (; i < n; i++) { // the same bits as the lanes above, one element at a time
            float k = (DropoutMask.fmix32((lo + (int) i) * DropoutMask.GOLDEN32 + key) >>> 8) < keepThreshold ? 1f : 0f;
            set(mask, mOff + i, k);
            set(y, yOff + i, get(x, xOff + i) * k * scale);
        }
    }

    @Override
    public void dropoutApply(long n, float scale, MemorySegment x, long xOff, MemorySegment mask, long mOff,
                             MemorySegment y, long yOff) {
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            load(x, xOff + i).mul(load(mask, mOff + i)).mul(scale).intoMemorySegment(y, (yOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            load(x, xOff + i, m).mul(load(mask, mOff + i, m)).mul(scale).intoMemorySegment(y, (yOff + i) * Float.BYTES, NATIVE, m);
        }
    }
}

package io.tensorlane.kernels.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked SGEMM microkernels: MR rows x 2 vectors of columns over packed panels (A: MR
 * values per k step, B: NR = 2 x lanes values per k step), leaving the MR x NR tile of sums in a heap
 * buffer (row stride {@code ts}) that {@link VectorGemm} then merges into C with alpha and beta.
 *
 * <p>Why this shape of code:
 * <ul>
 *   <li>The accumulators are separate locals (never an array), so C2 keeps them all in registers; each k
 *       step loads the two B vectors once and broadcasts each A value once ({@code vbroadcastss mem}).</li>
 *   <li>The k loop runs over the A index, and the B index is derived from it ({@code bi = ai * NR/MR + d}): C2
 *       does not strength-reduce, so a loop over p with {@code ao + 4p} and {@code bo + NR p} recomputed both
 *       every step (22 instructions per 8 FMAs on AVX2; now 19, one lea and one sign extension). Fewer
 *       instructions matter on a shared host: in its busy state (as if another tenant shared the physical
 *       core) this kernel ran 2x slower and OpenBLAS's hand-written one, with fewer instructions per FMA,
 *       1.25x (docs/performance.md, tenth session). Same-JVM rounds alternating both loops, OpenBLAS in the same
 *       rounds: 64x3136x256 and 96x3025x363 0.90-0.94x the time, square 128-256 within noise.
 *       Larger tiles (6x2, 4x3: 12 accumulators) would need fewer instructions per FMA still, but C2
 *       schedules all broadcasts of a step first and spills two accumulators to the stack (40 GFLOP/s).</li>
 *   <li>The methods stay small. Vector API code is only fast when every vector operation is inlined and
 *       intrinsified; with the alpha/beta write-back to a {@code MemorySegment} unrolled here as well, C2
 *       ran out of inlining budget and left some of it as calls that box vectors (about 3x slower).
 *       Storing the tile to a buffer and merging it in a loop costs about 1% at kc = 256.</li>
 *   <li>The packed panels are heap {@code float[]}s, not off-heap segments: with int indices C2 hoists every
 *       range check out of the k loop, while the same loop over {@code MemorySegment}s (long offsets) kept
 *       a bounds check per broadcast and split the loop into a nest, which measured 30-50% slower on AVX2
 *       (JDK 25). 64-byte alignment, which only off-heap segments could guarantee, made no difference
 *       on Zen 3 that stood out of the noise.</li>
 * </ul>
 * Tile sizes: see {@link io.tensorlane.kernels.GemmBlocking#forVectorLanes(int)}.
 */
final class GemmMicrokernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int LANES = S.length();
    private static final int NR = 2 * LANES;

    private GemmMicrokernels() {
    }

    /**
     * tile[to + i*ts + j] (+)= sum over p of ap[ao + p*4 + i] * bp[bo + p*NR + j] for the 4 x NR tile:
     * with {@code load} the sums continue from the tile's values (one recursive sum over all of k).
     */
    static void kernel4x2(int kc, float[] ap, int ao, float[] bp, int bo, float[] tile, int to, int ts, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (load) {
            c00 = FloatVector.fromArray(S, tile, to);
            c01 = FloatVector.fromArray(S, tile, to + LANES);
            c10 = FloatVector.fromArray(S, tile, to + ts);
            c11 = FloatVector.fromArray(S, tile, to + ts + LANES);
            c20 = FloatVector.fromArray(S, tile, to + 2 * ts);
            c21 = FloatVector.fromArray(S, tile, to + 2 * ts + LANES);
            c30 = FloatVector.fromArray(S, tile, to + 3 * ts);
            c31 = FloatVector.fromArray(S, tile, to + 3 * ts + LANES);
        } else {
            c00 = FloatVector.zero(S);
            c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
        }
        // Plain int indices over heap arrays: C2 hoists the range checks out of this loop, and the
        // 8 accumulators, 2 B vectors and the broadcasts all stay in registers. The A index is the loop
        // variable and the B index one lea from it (see the class comment).
        for (int ai = ao, aEnd = ao + 4 * kc, d = bo - ao * (NR / 4); ai < aEnd; ai += 4) {
            int bi = ai * (NR / 4) + d;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + LANES);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
        }
        c00.intoArray(tile, to);
        c01.intoArray(tile, to + LANES);
        c10.intoArray(tile, to + ts);
        c11.intoArray(tile, to + ts + LANES);
        c20.intoArray(tile, to + 2 * ts);
        c21.intoArray(tile, to + 2 * ts + LANES);
        c30.intoArray(tile, to + 3 * ts);
        c31.intoArray(tile, to + 3 * ts + LANES);
    }

    /**
     * {@link #kernel4x2} with A as 4 rows of a row-major block: row i's element p is {@code a[ao + i*lda + p]}.
     * For callers that produce A themselves in that layout (Winograd's input transform: tiles x channels):
     * no transposing copy into packed panels. The same sums in the same order as {@link #kernel4x2} on the
     * packed equivalent. (A general element stride would cost 1.5x: C2 eliminates the range checks of
     * {@code a[p + invariant]} but not of {@code a[p*ks + invariant]} with a variable ks.)
     */
    static void kernel4x2Rows(int kc, float[] a, int ao, int lda, float[] bp, int bo, float[] tile, int to, int ts,
                              boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (load) {
            c00 = FloatVector.fromArray(S, tile, to);
            c01 = FloatVector.fromArray(S, tile, to + LANES);
            c10 = FloatVector.fromArray(S, tile, to + ts);
            c11 = FloatVector.fromArray(S, tile, to + ts + LANES);
            c20 = FloatVector.fromArray(S, tile, to + 2 * ts);
            c21 = FloatVector.fromArray(S, tile, to + 2 * ts + LANES);
            c30 = FloatVector.fromArray(S, tile, to + 3 * ts);
            c31 = FloatVector.fromArray(S, tile, to + 3 * ts + LANES);
        } else {
            c00 = FloatVector.zero(S);
            c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
        }
        int a1o = ao + lda, a2o = ao + 2 * lda, a3o = ao + 3 * lda;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + LANES);
            FloatVector a0 = FloatVector.broadcast(S, a[ao + p]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[a1o + p]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[a2o + p]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[a3o + p]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
        }
        c00.intoArray(tile, to);
        c01.intoArray(tile, to + LANES);
        c10.intoArray(tile, to + ts);
        c11.intoArray(tile, to + ts + LANES);
        c20.intoArray(tile, to + 2 * ts);
        c21.intoArray(tile, to + 2 * ts + LANES);
        c30.intoArray(tile, to + 3 * ts);
        c31.intoArray(tile, to + 3 * ts + LANES);
    }

    /**
     * {@link #kernel4x2} with A in panels of LANES rows: row i's element p is {@code a[ao + p*LANES + i]} (4 of the
     * panel's rows, ao at the first). For callers that produce A as vectors along its rows (Winograd's gradient
     * transform: one vector of L filters per tile), stored whole: no quarter-vector copies into 4-row panels.
     * The same sums in the same order as {@link #kernel4x2} on the packed equivalent.
     */
    static void kernel4x2Wide(int kc, float[] a, int ao, float[] bp, int bo, float[] tile, int to, int ts, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (load) {
            c00 = FloatVector.fromArray(S, tile, to);
            c01 = FloatVector.fromArray(S, tile, to + LANES);
            c10 = FloatVector.fromArray(S, tile, to + ts);
            c11 = FloatVector.fromArray(S, tile, to + ts + LANES);
            c20 = FloatVector.fromArray(S, tile, to + 2 * ts);
            c21 = FloatVector.fromArray(S, tile, to + 2 * ts + LANES);
            c30 = FloatVector.fromArray(S, tile, to + 3 * ts);
            c31 = FloatVector.fromArray(S, tile, to + 3 * ts + LANES);
        } else {
            c00 = FloatVector.zero(S);
            c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
        }
        for (int ai = ao, aEnd = ao + LANES * kc, d = bo - 2 * ao; ai < aEnd; ai += LANES) {
            int bi = 2 * ai + d; // NR = 2 * LANES
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + LANES);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
        }
        c00.intoArray(tile, to);
        c01.intoArray(tile, to + LANES);
        c10.intoArray(tile, to + ts);
        c11.intoArray(tile, to + ts + LANES);
        c20.intoArray(tile, to + 2 * ts);
        c21.intoArray(tile, to + 2 * ts + LANES);
        c30.intoArray(tile, to + 3 * ts);
        c31.intoArray(tile, to + 3 * ts + LANES);
    }

    /**
     * tile[to + i*ts + j] (+)= sum over p of ap[ao + p*8 + i] * bp[bo + p*NR + j] for the 8 x NR tile:
     * with {@code load} the sums continue from the tile's values (one recursive sum over all of k).
     */
    static void kernel8x2(int kc, float[] ap, int ao, float[] bp, int bo, float[] tile, int to, int ts, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (load) {
            c00 = FloatVector.fromArray(S, tile, to);
            c01 = FloatVector.fromArray(S, tile, to + LANES);
            c10 = FloatVector.fromArray(S, tile, to + ts);
            c11 = FloatVector.fromArray(S, tile, to + ts + LANES);
            c20 = FloatVector.fromArray(S, tile, to + 2 * ts);
            c21 = FloatVector.fromArray(S, tile, to + 2 * ts + LANES);
            c30 = FloatVector.fromArray(S, tile, to + 3 * ts);
            c31 = FloatVector.fromArray(S, tile, to + 3 * ts + LANES);
            c40 = FloatVector.fromArray(S, tile, to + 4 * ts);
            c41 = FloatVector.fromArray(S, tile, to + 4 * ts + LANES);
            c50 = FloatVector.fromArray(S, tile, to + 5 * ts);
            c51 = FloatVector.fromArray(S, tile, to + 5 * ts + LANES);
            c60 = FloatVector.fromArray(S, tile, to + 6 * ts);
            c61 = FloatVector.fromArray(S, tile, to + 6 * ts + LANES);
            c70 = FloatVector.fromArray(S, tile, to + 7 * ts);
            c71 = FloatVector.fromArray(S, tile, to + 7 * ts + LANES);
        } else {
            c00 = FloatVector.zero(S);
            c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00; c40 = c00; c41 = c00; c50 = c00; c51 = c00; c60 = c00; c61 = c00; c70 = c00; c71 = c00;
        }
        // Plain int indices over heap arrays: C2 hoists the range checks out of this loop, and the
        // 16 accumulators, 2 B vectors and the broadcasts all stay in registers (indices as in kernel4x2).
        for (int ai = ao, aEnd = ao + 8 * kc, d = bo - ao * (NR / 8); ai < aEnd; ai += 8) {
            int bi = ai * (NR / 8) + d;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + LANES);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60); c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70); c71 = a7.fma(b1, c71);
        }
        c00.intoArray(tile, to);
        c01.intoArray(tile, to + LANES);
        c10.intoArray(tile, to + ts);
        c11.intoArray(tile, to + ts + LANES);
        c20.intoArray(tile, to + 2 * ts);
        c21.intoArray(tile, to + 2 * ts + LANES);
        c30.intoArray(tile, to + 3 * ts);
        c31.intoArray(tile, to + 3 * ts + LANES);
        c40.intoArray(tile, to + 4 * ts);
        c41.intoArray(tile, to + 4 * ts + LANES);
        c50.intoArray(tile, to + 5 * ts);
        c51.intoArray(tile, to + 5 * ts + LANES);
        c60.intoArray(tile, to + 6 * ts);
        c61.intoArray(tile, to + 6 * ts + LANES);
        c70.intoArray(tile, to + 7 * ts);
        c71.intoArray(tile, to + 7 * ts + LANES);
    }

}

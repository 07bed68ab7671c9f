package io.tensorlane.kernels;

import io.tensorlane.kernels.GuardedBuffer.Memory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.tensorlane.kernels.FloatAsserts.assertClose;
import static io.tensorlane.kernels.FloatAsserts.assertExact;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every SIMD kernel against its scalar twin on awkward sizes (1 .. 4097, around every vector width),
 * odd element offsets, heap and off-heap memory, and wide input ranges; guard elements around every
 * output must keep their sentinel. Tagged "simd": the build re-runs it with the vector width capped
 * at 128, 256 and 512 bits.
 *
 * <p>Tolerances. Data movement, compare/blend ops, +-*, fused axpy, max and argmax are exact (same
 * float operations in the same order per element). Exp-based results use a polynomial exp whose
 * relative error is below 2e-7 (vs. the twin's double-precision Math.exp rounded once), so they are
 * checked at 1e-6 relative; an absolute Float.MIN_NORMAL covers results below the normal range, which
 * the SIMD exp flushes to 0. Sums are float lanes (blocks of 256-512 terms) vs. the twin's double;
 * their bound is a multiple of 2^-24 times the sum of magnitudes, given per test.
 */
@Tag("simd")
class SimdMatchesScalarTest {
    static final long[] SIZES = {1, 3, 7, 15, 16, 17, 31, 33, 63, 65, 1000, 4097};
    static final long[] OFFSETS = {0, 1, 3};
    static final double EPS = Math.ulp(1f); // 2^-23
    static final double EXP_RTOL = 1e-6;
    static final double EXP_ATOL = Float.MIN_NORMAL;

    private final KernelSet ref = Kernels.get(Impl.SCALAR);
    private final KernelSet simd = Kernels.get(Impl.SIMD);

    /** One kernel invocation on a set, over buffers laid out identically for both sets. */
    interface Invocation {
        void run(KernelSet k, long n, GuardedBuffer[] in, GuardedBuffer out);
    }

    /** Values for an input of n elements. */
    interface Values {
        float[] make(Random rnd, int n);
    }

    static Values uniform(float lo, float hi) {
        return (rnd, n) -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * rnd.nextFloat();
            return v;
        };
    }

    /** Mostly |x| up to 100, sprinkled with the awkward values an activation must survive. */
    static final float[] SPECIAL = {0f, -0f, 1e-30f, -1e-30f, 3e-4f, -3e-4f, 0.6249f, -0.6251f, 88.5f, -88.5f,
            87.4f, -87.4f, 100f, -100f, 1000f, -1000f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};

    static Values wide() {
        return (rnd, n) -> {
            float[] v = uniform(-100f, 100f).make(rnd, n);
            for (int i = 0; i < n; i += 3) v[i] = (float) (rnd.nextGaussian() * 2); // plenty near 0
            for (int i = 0; i < n; i += 5) v[i] = SPECIAL[rnd.nextInt(SPECIAL.length)];
            return v;
        };
    }

    /**
     * Runs {@code op} for every size, offset and memory kind on both sets with the same inputs; the
     * output (optionally pre-filled by {@code initialOut}) is compared exactly when rtol and atol are 0.
     */
    private void compare(String name, Invocation op, double rtol, double atol, Values initialOut, Values... inputs) {
        int caseNo = 0;
        for (Memory memory : Memory.values()) {
            for (long n : SIZES) {
                for (long off : OFFSETS) {
                    long outOff = OFFSETS[(caseNo++ + 1) % OFFSETS.length]; // outputs at a different offset
                    Random rnd = new Random(31 * n + off);
                    float[][] data = new float[inputs.length][];
                    for (int j = 0; j < inputs.length; j++) data[j] = inputs[j].make(rnd, (int) n);
                    float[] init = initialOut == null ? null : initialOut.make(rnd, (int) n);
                    String what = name + " n=" + n + " off=" + off + "/" + outOff + " " + memory;
                    float[] expected = run(ref, op, memory, n, off, outOff, data, init, what + " scalar");
                    float[] actual = run(simd, op, memory, n, off, outOff, data, init, what + " simd");
                    if (rtol == 0 && atol == 0) {
                        assertExact(what, expected, actual);
                    } else {
                        assertClose(what, expected, actual, rtol, atol);
                    }
                }
            }
        }
    }

    private static float[] run(KernelSet k, Invocation op, Memory memory, long n, long off, long outOff,
                               float[][] data, float[] init, String what) {
        try (Arena arena = Arena.ofConfined()) {
            GuardedBuffer[] in = new GuardedBuffer[data.length];
            for (int j = 0; j < data.length; j++) in[j] = GuardedBuffer.floats(memory, arena, off, data[j]);
            GuardedBuffer out = init == null ? GuardedBuffer.floats(memory, arena, outOff, n)
                    : GuardedBuffer.floats(memory, arena, outOff, init);
            op.run(k, n, in, out);
            out.assertGuardsIntact(what);
            return out.toFloats();
        }
    }

    // ---------------------------------------------------------------- elementwise (all exact)

    @Test
    void elementwise() {
        Values v = uniform(-10f, 10f);
        compare("add", (k, n, in, o) -> k.elementwise().add(n, in[0].seg, in[0].off, in[1].seg, in[1].off, o.seg, o.off), 0, 0, null, v, v);
        compare("sub", (k, n, in, o) -> k.elementwise().sub(n, in[0].seg, in[0].off, in[1].seg, in[1].off, o.seg, o.off), 0, 0, null, v, v);
        compare("mul", (k, n, in, o) -> k.elementwise().mul(n, in[0].seg, in[0].off, in[1].seg, in[1].off, o.seg, o.off), 0, 0, null, v, v);
        compare("scale", (k, n, in, o) -> k.elementwise().scale(n, -1.7f, in[0].seg, in[0].off, o.seg, o.off), 0, 0, null, v);
        compare("axpy", (k, n, in, o) -> k.elementwise().axpy(n, 0.3f, in[0].seg, in[0].off, o.seg, o.off), 0, 0, v, v);
        compare("fill", (k, n, in, o) -> k.elementwise().fill(n, 2.5f, o.seg, o.off), 0, 0, null);
        compare("copy", (k, n, in, o) -> k.elementwise().copy(n, in[0].seg, in[0].off, o.seg, o.off), 0, 0, null, wide());
    }

    @Test
    void elementwiseInPlace() {
        // out aliases a exactly: the SIMD loop must read each vector before writing it
        for (long n : SIZES) {
            float[] a = uniform(-1f, 1f).make(new Random(n), (int) n);
            float[] b = uniform(-1f, 1f).make(new Random(n + 1), (int) n);
            float[][] results = new float[2][];
            int s = 0;
            for (KernelSet k : List.of(ref, simd)) {
                try (Arena arena = Arena.ofConfined()) {
                    GuardedBuffer ab = GuardedBuffer.floats(Memory.NATIVE, arena, 1, a);
                    GuardedBuffer bb = GuardedBuffer.floats(Memory.NATIVE, arena, 1, b);
                    k.elementwise().add(n, ab.seg, 1, bb.seg, 1, ab.seg, 1);
                    ab.assertGuardsIntact("in-place add");
                    results[s++] = ab.toFloats();
                }
            }
            assertExact("in-place add n=" + n, results[0], results[1]);
            float[] expected = new float[(int) n];
            for (int i = 0; i < n; i++) expected[i] = a[i] + b[i];
            assertExact("in-place add value n=" + n, expected, results[1]);
        }
    }

    // ---------------------------------------------------------------- activations

    @Test
    void reluFamilyIsExact() {
        Values x = wide();
        Values d = uniform(-3f, 3f);
        compare("relu", (k, n, in, o) -> k.activations().relu(n, in[0].seg, in[0].off, o.seg, o.off), 0, 0, null, x);
        compare("reluBackward", (k, n, in, o) -> k.activations().reluBackward(n, in[0].seg, in[0].off, in[1].seg, in[1].off, o.seg, o.off), 0, 0, null, x, d);
        compare("leakyRelu", (k, n, in, o) -> k.activations().leakyRelu(n, 0.01f, in[0].seg, in[0].off, o.seg, o.off), 0, 0, null, x);
        compare("leakyReluBackward", (k, n, in, o) -> k.activations().leakyReluBackward(n, 0.2f, in[0].seg, in[0].off, in[1].seg, in[1].off, o.seg, o.off), 0, 0, null, x, d);
    }

    @Test
    void sigmoidAndTanhWithinExpAccuracy() {
        compare("sigmoid", (k, n, in, o) -> k.activations().sigmoid(n, in[0].seg, in[0].off, o.seg, o.off), EXP_RTOL, EXP_ATOL, null, wide());
        compare("tanh", (k, n, in, o) -> k.activations().tanh(n, in[0].seg, in[0].off, o.seg, o.off), EXP_RTOL, EXP_ATOL, null, wide());
    }

    @Test
    void tanhKeepsRelativePrecisionNearZero() {
        // where 1 - 2/(exp(2x)+1) would cancel, the polynomial branch must keep ~1e-7 relative error
        Values tiny = (rnd, n) -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) (Math.scalb(rnd.nextDouble() + 0.5, -rnd.nextInt(40)) * (i % 2 == 0 ? 1 : -1));
            return v;
        };
        compare("tanh near 0", (k, n, in, o) -> k.activations().tanh(n, in[0].seg, in[0].off, o.seg, o.off), EXP_RTOL, 0, null, tiny);
        compare("sigmoid near 0", (k, n, in, o) -> k.activations().sigmoid(n, in[0].seg, in[0].off, o.seg, o.off), EXP_RTOL, 0, null, tiny);
    }

    @Test
    void activationBackwardIsExact() {
        Values y = uniform(-1f, 1f);
        Values d = uniform(-3f, 3f);
        compare("sigmoidBackward", (k, n, in, o) -> k.activations().sigmoidBackward(n, in[0].seg, in[0].off, in[1].seg, in[1].off, o.seg, o.off), 0, 0, null, y, d);
        compare("tanhBackward", (k, n, in, o) -> k.activations().tanhBackward(n, in[0].seg, in[0].off, in[1].seg, in[1].off, o.seg, o.off), 0, 0, null, y, d);
    }

    // ---------------------------------------------------------------- row-wise ops (softmax, reductions, losses)

    /** (rows, cols): every size as cols with 1 and 3 rows, plus a few taller matrices. */
    static List<long[]> shapes() {
        List<long[]> s = new ArrayList<>();
        for (long c : SIZES) {
            s.add(new long[] {1, c});
            s.add(new long[] {3, c});
        }
        s.add(new long[] {65, 17});
        s.add(new long[] {300, 7});
        s.add(new long[] {1000, 33});
        s.add(new long[] {4097, 3});
        return s;
    }

    /** A matrix op: inputs and one float output of outLen(rows, cols) elements. */
    interface MatrixInvocation {
        void run(KernelSet k, long rows, long cols, GuardedBuffer[] in, GuardedBuffer out);
    }

    interface OutLength {
        long of(long rows, long cols);
    }

    /** Per-element tolerance: |a - e| &lt;= bound(expected, index, inputs, rows, cols). */
    interface Bound {
        double of(float[] expected, int i, float[][] inputs, long rows, long cols);
    }

    private void compareMatrix(String name, MatrixInvocation op, OutLength outLen, Bound bound, Values... inputs) {
        int caseNo = 0;
        for (long[] shape : shapes()) {
            long rows = shape[0], cols = shape[1];
            Memory memory = Memory.values()[caseNo % 2];
            long off = OFFSETS[caseNo % 3];
            long outOff = OFFSETS[(caseNo + 1) % 3];
            caseNo++;
            Random rnd = new Random(rows * 7919 + cols);
            float[][] data = new float[inputs.length][];
            for (int j = 0; j < inputs.length; j++) data[j] = inputs[j].make(rnd, (int) (rows * cols));
            String what = name + " " + rows + "x" + cols + " off=" + off + "/" + outOff + " " + memory;
            float[] expected = runMatrix(ref, op, memory, rows, cols, off, outOff, outLen, data, what + " scalar");
            float[] actual = runMatrix(simd, op, memory, rows, cols, off, outOff, outLen, data, what + " simd");
            for (int i = 0; i < expected.length; i++) {
                double b = bound == null ? 0 : bound.of(expected, i, data, rows, cols);
                if (b == 0) {
                    assertExact(what + " [" + i + "]", new float[] {expected[i]}, new float[] {actual[i]});
                } else {
                    assertClose(what + " [" + i + "]", expected[i], actual[i], 0, b);
                }
            }
        }
    }

    private static float[] runMatrix(KernelSet k, MatrixInvocation op, Memory memory, long rows, long cols, long off,
                                     long outOff, OutLength outLen, float[][] data, String what) {
        try (Arena arena = Arena.ofConfined()) {
            GuardedBuffer[] in = new GuardedBuffer[data.length];
            for (int j = 0; j < data.length; j++) in[j] = GuardedBuffer.floats(memory, arena, off, data[j]);
            GuardedBuffer out = GuardedBuffer.floats(memory, arena, outOff, outLen.of(rows, cols));
            op.run(k, rows, cols, in, out);
            out.assertGuardsIntact(what);
            return out.toFloats();
        }
    }

    static final OutLength SAME = (r, c) -> r * c;
    static final OutLength PER_ROW = (r, c) -> r;
    static final OutLength PER_COL = (r, c) -> c;

    /** Sum of |x| over the row (or column) that produced output i, for rowwise/colwise sum bounds. */
    static double absSum(float[] x, int i, long rows, long cols, boolean perRow) {
        double s = 0;
        if (perRow) {
            for (long c = 0; c < cols; c++) s += Math.abs(x[(int) (i * cols + c)]);
        } else {
            for (long r = 0; r < rows; r++) s += Math.abs(x[(int) (r * cols + i)]);
        }
        return s;
    }

    @Test
    void softmaxForward() {
        // |logit| up to 1000 so the max subtraction matters. Relative error per element: the exp
        // polynomial (< 2e-7), the rounding of x - max (2^-24 |x - max|, < 1e-6 while |x - max| < 16),
        // and the row sum (float lanes over <= 512 terms, then double). Below exp(-30) * (1/sum) an
        // element no longer matters; atol 1e-12 covers those.
        Values logits = (rnd, n) -> {
            float[] v = uniform(-8f, 8f).make(rnd, n);
            for (int i = 0; i < n; i += 7) v[i] = rnd.nextBoolean() ? 1000f : -1000f;
            return v;
        };
        compareMatrix("softmax", (k, r, c, in, o) -> k.softmax().softmax(r, c, in[0].seg, in[0].off, o.seg, o.off),
                SAME, (e, i, in, r, c) -> 2e-6 * Math.abs(e[i]) + 1e-12, logits);
        compareMatrix("logSoftmax", (k, r, c, in, o) -> k.softmax().logSoftmax(r, c, in[0].seg, in[0].off, o.seg, o.off),
                // y = (x - max) - log(sum): error of log(sum) is the sum's relative error (~1e-6), plus
                // the rounding of the result
                SAME, (e, i, in, r, c) -> 2 * EPS * Math.abs(e[i]) + 2e-6, logits);
    }

    @Test
    void softmaxBackward() {
        Values probs = uniform(0f, 1f);
        Values dout = uniform(-2f, 2f);
        // dx = y * (dout - dot): the dot product is a float-lane sum vs double, so the error scales
        // with sum|dout * y| (observed ~1.6 eps of it; bound 16 eps), plus rounding of the result
        compareMatrix("softmaxBackward", (k, r, c, in, o) -> k.softmax().softmaxBackward(r, c, in[0].seg, in[0].off, in[1].seg, in[1].off, o.seg, o.off),
                SAME, (e, i, in, r, c) -> {
                    long row = i / c;
                    double dotAbs = 0;
                    for (long j = 0; j < c; j++) dotAbs += Math.abs(in[0][(int) (row * c + j)] * in[1][(int) (row * c + j)]);
                    return Math.abs(in[0][i]) * 16 * EPS * dotAbs + 2 * EPS * Math.abs(e[i]) + Float.MIN_NORMAL;
                }, probs, dout);
        Values logProbs = uniform(-12f, 0f);
        compareMatrix("logSoftmaxBackward", (k, r, c, in, o) -> k.softmax().logSoftmaxBackward(r, c, in[0].seg, in[0].off, in[1].seg, in[1].off, o.seg, o.off),
                SAME, (e, i, in, r, c) -> {
                    long row = i / c;
                    double sumAbs = 0;
                    for (long j = 0; j < c; j++) sumAbs += Math.abs(in[1][(int) (row * c + j)]);
                    // exp(y) relative error 2e-7, times |sum| (itself within 64 eps * sum|dout|)
                    return Math.exp(in[0][i]) * (EXP_RTOL * sumAbs + 64 * EPS * sumAbs) + 2 * EPS * Math.abs(e[i]) + Float.MIN_NORMAL;
                }, logProbs, dout);
    }

    @Test
    void reductions() {
        Values x = uniform(-50f, 50f);
        // sums: float lanes over blocks of 256 terms, then a wider total. The observed error is about
        // 1 eps * sum|x| at every width; the bound 8 eps * sum|x| leaves margin yet is far below
        // any real mistake (a dropped, doubled or misplaced element changes a sum by ~|x|).
        Bound rowSum = (e, i, in, r, c) -> 8 * EPS * absSum(in[0], i, r, c, true) + Float.MIN_NORMAL;
        Bound colSum = (e, i, in, r, c) -> 8 * EPS * absSum(in[0], i, r, c, false) + Float.MIN_NORMAL;
        compareMatrix("rowSum", (k, r, c, in, o) -> k.reductions().rowSum(r, c, in[0].seg, in[0].off, o.seg, o.off), PER_ROW, rowSum, x);
        compareMatrix("rowMean", (k, r, c, in, o) -> k.reductions().rowMean(r, c, in[0].seg, in[0].off, o.seg, o.off), PER_ROW,
                (e, i, in, r, c) -> rowSum.of(e, i, in, r, c) / c + EPS * Math.abs(e[i]), x);
        compareMatrix("colSum", (k, r, c, in, o) -> k.reductions().colSum(r, c, in[0].seg, in[0].off, o.seg, o.off), PER_COL, colSum, x);
        compareMatrix("colMean", (k, r, c, in, o) -> k.reductions().colMean(r, c, in[0].seg, in[0].off, o.seg, o.off), PER_COL,
                (e, i, in, r, c) -> colSum.of(e, i, in, r, c) / r + 2 * EPS * Math.abs(e[i]), x);
        compareMatrix("rowMax", (k, r, c, in, o) -> k.reductions().rowMax(r, c, in[0].seg, in[0].off, o.seg, o.off), PER_ROW, null, x);
        compareMatrix("colMax", (k, r, c, in, o) -> k.reductions().colMax(r, c, in[0].seg, in[0].off, o.seg, o.off), PER_COL, null, x);
        // variance: sum of squared deviations, same accumulation, relative to the variance itself
        // (deviations are formed in float from a float mean); observed <= 4 eps, bound 16 eps
        Values shifted = uniform(90f, 110f);
        for (Values v : List.of(x, shifted)) {
            compareMatrix("rowVariance", (k, r, c, in, o) -> k.reductions().rowVariance(r, c, in[0].seg, in[0].off, o.seg, o.off), PER_ROW,
                    (e, i, in, r, c) -> 16 * EPS * Math.abs(e[i]) + Float.MIN_NORMAL, v);
            compareMatrix("colVariance", (k, r, c, in, o) -> k.reductions().colVariance(r, c, in[0].seg, in[0].off, o.seg, o.off), PER_COL,
                    (e, i, in, r, c) -> 16 * EPS * Math.abs(e[i]) + Float.MIN_NORMAL, v);
        }
    }

    @Test
    void argmaxIsExactIncludingTiesAndNaN() {
        // few distinct values: many ties, so "first index of the maximum" is really tested; NaN and
        // -Infinity sprinkled in must be skipped exactly like the scalar scan skips them
        Values ties = (rnd, n) -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                int p = rnd.nextInt(20);
                v[i] = p == 0 ? Float.NaN : p == 1 ? Float.NEGATIVE_INFINITY : rnd.nextInt(4);
            }
            return v;
        };
        for (long[] shape : shapes()) {
            long rows = shape[0], cols = shape[1];
            float[] x = ties.make(new Random(rows * 31 + cols), (int) (rows * cols));
            if (rows * cols > 2) {
                x[0] = Float.NaN; // a leading NaN must not stick
                x[x.length - 1] = 7f; // the last element is the unique row/column maximum
            }
            for (boolean perRow : new boolean[] {true, false}) {
                long outLen = perRow ? rows : cols;
                int[][] results = new int[2][];
                int s = 0;
                for (KernelSet k : List.of(ref, simd)) {
                    try (Arena arena = Arena.ofConfined()) {
                        GuardedBuffer in = GuardedBuffer.floats(Memory.NATIVE, arena, 1, x);
                        GuardedBuffer out = GuardedBuffer.ints(Memory.HEAP, arena, 3, outLen);
                        if (perRow) k.reductions().rowArgmax(rows, cols, in.seg, 1, out.seg, 3);
                        else k.reductions().colArgmax(rows, cols, in.seg, 1, out.seg, 3);
                        out.assertGuardsIntact("argmax");
                        results[s++] = out.toInts();
                    }
                }
                String what = (perRow ? "rowArgmax " : "colArgmax ") + rows + "x" + cols;
                assertArrayEquals(results[0], results[1], what);
                if (rows * cols > 2) {
                    int last = (int) (perRow ? rows - 1 : cols - 1);
                    assertEquals(perRow ? cols - 1 : rows - 1, results[1][last], what + " unique maximum at the end");
                }
            }
        }
    }

    @Test
    void emptyReductionsFollowTheContract() {
        for (KernelSet k : List.of(ref, simd)) {
            try (Arena arena = Arena.ofConfined()) {
                GuardedBuffer x = GuardedBuffer.floats(Memory.NATIVE, arena, 1, 0);
                GuardedBuffer out = GuardedBuffer.floats(Memory.NATIVE, arena, 1, 3);
                GuardedBuffer idx = GuardedBuffer.ints(Memory.NATIVE, arena, 1, 3);
                String w = k.impl() + " ";
                k.reductions().rowSum(3, 0, x.seg, 1, out.seg, 1);
                assertExact(w + "rowSum of empty rows", new float[] {0, 0, 0}, out.toFloats());
                k.reductions().rowMean(3, 0, x.seg, 1, out.seg, 1);
                assertExact(w + "rowMean of empty rows", new float[] {Float.NaN, Float.NaN, Float.NaN}, out.toFloats());
                k.reductions().rowVariance(3, 0, x.seg, 1, out.seg, 1);
                assertExact(w + "rowVariance of empty rows", new float[] {Float.NaN, Float.NaN, Float.NaN}, out.toFloats());
                k.reductions().rowMax(3, 0, x.seg, 1, out.seg, 1);
                float ninf = Float.NEGATIVE_INFINITY;
                assertExact(w + "rowMax of empty rows", new float[] {ninf, ninf, ninf}, out.toFloats());
                k.reductions().rowArgmax(3, 0, x.seg, 1, idx.seg, 1);
                assertArrayEquals(new int[] {-1, -1, -1}, idx.toInts(), w + "rowArgmax of empty rows");
                k.reductions().colSum(0, 3, x.seg, 1, out.seg, 1);
                assertExact(w + "colSum of empty columns", new float[] {0, 0, 0}, out.toFloats());
                k.reductions().colMean(0, 3, x.seg, 1, out.seg, 1);
                assertExact(w + "colMean of empty columns", new float[] {Float.NaN, Float.NaN, Float.NaN}, out.toFloats());
                k.reductions().colVariance(0, 3, x.seg, 1, out.seg, 1);
                assertExact(w + "colVariance of empty columns", new float[] {Float.NaN, Float.NaN, Float.NaN}, out.toFloats());
                k.reductions().colMax(0, 3, x.seg, 1, out.seg, 1);
                assertExact(w + "colMax of empty columns", new float[] {ninf, ninf, ninf}, out.toFloats());
                k.reductions().colArgmax(0, 3, x.seg, 1, idx.seg, 1);
                assertArrayEquals(new int[] {-1, -1, -1}, idx.toInts(), w + "colArgmax of empty columns");
                out.assertGuardsIntact(w + "empty reductions");
                idx.assertGuardsIntact(w + "empty argmax");
            }
        }
    }

    // ---------------------------------------------------------------- losses

    /** Runs a loss on both sets; returns {loss, dx...} per set for comparison. */
    interface LossInvocation {
        double run(KernelSet k, long n, long c, GuardedBuffer x, GuardedBuffer second, GuardedBuffer dx);
    }

    private void compareLoss(String name, LossInvocation op, boolean intLabels, double lossRtol, Bound dxBound, Values xs) {
        int caseNo = 0;
        for (long[] shape : shapes()) {
            long n = shape[0], c = shape[1];
            Memory memory = Memory.values()[caseNo % 2];
            long off = OFFSETS[caseNo % 3];
            long dOff = OFFSETS[(caseNo + 1) % 3];
            caseNo++;
            Random rnd = new Random(n * 131 + c);
            float[] x = xs.make(rnd, (int) (n * c));
            int[] labels = new int[(int) n];
            for (int i = 0; i < n; i++) labels[i] = rnd.nextInt((int) c);
            float[] target = uniform(0f, 1f).make(rnd, (int) (n * c));
            for (int i = 0; i < target.length; i += 2) target[i] = Math.round(target[i]); // hard and soft targets
            String what = name + " " + n + "x" + c + " " + memory;
            double[] loss = new double[2];
            float[][] dx = new float[2][];
            int s = 0;
            for (KernelSet k : List.of(ref, simd)) {
                try (Arena arena = Arena.ofConfined()) {
                    GuardedBuffer xb = GuardedBuffer.floats(memory, arena, off, x);
                    GuardedBuffer second = intLabels ? GuardedBuffer.ints(memory, arena, off, labels)
                            : GuardedBuffer.floats(memory, arena, off, target);
                    GuardedBuffer d = GuardedBuffer.floats(memory, arena, dOff, n * c);
                    loss[s] = op.run(k, n, c, xb, second, d);
                    d.assertGuardsIntact(what + " " + k.impl());
                    dx[s] = d.toFloats();
                    double lossOnly = op.run(k, n, c, xb, second, null);
                    assertEquals(loss[s], lossOnly, what + " " + k.impl() + ": loss must not depend on whether dx is wanted");
                    s++;
                }
            }
            assertClose(what + " loss", loss[0], loss[1], lossRtol, 1e-30);
            for (int i = 0; i < dx[0].length; i++) {
                double b = dxBound.of(dx[0], i, new float[][] {x}, n, c);
                if (b == 0) assertExact(what + " dx[" + i + "]", new float[] {dx[0][i]}, new float[] {dx[1][i]});
                else assertClose(what + " dx[" + i + "]", dx[0][i], dx[1][i], 0, b);
            }
        }
    }

    @Test
    void softmaxCrossEntropy() {
        Values logits = (rnd, n) -> {
            float[] v = uniform(-10f, 10f).make(rnd, n);
            for (int i = 0; i < n; i += 11) v[i] = rnd.nextBoolean() ? 1000f : -1000f;
            return v;
        };
        // loss: per row max + log(sum) - x_y, the sum within ~1e-6 relative, so log within 1e-6 absolute
        // of terms of size ~|x|; dx as softmax (relative) plus the 1/n subtracted at the label
        compareLoss("softmaxCrossEntropy", (k, n, c, x, l, d) -> k.losses().softmaxCrossEntropy(n, c, x.seg, x.off, l.seg, l.off,
                        d == null ? null : d.seg, d == null ? 0 : d.off), true, 2e-6,
                (e, i, in, n, c) -> 2e-6 * Math.abs(e[i]) + 2 * EPS / n + 1e-12, logits);
    }

    @Test
    void svmHinge() {
        // margins and branches are the same float operations in both: dx is exact; the loss is a
        // float-lane sum of positive margins per row, each row then added in double
        compareLoss("svmHinge", (k, n, c, x, l, d) -> k.losses().svmHinge(n, c, 1f, x.seg, x.off, l.seg, l.off,
                        d == null ? null : d.seg, d == null ? 0 : d.off), true, 1e-5,
                (e, i, in, n, c) -> 0, uniform(-3f, 3f));
    }

    @Test
    void mse() {
        for (MseReduction red : MseReduction.values()) {
            // d = p - t identical; dpred = d * scale: the twin rounds once from double, SIMD rounds the
            // scale and the product (observed exactly 1 ulp at a binade's bottom; bound 2 ulp)
            compareLoss("mse " + red, (k, n, c, x, t, d) -> k.losses().mse(red, n * c, n, x.seg, x.off, t.seg, t.off,
                            d == null ? null : d.seg, d == null ? 0 : d.off), false, 1e-5,
                    (e, i, in, n, c) -> 2 * EPS * Math.abs(e[i]) + Float.MIN_NORMAL, uniform(-2f, 3f));
        }
    }

    @Test
    void sigmoidBce() {
        // wide logits (|x| up to 100 and specials-free): loss terms use exp + log1p (1e-6 relative);
        // dx = (sigmoid(x) - t) / numel with the sigmoid within 1e-6, absolute after subtracting t
        compareLoss("sigmoidBce", (k, n, c, x, t, d) -> k.losses().sigmoidBce(n * c, x.seg, x.off, t.seg, t.off,
                        d == null ? null : d.seg, d == null ? 0 : d.off), false, 2e-6,
                (e, i, in, n, c) -> EXP_RTOL / (n * c) + 2 * EPS * Math.abs(e[i]), uniform(-100f, 100f));
    }

    // ---------------------------------------------------------------- in place

    /** An op over two float inputs a, b (same length) writing out; the test aliases out with one input. */
    interface TwoInputOp {
        double run(KernelSet k, long rows, long cols, MemorySegment a, MemorySegment b, MemorySegment out);
    }

    /**
     * Writing the result over an input (exact aliasing, which the entry points allow) gives the same
     * bits as writing it elsewhere, for both implementations: the SIMD kernels use the output as exp's
     * scratch, so they must have read their inputs first.
     */
    @Test
    void inPlaceEqualsOutOfPlace() {
        java.util.Map<String, TwoInputOp> ops = new java.util.LinkedHashMap<>();
        ops.put("sigmoid", (k, r, c, a, b, o) -> { k.activations().sigmoid(r * c, a, 0, o, 0); return 0; });
        ops.put("tanh", (k, r, c, a, b, o) -> { k.activations().tanh(r * c, a, 0, o, 0); return 0; });
        ops.put("relu", (k, r, c, a, b, o) -> { k.activations().relu(r * c, a, 0, o, 0); return 0; });
        ops.put("softmax", (k, r, c, a, b, o) -> { k.softmax().softmax(r, c, a, 0, o, 0); return 0; });
        ops.put("logSoftmax", (k, r, c, a, b, o) -> { k.softmax().logSoftmax(r, c, a, 0, o, 0); return 0; });
        ops.put("softmaxBackward", (k, r, c, a, b, o) -> { k.softmax().softmaxBackward(r, c, a, 0, b, 0, o, 0); return 0; });
        ops.put("logSoftmaxBackward", (k, r, c, a, b, o) -> { k.softmax().logSoftmaxBackward(r, c, a, 0, b, 0, o, 0); return 0; });
        ops.put("sigmoidBce", (k, r, c, a, b, o) -> k.losses().sigmoidBce(r * c, a, 0, b, 0, o, 0));
        ops.put("mse", (k, r, c, a, b, o) -> k.losses().mse(MseReduction.MEAN, r * c, r, a, 0, b, 0, o, 0));
        long[][] shapes = {{1, 1}, {3, 7}, {2, 17}, {4, 33}, {1, 1000}};
        for (KernelSet k : List.of(ref, simd)) {
            for (var op : ops.entrySet()) {
                for (long[] shape : shapes) {
                    long r = shape[0], c = shape[1];
                    int n = (int) (r * c);
                    Random rnd = new Random(n);
                    float[] a = uniform(-6f, 0f).make(rnd, n); // also valid log-probabilities
                    float[] b = uniform(0f, 1f).make(rnd, n);
                    float[] separate = new float[n];
                    double expectedLoss = op.getValue().run(k, r, c, MemorySegment.ofArray(a.clone()), MemorySegment.ofArray(b.clone()),
                            MemorySegment.ofArray(separate));
                    for (int alias = 0; alias < 2; alias++) {
                        try (Arena arena = Arena.ofConfined()) {
                            MemorySegment as = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, a);
                            MemorySegment bs = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, b);
                            MemorySegment out = alias == 0 ? as : bs;
                            String what = k.impl() + " " + op.getKey() + " " + r + "x" + c + " out aliasing " + (alias == 0 ? "a" : "b");
                            double loss = op.getValue().run(k, r, c, as, bs, out);
                            assertExact(what, separate, out.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT));
                            assertEquals(expectedLoss, loss, what + " loss");
                        }
                    }
                }
            }
        }
    }
}

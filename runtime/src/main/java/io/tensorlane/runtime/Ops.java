package io.tensorlane.runtime;

import io.tensorlane.kernels.ActivationKernels;
import io.tensorlane.kernels.Checks;
import io.tensorlane.kernels.KernelSet;
import io.tensorlane.kernels.MseReduction;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Trans;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Objects;

/**
 * The tensor-level facade: validates every argument (before touching memory), then dispatches to the
 * device's kernels, splitting large work over {@link Parallelism} in chunks that do not depend on the
 * thread count (so results are identical for any count).
 *
 * <p>Inputs may be non-contiguous views (they are copied to contiguous form first). Outputs passed
 * in must be contiguous and of the right shape and dtype. Allocating forms return a new contiguous
 * tensor "like" the first input: in its arena when it has one, else on the heap.
 *
 * <p>Errors are {@link IllegalArgumentException}s naming the op, the argument and the shapes, e.g.
 * {@code add: b has shape [3, 5] but a has [3, 4]}.
 */
public final class Ops {
    /** Elements per parallel chunk of an elementwise op: large enough to amortise the hand-off. */
    static final long GRAIN = 1 << 16;

    private final Device device;
    private final Parallelism par;

    private Ops(Device device, Parallelism par) {
        this.device = Objects.requireNonNull(device, "device");
        this.par = Objects.requireNonNull(par, "parallelism");
    }

    /** Ops on {@code device} with {@link Parallelism#defaults()}. */
    public static Ops on(Device device) {
        return new Ops(device, Parallelism.defaults());
    }

    /** The same device with another thread policy. */
    public Ops with(Parallelism parallelism) {
        return new Ops(device, parallelism);
    }

    public Device device() {
        return device;
    }

    public Parallelism parallelism() {
        return par;
    }

    private KernelSet k() {
        return device.kernels();
    }

    /** A zero-filled tensor owned by {@code arena}. */
    public Tensor allocate(Arena arena, DType dtype, long... shape) {
        return Tensor.allocate(arena, dtype, shape);
    }

    // ============================================================ validation helpers

    private static String s(Tensor t) {
        return Tensor.compact(t.shape());
    }

    private static Tensor notNull(String op, String arg, Tensor t) {
        if (t == null) throw new IllegalArgumentException(op + ": " + arg + " is null");
        return t;
    }

    private static Tensor f32(String op, String arg, Tensor t) {
        notNull(op, arg, t);
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": " + arg + " must be F32, got " + t.dtype() + " (" + arg + "=" + s(t) + ")");
        }
        return t;
    }

    private static void sameShape(String op, String aName, Tensor a, String bName, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": " + bName + " has shape " + Arrays.toString(b.shape())
                    + " but " + aName + " has " + Arrays.toString(a.shape()));
        }
    }

    private static void checkOut(String op, Tensor out, DType dtype, long[] shape, String relation) {
        notNull(op, "out", out);
        if (out.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": out must be " + dtype + ", got " + out.dtype() + " (out=" + s(out) + ")");
        }
        if (!Arrays.equals(out.shape(), shape)) {
            throw new IllegalArgumentException(op + ": out has shape " + Arrays.toString(out.shape()) + " but "
                    + relation + " " + Arrays.toString(shape));
        }
        if (!out.isContiguous()) {
            throw new IllegalArgumentException(op + ": out " + s(out) + " with strides " + Arrays.toString(out.strides())
                    + " is not contiguous");
        }
    }

    /** Splits [0, n) into fixed chunks; the body gets element ranges. */
    private void chunks(long n, io.tensorlane.kernels.RangeBody body) {
        par.parallelFor(0, n, GRAIN, body);
    }

    /** Splits rows so that one chunk is about GRAIN elements. */
    private void rowChunks(long rows, long cols, io.tensorlane.kernels.RangeBody body) {
        par.parallelFor(0, rows, Math.max(1, GRAIN / Math.max(1, cols)), body);
    }

    // ============================================================ elementwise

    private interface Binary {
        void run(io.tensorlane.kernels.ElementwiseKernels k, long n, java.lang.foreign.MemorySegment a, long ao,
                 java.lang.foreign.MemorySegment b, long bo, java.lang.foreign.MemorySegment o, long oo);
    }

    private Tensor binary(String op, Binary f, Tensor a, Tensor b, Tensor out) {
        f32(op, "a", a);
        f32(op, "b", b);
        sameShape(op, "a", a, "b", b);
        if (out == null) out = Tensor.allocateLike(a, DType.F32, a.shape());
        else checkOut(op, f32(op, "out", out), DType.F32, a.shape(), "a has");
        Tensor ca = a.contiguous(), cb = b.contiguous(), co = out;
        chunks(a.numel(), (from, to) -> f.run(k().elementwise(), to - from, ca.segment(), ca.offset() + from,
                cb.segment(), cb.offset() + from, co.segment(), co.offset() + from));
        return out;
    }

    /** a + b (same shapes). */
    public Tensor add(Tensor a, Tensor b) {
        return binary("add", io.tensorlane.kernels.ElementwiseKernels::add, a, b, null);
    }

    public void add(Tensor a, Tensor b, Tensor out) {
        binary("add", io.tensorlane.kernels.ElementwiseKernels::add, a, b, notNull("add", "out", out));
    }

    /** a - b (same shapes). */
    public Tensor sub(Tensor a, Tensor b) {
        return binary("sub", io.tensorlane.kernels.ElementwiseKernels::sub, a, b, null);
    }

    public void sub(Tensor a, Tensor b, Tensor out) {
        binary("sub", io.tensorlane.kernels.ElementwiseKernels::sub, a, b, notNull("sub", "out", out));
    }

    /** a * b elementwise (same shapes). */
    public Tensor mul(Tensor a, Tensor b) {
        return binary("mul", io.tensorlane.kernels.ElementwiseKernels::mul, a, b, null);
    }

    public void mul(Tensor a, Tensor b, Tensor out) {
        binary("mul", io.tensorlane.kernels.ElementwiseKernels::mul, a, b, notNull("mul", "out", out));
    }

    /** alpha * x */
    public Tensor scale(Tensor x, float alpha) {
        f32("scale", "x", x);
        Tensor out = Tensor.allocateLike(x, DType.F32, x.shape());
        scale(x, alpha, out);
        return out;
    }

    public void scale(Tensor x, float alpha, Tensor out) {
        f32("scale", "x", x);
        checkOut("scale", out, DType.F32, x.shape(), "x has");
        Tensor cx = x.contiguous();
        chunks(x.numel(), (from, to) -> k().elementwise().scale(to - from, alpha, cx.segment(), cx.offset() + from,
                out.segment(), out.offset() + from));
    }

    /** y += alpha * x (y contiguous, updated in place). */
    public void axpy(float alpha, Tensor x, Tensor y) {
        f32("axpy", "x", x);
        f32("axpy", "y", y);
        sameShape("axpy", "x", x, "y", y);
        checkOut("axpy", y, DType.F32, x.shape(), "x has");
        Tensor cx = x.contiguous();
        chunks(x.numel(), (from, to) -> k().elementwise().axpy(to - from, alpha, cx.segment(), cx.offset() + from,
                y.segment(), y.offset() + from));
    }

    /** Sets every element of the contiguous F32 tensor {@code out} to {@code value}. */
    public void fill(Tensor out, float value) {
        f32("fill", "out", out);
        checkOut("fill", out, DType.F32, out.shape(), "it has");
        chunks(out.numel(), (from, to) -> k().elementwise().fill(to - from, value, out.segment(), out.offset() + from));
    }

    /** Copies {@code src} (any layout) into the contiguous {@code dst} of the same shape and dtype. */
    public void copy(Tensor src, Tensor dst) {
        notNull("copy", "src", src);
        notNull("copy", "dst", dst);
        sameShape("copy", "src", src, "dst", dst);
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("copy: dst is " + dst.dtype() + " but src is " + src.dtype());
        }
        checkOut("copy", dst, src.dtype(), src.shape(), "src has");
        if (!src.isContiguous()) {
            Tensor.copyStrided(src, dst);
            return;
        }
        long elem = src.dtype().byteSize();
        java.lang.foreign.MemorySegment.copy(src.segment(), src.offset() * elem, dst.segment(), dst.offset() * elem,
                src.numel() * elem);
    }

    // ============================================================ activations

    private interface Unary {
        void run(ActivationKernels k, long n, java.lang.foreign.MemorySegment x, long xo, java.lang.foreign.MemorySegment y, long yo);
    }

    private interface Grad {
        void run(ActivationKernels k, long n, java.lang.foreign.MemorySegment x, long xo, java.lang.foreign.MemorySegment d, long dOff,
                 java.lang.foreign.MemorySegment dx, long dxo);
    }

    private Tensor unary(String op, Unary f, Tensor x, Tensor out) {
        f32(op, "x", x);
        if (out == null) out = Tensor.allocateLike(x, DType.F32, x.shape());
        else checkOut(op, f32(op, "out", out), DType.F32, x.shape(), "x has");
        Tensor cx = x.contiguous(), co = out;
        chunks(x.numel(), (from, to) -> f.run(k().activations(), to - from, cx.segment(), cx.offset() + from,
                co.segment(), co.offset() + from));
        return out;
    }

    private Tensor grad(String op, String in, Grad f, Tensor x, Tensor dout, Tensor dx) {
        f32(op, in, x);
        f32(op, "dout", dout);
        sameShape(op, in, x, "dout", dout);
        if (dx == null) dx = Tensor.allocateLike(x, DType.F32, x.shape());
        else checkOut(op, f32(op, "dx", dx), DType.F32, x.shape(), in + " has");
        Tensor cx = x.contiguous(), cd = dout.contiguous(), cdx = dx;
        chunks(x.numel(), (from, to) -> f.run(k().activations(), to - from, cx.segment(), cx.offset() + from,
                cd.segment(), cd.offset() + from, cdx.segment(), cdx.offset() + from));
        return dx;
    }

    /** max(x, 0) */
    public Tensor relu(Tensor x) {
        return unary("relu", ActivationKernels::relu, x, null);
    }

    public void relu(Tensor x, Tensor out) {
        unary("relu", ActivationKernels::relu, x, notNull("relu", "out", out));
    }

    /** dout where x &gt; 0, else 0 */
    public Tensor reluBackward(Tensor x, Tensor dout) {
        return grad("relu_backward", "x", ActivationKernels::reluBackward, x, dout, null);
    }

    public void reluBackward(Tensor x, Tensor dout, Tensor dx) {
        grad("relu_backward", "x", ActivationKernels::reluBackward, x, dout, notNull("relu_backward", "dx", dx));
    }

    /** x &gt; 0 ? x : slope * x */
    public Tensor leakyRelu(Tensor x, float slope) {
        return unary("leaky_relu", (kk, n, a, ao, y, yo) -> kk.leakyRelu(n, slope, a, ao, y, yo), x, null);
    }

    public void leakyRelu(Tensor x, float slope, Tensor out) {
        unary("leaky_relu", (kk, n, a, ao, y, yo) -> kk.leakyRelu(n, slope, a, ao, y, yo), x, notNull("leaky_relu", "out", out));
    }

    public Tensor leakyReluBackward(Tensor x, Tensor dout, float slope) {
        return grad("leaky_relu_backward", "x", (kk, n, a, ao, d, dOff, g, go) -> kk.leakyReluBackward(n, slope, a, ao, d, dOff, g, go),
                x, dout, null);
    }

    public void leakyReluBackward(Tensor x, Tensor dout, float slope, Tensor dx) {
        grad("leaky_relu_backward", "x", (kk, n, a, ao, d, dOff, g, go) -> kk.leakyReluBackward(n, slope, a, ao, d, dOff, g, go),
                x, dout, notNull("leaky_relu_backward", "dx", dx));
    }

    /** 1 / (1 + e^-x) */
    public Tensor sigmoid(Tensor x) {
        return unary("sigmoid", ActivationKernels::sigmoid, x, null);
    }

    public void sigmoid(Tensor x, Tensor out) {
        unary("sigmoid", ActivationKernels::sigmoid, x, notNull("sigmoid", "out", out));
    }

    /** dout * y (1 - y), y the sigmoid output */
    public Tensor sigmoidBackward(Tensor y, Tensor dout) {
        return grad("sigmoid_backward", "y", ActivationKernels::sigmoidBackward, y, dout, null);
    }

    public void sigmoidBackward(Tensor y, Tensor dout, Tensor dx) {
        grad("sigmoid_backward", "y", ActivationKernels::sigmoidBackward, y, dout, notNull("sigmoid_backward", "dx", dx));
    }

    public Tensor tanh(Tensor x) {
        return unary("tanh", ActivationKernels::tanh, x, null);
    }

    public void tanh(Tensor x, Tensor out) {
        unary("tanh", ActivationKernels::tanh, x, notNull("tanh", "out", out));
    }

    /** dout * (1 - y^2), y the tanh output */
    public Tensor tanhBackward(Tensor y, Tensor dout) {
        return grad("tanh_backward", "y", ActivationKernels::tanhBackward, y, dout, null);
    }

    public void tanhBackward(Tensor y, Tensor dout, Tensor dx) {
        grad("tanh_backward", "y", ActivationKernels::tanhBackward, y, dout, notNull("tanh_backward", "dx", dx));
    }

    // ============================================================ softmax

    private interface RowFwd {
        void run(io.tensorlane.kernels.SoftmaxKernels k, long rows, long cols, java.lang.foreign.MemorySegment x, long xo,
                 java.lang.foreign.MemorySegment y, long yo);
    }

    private interface RowBwd {
        void run(io.tensorlane.kernels.SoftmaxKernels k, long rows, long cols, java.lang.foreign.MemorySegment y, long yo,
                 java.lang.foreign.MemorySegment d, long dOff, java.lang.foreign.MemorySegment dx, long dxo);
    }

    /**
     * Runs a last-dim row kernel along {@code dim}: a non-last dim is moved last with a transposed
     * contiguous copy, computed there, and copied back.
     */
    private Tensor alongDim(String op, int dim, Tensor x, Tensor out, RowFwd f) {
        f32(op, "x", x);
        if (x.rank() == 0) throw new IllegalArgumentException(op + ": x must have at least 1 dim, got a scalar");
        int d = x.normalizeDim(op, dim);
        if (out == null) out = Tensor.allocateLike(x, DType.F32, x.shape());
        else checkOut(op, f32(op, "out", out), DType.F32, x.shape(), "x has");
        int last = x.rank() - 1;
        Tensor cx = (d == last ? x : x.transpose(d, last)).contiguous();
        Tensor target = d == last ? out : Tensor.allocateLike(x, DType.F32, cx.shape());
        long cols = cx.dim(last), rows = cols == 0 ? 0 : cx.numel() / cols;
        Tensor t = target;
        rowChunks(rows, cols, (from, to) -> f.run(k().softmax(), to - from, cols, cx.segment(), cx.offset() + from * cols,
                t.segment(), t.offset() + from * cols));
        if (d != last) Tensor.copyStrided(target.transpose(d, last), out);
        return out;
    }

    private Tensor alongDimBackward(String op, int dim, Tensor y, Tensor dout, Tensor dx, RowBwd f) {
        f32(op, "y", y);
        f32(op, "dout", dout);
        sameShape(op, "y", y, "dout", dout);
        if (y.rank() == 0) throw new IllegalArgumentException(op + ": y must have at least 1 dim, got a scalar");
        int d = y.normalizeDim(op, dim);
        if (dx == null) dx = Tensor.allocateLike(y, DType.F32, y.shape());
        else checkOut(op, f32(op, "dx", dx), DType.F32, y.shape(), "y has");
        int last = y.rank() - 1;
        Tensor cy = (d == last ? y : y.transpose(d, last)).contiguous();
        Tensor cd = (d == last ? dout : dout.transpose(d, last)).contiguous();
        Tensor target = d == last ? dx : Tensor.allocateLike(y, DType.F32, cy.shape());
        long cols = cy.dim(last), rows = cols == 0 ? 0 : cy.numel() / cols;
        Tensor t = target;
        rowChunks(rows, cols, (from, to) -> f.run(k().softmax(), to - from, cols, cy.segment(), cy.offset() + from * cols,
                cd.segment(), cd.offset() + from * cols, t.segment(), t.offset() + from * cols));
        if (d != last) Tensor.copyStrided(target.transpose(d, last), dx);
        return dx;
    }

    /** Softmax along the last dim (stable for huge logits). */
    public Tensor softmax(Tensor x) {
        return softmax(x, -1);
    }

    /** Softmax along {@code dim} (negative counts from the end). */
    public Tensor softmax(Tensor x, int dim) {
        return alongDim("softmax", dim, x, null, io.tensorlane.kernels.SoftmaxKernels::softmax);
    }

    public void softmax(Tensor x, int dim, Tensor out) {
        alongDim("softmax", dim, x, notNull("softmax", "out", out), io.tensorlane.kernels.SoftmaxKernels::softmax);
    }

    /** dx = y (dout - sum(dout y)) along the last dim, y the softmax output. */
    public Tensor softmaxBackward(Tensor y, Tensor dout) {
        return softmaxBackward(y, dout, -1);
    }

    public Tensor softmaxBackward(Tensor y, Tensor dout, int dim) {
        return alongDimBackward("softmax_backward", dim, y, dout, null, io.tensorlane.kernels.SoftmaxKernels::softmaxBackward);
    }

    public void softmaxBackward(Tensor y, Tensor dout, int dim, Tensor dx) {
        alongDimBackward("softmax_backward", dim, y, dout, notNull("softmax_backward", "dx", dx),
                io.tensorlane.kernels.SoftmaxKernels::softmaxBackward);
    }

    /** log-softmax along the last dim. */
    public Tensor logSoftmax(Tensor x) {
        return logSoftmax(x, -1);
    }

    public Tensor logSoftmax(Tensor x, int dim) {
        return alongDim("log_softmax", dim, x, null, io.tensorlane.kernels.SoftmaxKernels::logSoftmax);
    }

    public void logSoftmax(Tensor x, int dim, Tensor out) {
        alongDim("log_softmax", dim, x, notNull("log_softmax", "out", out), io.tensorlane.kernels.SoftmaxKernels::logSoftmax);
    }

    /** dx = dout - exp(y) sum(dout) along the last dim, y the log-softmax output. */
    public Tensor logSoftmaxBackward(Tensor y, Tensor dout) {
        return logSoftmaxBackward(y, dout, -1);
    }

    public Tensor logSoftmaxBackward(Tensor y, Tensor dout, int dim) {
        return alongDimBackward("log_softmax_backward", dim, y, dout, null, io.tensorlane.kernels.SoftmaxKernels::logSoftmaxBackward);
    }

    public void logSoftmaxBackward(Tensor y, Tensor dout, int dim, Tensor dx) {
        alongDimBackward("log_softmax_backward", dim, y, dout, notNull("log_softmax_backward", "dx", dx),
                io.tensorlane.kernels.SoftmaxKernels::logSoftmaxBackward);
    }

    // ============================================================ reductions

    private enum Reduce { SUM, MEAN, MAX, ARGMAX, VARIANCE }

    private Tensor reduce(String op, Reduce kind, Tensor x, int dim) {
        f32(op, "x", x);
        if (x.rank() == 0) throw new IllegalArgumentException(op + ": x must have at least 1 dim, got a scalar");
        int d = x.normalizeDim(op, dim);
        long[] shape = x.shape();
        long outer = 1, inner = 1, len = shape[d];
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.length; i++) inner *= shape[i];
        long[] outShape = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != d) outShape[j++] = shape[i];
        DType outType = kind == Reduce.ARGMAX ? DType.I32 : DType.F32;
        Tensor out = Tensor.allocateLike(x, outType, outShape);
        Tensor cx = x.contiguous();
        var r = k().reductions();
        if (inner == 1) {
            long cols = len;
            rowChunks(outer, cols, (from, to) -> {
                long rows = to - from, xo = cx.offset() + from * cols, oo = out.offset() + from;
                switch (kind) {
                    case SUM -> r.rowSum(rows, cols, cx.segment(), xo, out.segment(), oo);
                    case MEAN -> r.rowMean(rows, cols, cx.segment(), xo, out.segment(), oo);
                    case MAX -> r.rowMax(rows, cols, cx.segment(), xo, out.segment(), oo);
                    case ARGMAX -> r.rowArgmax(rows, cols, cx.segment(), xo, out.segment(), oo);
                    case VARIANCE -> r.rowVariance(rows, cols, cx.segment(), xo, out.segment(), oo);
                }
            });
        } else {
            long in = inner;
            // One column reduction of a [len, inner] block per outer index.
            par.parallelFor(0, outer, Math.max(1, GRAIN / Math.max(1, len * inner)), (from, to) -> {
                for (long o = from; o < to; o++) {
                    long xo = cx.offset() + o * len * in, oo = out.offset() + o * in;
                    switch (kind) {
                        case SUM -> r.colSum(len, in, cx.segment(), xo, out.segment(), oo);
                        case MEAN -> r.colMean(len, in, cx.segment(), xo, out.segment(), oo);
                        case MAX -> r.colMax(len, in, cx.segment(), xo, out.segment(), oo);
                        case ARGMAX -> r.colArgmax(len, in, cx.segment(), xo, out.segment(), oo);
                        case VARIANCE -> r.colVariance(len, in, cx.segment(), xo, out.segment(), oo);
                    }
                }
            });
        }
        return out;
    }

    /** Sum along {@code dim} (removed from the result shape). */
    public Tensor sum(Tensor x, int dim) {
        return reduce("sum", Reduce.SUM, x, dim);
    }

    /** Mean along {@code dim}; NaN for an empty dim. */
    public Tensor mean(Tensor x, int dim) {
        return reduce("mean", Reduce.MEAN, x, dim);
    }

    /** Maximum along {@code dim}; -Infinity for an empty dim. */
    public Tensor max(Tensor x, int dim) {
        return reduce("max", Reduce.MAX, x, dim);
    }

    /** Index (I32) of the first maximum along {@code dim}; -1 for an empty dim. */
    public Tensor argmax(Tensor x, int dim) {
        return reduce("argmax", Reduce.ARGMAX, x, dim);
    }

    /** Biased variance (divides by the count) along {@code dim}. */
    public Tensor variance(Tensor x, int dim) {
        return reduce("variance", Reduce.VARIANCE, x, dim);
    }

    // ============================================================ matrix products

    /**
     * One GEMM operand: the last two dims of {@code t} as stored ({@code N}, leading dim {@code ld}) or as
     * the transpose of a row-major matrix ({@code T}), plus the stride between matrices of a batch.
     */
    private record Operand(Tensor t, Trans trans, int ld, long batchStride) {
    }

    /**
     * The last two dims of {@code t} (rows x cols) as a GEMM operand, without copying when its strides
     * allow: unit stride along the columns is the matrix as stored ({@code N}); unit stride along the rows
     * is a transposed view ({@code T}, e.g. {@code w.transpose(0, 1)}); anything else is copied to
     * contiguous form first.
     */
    private static Operand operand(Tensor t) {
        int r = t.rank();
        long rows = t.dim(r - 2), cols = t.dim(r - 1);
        long[] st = t.strides();
        long sr = st[r - 2], sc = st[r - 1];
        long bs = r == 3 && t.dim(0) > 1 ? st[0] : 0;
        if (bs >= 0) {
            long ldN = rows > 1 ? sr : Math.max(1, cols);
            if ((cols <= 1 || sc == 1) && ldN >= cols && ldN <= Integer.MAX_VALUE) {
                return new Operand(t, Trans.N, (int) ldN, bs);
            }
            long ldT = cols > 1 ? sc : Math.max(1, rows);
            if ((rows <= 1 || sr == 1) && ldT >= rows && ldT <= Integer.MAX_VALUE) {
                return new Operand(t, Trans.T, (int) ldT, bs);
            }
        }
        Tensor c = t.contiguous();
        return new Operand(c, Trans.N, (int) Math.max(1, cols), r == 3 && c.dim(0) > 1 ? rows * cols : 0);
    }

    /**
     * Matrix product {@code a @ b}: (m, k) @ (k, n) = (m, n), or batched, (B, m, k) @ (B, k, n) = (B, m, n),
     * where a 2-D operand is shared by every product of a 3-D one ((B, m, k) @ (k, n), (m, k) @ (B, k, n)).
     * Transposed views ({@code x.transpose(0, 1)}, {@code x.transpose(1, 2)}) and row slices are used in
     * place; other strided views are copied first. The result is new and contiguous.
     */
    public Tensor matmul(Tensor a, Tensor b) {
        long[] shape = matmulShape("matmul", a, b);
        Tensor out = Tensor.allocateLike(a, DType.F32, shape);
        matmul(a, b, out, 1f, 0f);
        return out;
    }

    /** {@code out = a @ b} into a contiguous {@code out} of the product's shape (see {@link #matmul(Tensor, Tensor)}). */
    public void matmul(Tensor a, Tensor b, Tensor out) {
        matmul(a, b, out, 1f, 0f);
    }

    /**
     * {@code out = alpha * (a @ b) + beta * out} (BLAS GEMM semantics: with {@code beta == 0} the old contents
     * of out are never read, so NaN there does not propagate). {@code out} must be contiguous, of the
     * product's shape, and share no memory with a or b.
     */
    public void matmul(Tensor a, Tensor b, Tensor out, float alpha, float beta) {
        String op = "matmul";
        long[] shape = matmulShape(op, a, b);
        checkOut(op, f32(op, "out", out), DType.F32, shape, "a @ b has");
        Operand oa = operand(a), ob = operand(b);
        int r = shape.length;
        int m = (int) shape[r - 2], n = (int) shape[r - 1], k = (int) a.dim(a.rank() - 1);
        long batch = r == 3 ? shape[0] : 1;
        long cLen = out.numel();
        long aLen = spanOf(oa), bLen = spanOf(ob);
        Checks.disjoint(op, "out", out.segment(), out.offset(), cLen, Float.BYTES,
                "a", oa.t().segment(), oa.t().offset(), aLen, Float.BYTES);
        Checks.disjoint(op, "out", out.segment(), out.offset(), cLen, Float.BYTES,
                "b", ob.t().segment(), ob.t().offset(), bLen, Float.BYTES);
        if (m == 0 || n == 0 || batch == 0) return;
        var gemm = k().gemm();
        if (batch == 1) {
            gemm.sgemm(oa.trans(), ob.trans(), m, n, k, alpha, oa.t().segment(), oa.t().offset(), oa.ld(),
                    ob.t().segment(), ob.t().offset(), ob.ld(), beta, out.segment(), out.offset(), n, par);
        } else {
            gemm.sgemmBatched(oa.trans(), ob.trans(), m, n, k, alpha,
                    oa.t().segment(), oa.t().offset(), oa.ld(), oa.batchStride(),
                    ob.t().segment(), ob.t().offset(), ob.ld(), ob.batchStride(),
                    beta, out.segment(), out.offset(), n, (long) m * n, (int) batch, par);
        }
    }

    /** Elements from an operand's first to one past its last (0 for an empty tensor). */
    private static long spanOf(Operand o) {
        Tensor t = o.t();
        if (t.numel() == 0) return 0;
        long last = 0;
        long[] st = t.strides();
        for (int i = 0; i < t.rank(); i++) last += (t.dim(i) - 1) * st[i];
        return last + 1;
    }

    private static long[] matmulShape(String op, Tensor a, Tensor b) {
        f32(op, "a", a);
        f32(op, "b", b);
        if (a.rank() < 2 || a.rank() > 3 || b.rank() < 2 || b.rank() > 3) {
            throw new IllegalArgumentException(op + ": a and b must be 2-D (m, k) / (k, n) or 3-D batches, got a="
                    + s(a) + ", b=" + s(b));
        }
        long m = a.dim(a.rank() - 2), k = a.dim(a.rank() - 1), kb = b.dim(b.rank() - 2), n = b.dim(b.rank() - 1);
        if (k != kb) {
            throw new IllegalArgumentException(op + ": a has shape " + Arrays.toString(a.shape()) + " but b has "
                    + Arrays.toString(b.shape()) + ": a's " + k + " columns do not match b's " + kb + " rows");
        }
        for (long d : new long[] {m, n, k}) {
            if (d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": a=" + s(a) + ", b=" + s(b) + " has a matrix dim beyond "
                        + Integer.MAX_VALUE);
            }
        }
        if (a.rank() == 3 && b.rank() == 3 && a.dim(0) != b.dim(0)) {
            throw new IllegalArgumentException(op + ": batch sizes differ: a has " + a.dim(0) + " matrices, b has "
                    + b.dim(0) + " (a=" + s(a) + ", b=" + s(b) + ")");
        }
        if (a.rank() == 3 || b.rank() == 3) {
            long batch = a.rank() == 3 ? a.dim(0) : b.dim(0);
            if (batch > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": batch of " + batch + " matrices exceeds " + Integer.MAX_VALUE);
            }
            return new long[] {batch, m, n};
        }
        return new long[] {m, n};
    }

    // ============================================================ losses

    private static void checkClassification(String op, Tensor x, Tensor labels) {
        f32(op, "x", x);
        notNull(op, "labels", labels);
        if (x.rank() != 2) {
            throw new IllegalArgumentException(op + ": x must be 2-D (N, C), got x=" + s(x));
        }
        if (labels.dtype() != DType.I32) {
            throw new IllegalArgumentException(op + ": labels must be I32, got " + labels.dtype() + " (labels=" + s(labels) + ")");
        }
        if (labels.rank() != 1 || labels.dim(0) != x.dim(0)) {
            throw new IllegalArgumentException(op + ": labels has shape " + s(labels) + " but x has " + x.dim(0)
                    + " rows (x=" + s(x) + ", labels=" + s(labels) + ")");
        }
        if (x.dim(0) == 0 || x.dim(1) == 0) {
            throw new IllegalArgumentException(op + ": x must have at least one row and one class, got x=" + s(x));
        }
        int[] y = labels.toIntArray();
        long c = x.dim(1);
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= c) {
                throw new IllegalArgumentException(op + ": labels[" + i + "] = " + y[i] + " is outside [0, " + c
                        + ") (x=" + s(x) + ")");
            }
        }
    }

    /** Softmax cross-entropy, mean over the batch: x (N, C) scores, labels I32 (N). */
    public LossResult softmaxCrossEntropy(Tensor x, Tensor labels) {
        String op = "softmaxCrossEntropy";
        checkClassification(op, x, labels);
        Tensor cx = x.contiguous(), cl = labels.contiguous();
        Tensor dx = Tensor.allocateLike(x, DType.F32, x.shape());
        double loss = k().losses().softmaxCrossEntropy(x.dim(0), x.dim(1), cx.segment(), cx.offset(), cl.segment(), cl.offset(),
                dx.segment(), dx.offset());
        return new LossResult(loss, dx);
    }

    /** Multiclass hinge loss (cs231n) with margin 1. */
    public LossResult svmLoss(Tensor x, Tensor labels) {
        return svmLoss(x, labels, 1f);
    }

    /** Multiclass hinge loss (cs231n), mean over the batch. */
    public LossResult svmLoss(Tensor x, Tensor labels, float margin) {
        String op = "svmLoss";
        if (!(margin >= 0f) || Float.isInfinite(margin)) {
            throw new IllegalArgumentException(op + ": margin must be finite and >= 0, got " + margin);
        }
        checkClassification(op, x, labels);
        Tensor cx = x.contiguous(), cl = labels.contiguous();
        Tensor dx = Tensor.allocateLike(x, DType.F32, x.shape());
        double loss = k().losses().svmHinge(x.dim(0), x.dim(1), margin, cx.segment(), cx.offset(), cl.segment(), cl.offset(),
                dx.segment(), dx.offset());
        return new LossResult(loss, dx);
    }

    /** Mean squared error; EUCLIDEAN divides by 2N with N = pred.dim(0) (Caffe). */
    public LossResult mseLoss(Tensor pred, Tensor target, MseReduction reduction) {
        String op = "mseLoss";
        f32(op, "pred", pred);
        f32(op, "target", target);
        if (reduction == null) throw new IllegalArgumentException(op + ": reduction is null (valid: MEAN, EUCLIDEAN)");
        sameShape(op, "pred", pred, "target", target);
        if (pred.rank() == 0 || pred.numel() == 0) {
            throw new IllegalArgumentException(op + ": pred must have a batch dim and at least one element, got pred=" + s(pred));
        }
        Tensor cp = pred.contiguous(), ct = target.contiguous();
        Tensor d = Tensor.allocateLike(pred, DType.F32, pred.shape());
        double loss = k().losses().mse(reduction, pred.numel(), pred.dim(0), cp.segment(), cp.offset(), ct.segment(), ct.offset(),
                d.segment(), d.offset());
        return new LossResult(loss, d);
    }

    /** Binary cross-entropy on logits, mean over all elements; target in [0, 1]. */
    public LossResult sigmoidBceLoss(Tensor logits, Tensor target) {
        String op = "sigmoidBceLoss";
        f32(op, "logits", logits);
        f32(op, "target", target);
        sameShape(op, "logits", logits, "target", target);
        if (logits.numel() == 0) throw new IllegalArgumentException(op + ": logits is empty (logits=" + s(logits) + ")");
        Tensor cx = logits.contiguous(), ct = target.contiguous();
        Tensor dx = Tensor.allocateLike(logits, DType.F32, logits.shape());
        double loss = k().losses().sigmoidBce(logits.numel(), cx.segment(), cx.offset(), ct.segment(), ct.offset(),
                dx.segment(), dx.offset());
        return new LossResult(loss, dx);
    }
}

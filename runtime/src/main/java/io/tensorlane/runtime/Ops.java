package io.tensorlane.runtime;

import io.tensorlane.kernels.ActivationKernels;
import io.tensorlane.kernels.Checks;
import io.tensorlane.kernels.ElementwiseKernels;
import io.tensorlane.kernels.KernelSet;
import io.tensorlane.kernels.MseReduction;
import io.tensorlane.kernels.PackedMatrix;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.RangeBody;
import io.tensorlane.kernels.ReductionKernels;
import io.tensorlane.kernels.SoftmaxKernels;
import io.tensorlane.kernels.Trans;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The tensor-level facade: validates every argument (before touching memory), then dispatches to the
 * device's kernels ({@code device.kernels().<family>()}), splitting large work over
 * {@link Parallelism} in chunks that depend only on the sizes, never on the thread count, and that
 * each write disjoint outputs, so results are bit-identical for any thread count.
 *
 * <p>Inputs may be non-contiguous views: they are first copied to contiguous temporary memory (on
 * the GC-managed heap, not in the caller's arena, so repeated ops do not pile copies into a
 * long-lived arena). Outputs passed in must be contiguous, writable, of the right shape and dtype.
 * Elementwise ops, activations and softmax may write in place (an output that is exactly an input);
 * an output that overlaps an input only partly is rejected. Allocating forms return a new contiguous
 * tensor "like" the first input: in its arena when it has one, else on the heap. No SIMD kernel ever sees a
 * heap segment (see {@link Tensor}): heap-wrapped inputs ({@link Tensor#of(float[], long...)}) are read through
 * native copies and heap outputs written through native stand-ins that are copied back, in per-thread buffers
 * reused from op to op.
 *
 * <p>Threads: an op whose tensors include memory from a confined arena ({@code Arena.ofConfined()})
 * runs on the calling thread only, because the JDK forbids any other thread from touching it; use
 * {@code Arena.ofShared()}, {@code Arena.ofAuto()}, {@link Memory#arena()} or heap arrays for
 * multi-threaded ops.
 *
 * <p>Errors are {@link IllegalArgumentException}s naming the op, the argument and the shapes, e.g.
 * {@code add: b has shape [3, 5] but a has [3, 4]}; memory freed by closing its arena gives the JDK's
 * {@link IllegalStateException}.
 */
public final class Ops {
    /** Elements per parallel chunk: large enough to amortise the hand-off to another thread. */
    static final long GRAIN = 1 << 16;

    /** Never the owner of a confined segment (never started): probes whether other threads may access one. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

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

    /** An output tensor: right dtype and shape, contiguous, writable. */
    private static void checkOut(String op, String name, Tensor out, DType dtype, long[] shape, String relation) {
        notNull(op, name, out);
        if (out.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + dtype + ", got " + out.dtype()
                    + " (" + name + "=" + s(out) + ")");
        }
        if (!Arrays.equals(out.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(out.shape()) + " but "
                    + relation + " " + Arrays.toString(shape));
        }
        if (!out.isContiguous()) {
            throw new IllegalArgumentException(op + ": " + name + " " + s(out) + " with strides "
                    + Arrays.toString(out.strides()) + " is not contiguous");
        }
        if (out.segment().isReadOnly()) {
            throw new IllegalArgumentException(op + ": " + name + " " + s(out) + " is read-only");
        }
    }

    /** The bytes a tensor may touch: from its first element to its last (strides are never negative). */
    private static MemorySegment span(Tensor t) {
        long last = t.offset();
        long[] shape = t.shape(), strides = t.strides();
        for (int i = 0; i < shape.length; i++) last += (shape[i] - 1) * strides[i];
        long elem = t.dtype().byteSize();
        return t.segment().asSlice(t.offset() * elem, (last - t.offset() + 1) * elem);
    }

    /**
     * Rejects an output that shares memory with an input the kernel reads directly (a contiguous one;
     * strided inputs are copied before anything is written). With {@code exactAllowed}, an output that
     * is exactly the input (in-place) is fine: such kernels read element i before writing element i.
     */
    private static void checkNoOverlap(String op, String outName, Tensor out, String inName, Tensor in, boolean exactAllowed) {
        if (out.numel() == 0 || in.numel() == 0 || !in.isContiguous()) return;
        MemorySegment o = span(out), i = span(in);
        Optional<MemorySegment> shared = o.asOverlappingSlice(i);
        if (shared.isEmpty()) return;
        // Two equally long ranges whose overlap is as long as they are coincide.
        if (exactAllowed && o.byteSize() == i.byteSize() && shared.get().byteSize() == o.byteSize()) return;
        throw new IllegalArgumentException(op + ": " + outName + " " + s(out) + " overlaps " + inName + " " + s(in)
                + (exactAllowed ? " without being the same elements (in-place needs " + outName + " == " + inName + ")"
                : "; use a separate output"));
    }

    /**
     * The thread policy for an op on these tensors: the caller alone when any of them is confined to
     * a thread (pool threads may not touch it), else {@link #par}. Chunking is the same either way.
     */
    private Parallelism parFor(Tensor... ts) {
        if (par.isSingle()) return par;
        for (Tensor t : ts) {
            if (t != null && !t.segment().isAccessibleBy(OTHER_THREAD)) return Parallelism.single();
        }
        return par;
    }

    /** Splits [0, n) into fixed chunks of {@link #GRAIN} elements. */
    private static void chunks(Parallelism p, long n, RangeBody body) {
        p.parallelFor(0, n, GRAIN, body);
    }

    /** Splits rows so that one chunk is about {@link #GRAIN} elements (fixed by the shape). */
    private static void rowChunks(Parallelism p, long rows, long cols, RangeBody body) {
        p.parallelFor(0, rows, Math.max(1, GRAIN / Math.max(1, cols)), body);
    }

    // ============================================================ elementwise

    private interface Binary {
        void run(ElementwiseKernels k, long n, MemorySegment a, long ao, MemorySegment b, long bo, MemorySegment o, long oo);
    }

    private Tensor binary(String op, Binary f, Tensor a, Tensor b, Tensor out) {
        f32(op, "a", a);
        f32(op, "b", b);
        sameShape(op, "a", a, "b", b);
        if (out == null) {
            out = Tensor.allocateLike(a, DType.F32, a.shape());
        } else {
            checkOut(op, "out", out, DType.F32, a.shape(), "a has");
            checkNoOverlap(op, "out", out, "a", a, true);
            checkNoOverlap(op, "out", out, "b", b, true);
        }
        Tensor ca = a.contiguousScratch(), cb = b.contiguousScratch(), co = out.nativeOutput(false);
        ElementwiseKernels k = k().elementwise();
        chunks(parFor(ca, cb, co), a.numel(), (from, to) -> f.run(k, to - from, ca.segment(), ca.offset() + from,
                cb.segment(), cb.offset() + from, co.segment(), co.offset() + from));
        out.copyBack(co);
        Tensor.releaseCopy(a, ca);
        Tensor.releaseCopy(b, cb);
        return out;
    }

    /** a + b (same shapes). */
    public Tensor add(Tensor a, Tensor b) {
        return binary("add", ElementwiseKernels::add, a, b, null);
    }

    /** out = a + b; out may be a or b (in place). */
    public void add(Tensor a, Tensor b, Tensor out) {
        binary("add", ElementwiseKernels::add, a, b, notNull("add", "out", out));
    }

    /** a - b (same shapes). */
    public Tensor sub(Tensor a, Tensor b) {
        return binary("sub", ElementwiseKernels::sub, a, b, null);
    }

    /** out = a - b; out may be a or b (in place). */
    public void sub(Tensor a, Tensor b, Tensor out) {
        binary("sub", ElementwiseKernels::sub, a, b, notNull("sub", "out", out));
    }

    /** a * b elementwise (same shapes). */
    public Tensor mul(Tensor a, Tensor b) {
        return binary("mul", ElementwiseKernels::mul, a, b, null);
    }

    /** out = a * b elementwise; out may be a or b (in place). */
    public void mul(Tensor a, Tensor b, Tensor out) {
        binary("mul", ElementwiseKernels::mul, a, b, notNull("mul", "out", out));
    }

    /** alpha * x */
    public Tensor scale(Tensor x, float alpha) {
        f32("scale", "x", x);
        Tensor out = Tensor.allocateLike(x, DType.F32, x.shape());
        scale(x, alpha, out);
        return out;
    }

    /** out = alpha * x; out may be x. */
    public void scale(Tensor x, float alpha, Tensor out) {
        f32("scale", "x", x);
        checkOut("scale", "out", out, DType.F32, x.shape(), "x has");
        checkNoOverlap("scale", "out", out, "x", x, true);
        Tensor cx = x.contiguousScratch(), co = out.nativeOutput(false);
        ElementwiseKernels k = k().elementwise();
        chunks(parFor(cx, co), x.numel(), (from, to) -> k.scale(to - from, alpha, cx.segment(), cx.offset() + from,
                co.segment(), co.offset() + from));
        out.copyBack(co);
        Tensor.releaseCopy(x, cx);
    }

    /** y += alpha * x (y contiguous, updated in place; x of the same shape, any layout). */
    public void axpy(float alpha, Tensor x, Tensor y) {
        f32("axpy", "x", x);
        f32("axpy", "y", y);
        sameShape("axpy", "x", x, "y", y);
        checkOut("axpy", "y", y, DType.F32, x.shape(), "x has");
        checkNoOverlap("axpy", "y", y, "x", x, true);
        Tensor cx = x.contiguousScratch(), cy = y.nativeOutput(true);
        ElementwiseKernels k = k().elementwise();
        chunks(parFor(cx, cy), x.numel(), (from, to) -> k.axpy(to - from, alpha, cx.segment(), cx.offset() + from,
                cy.segment(), cy.offset() + from));
        y.copyBack(cy);
        Tensor.releaseCopy(x, cx);
    }

    /** Sets every element of the contiguous F32 tensor {@code out} to {@code value}. */
    public void fill(Tensor out, float value) {
        f32("fill", "out", out);
        checkOut("fill", "out", out, DType.F32, out.shape(), "it has");
        ElementwiseKernels k = k().elementwise();
        Tensor co = out.nativeOutput(false);
        chunks(parFor(co), out.numel(), (from, to) -> k.fill(to - from, value, co.segment(), co.offset() + from));
        out.copyBack(co);
    }

    /** Copies {@code src} (any layout, F32 or I32) into the contiguous {@code dst} of the same shape and dtype. */
    public void copy(Tensor src, Tensor dst) {
        notNull("copy", "src", src);
        notNull("copy", "dst", dst);
        sameShape("copy", "src", src, "dst", dst);
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("copy: dst is " + dst.dtype() + " but src is " + src.dtype()
                    + " (src=" + s(src) + ", dst=" + s(dst) + ")");
        }
        checkOut("copy", "dst", dst, src.dtype(), src.shape(), "src has");
        if (src.isContiguous()) {
            // MemorySegment.copy is memmove: correct even when src and dst overlap.
            long elem = src.dtype().byteSize();
            MemorySegment.copy(src.segment(), src.offset() * elem, dst.segment(), dst.offset() * elem, src.numel() * elem);
            return;
        }
        // A strided source that overlaps dst would read elements already overwritten: go through scratch.
        boolean overlaps = src.numel() > 0 && span(dst).asOverlappingSlice(span(src)).isPresent();
        Tensor.copyStrided(overlaps ? src.contiguousScratch() : src, dst);
    }

    // ============================================================ activations

    private interface Unary {
        void run(ActivationKernels k, long n, MemorySegment x, long xo, MemorySegment y, long yo);
    }

    private interface Grad {
        void run(ActivationKernels k, long n, MemorySegment a, long ao, MemorySegment d, long dOff, MemorySegment g, long go);
    }

    private Tensor unary(String op, Unary f, Tensor x, Tensor out) {
        f32(op, "x", x);
        if (out == null) {
            out = Tensor.allocateLike(x, DType.F32, x.shape());
        } else {
            checkOut(op, "out", out, DType.F32, x.shape(), "x has");
            checkNoOverlap(op, "out", out, "x", x, true);
        }
        Tensor cx = x.contiguousScratch(), co = out.nativeOutput(false);
        ActivationKernels k = k().activations();
        chunks(parFor(cx, co), x.numel(), (from, to) -> f.run(k, to - from, cx.segment(), cx.offset() + from,
                co.segment(), co.offset() + from));
        out.copyBack(co);
        Tensor.releaseCopy(x, cx);
        return out;
    }

    /** Backward of an activation: {@code a} is x (relu) or the forward output y (sigmoid, tanh). */
    private Tensor grad(String op, String aName, Grad f, Tensor a, Tensor dout, Tensor dx) {
        f32(op, aName, a);
        f32(op, "dout", dout);
        sameShape(op, aName, a, "dout", dout);
        if (dx == null) {
            dx = Tensor.allocateLike(a, DType.F32, a.shape());
        } else {
            checkOut(op, "dx", dx, DType.F32, a.shape(), aName + " has");
            checkNoOverlap(op, "dx", dx, aName, a, true);
            checkNoOverlap(op, "dx", dx, "dout", dout, true);
        }
        Tensor ca = a.contiguousScratch(), cd = dout.contiguousScratch(), g = dx.nativeOutput(false);
        ActivationKernels k = k().activations();
        chunks(parFor(ca, cd, g), a.numel(), (from, to) -> f.run(k, to - from, ca.segment(), ca.offset() + from,
                cd.segment(), cd.offset() + from, g.segment(), g.offset() + from));
        dx.copyBack(g);
        Tensor.releaseCopy(a, ca);
        Tensor.releaseCopy(dout, cd);
        return dx;
    }

    /** max(x, 0), any shape. */
    public Tensor relu(Tensor x) {
        return unary("relu", ActivationKernels::relu, x, null);
    }

    /** out = max(x, 0); out may be x. */
    public void relu(Tensor x, Tensor out) {
        unary("relu", ActivationKernels::relu, x, notNull("relu", "out", out));
    }

    /** dout where x &gt; 0, else 0. */
    public Tensor reluBackward(Tensor x, Tensor dout) {
        return grad("relu_backward", "x", ActivationKernels::reluBackward, x, dout, null);
    }

    public void reluBackward(Tensor x, Tensor dout, Tensor dx) {
        grad("relu_backward", "x", ActivationKernels::reluBackward, x, dout, notNull("relu_backward", "dx", dx));
    }

    /** x where x &gt; 0, else slope * x. */
    public Tensor leakyRelu(Tensor x, float slope) {
        return unary("leaky_relu", (k, n, a, ao, y, yo) -> k.leakyRelu(n, slope, a, ao, y, yo), x, null);
    }

    public void leakyRelu(Tensor x, float slope, Tensor out) {
        unary("leaky_relu", (k, n, a, ao, y, yo) -> k.leakyRelu(n, slope, a, ao, y, yo), x, notNull("leaky_relu", "out", out));
    }

    /** dout where x &gt; 0, else slope * dout. */
    public Tensor leakyReluBackward(Tensor x, Tensor dout, float slope) {
        return grad("leaky_relu_backward", "x", (k, n, a, ao, d, dOff, g, go) -> k.leakyReluBackward(n, slope, a, ao, d, dOff, g, go),
                x, dout, null);
    }

    public void leakyReluBackward(Tensor x, Tensor dout, float slope, Tensor dx) {
        grad("leaky_relu_backward", "x", (k, n, a, ao, d, dOff, g, go) -> k.leakyReluBackward(n, slope, a, ao, d, dOff, g, go),
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

    /** tanh(x) */
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
        void run(SoftmaxKernels k, long rows, long cols, MemorySegment x, long xo, MemorySegment y, long yo);
    }

    private interface RowBwd {
        void run(SoftmaxKernels k, long rows, long cols, MemorySegment y, long yo, MemorySegment d, long dOff,
                 MemorySegment dx, long dxo);
    }

    private static int softmaxDim(String op, String arg, Tensor t, int dim) {
        if (t.rank() == 0) {
            throw new IllegalArgumentException(op + ": dim " + dim + " out of range for " + arg + "=[] (a scalar has no dims)");
        }
        return t.normalizeDim(op, dim);
    }

    /**
     * Runs a last-dim row kernel along {@code dim}. The kernels only handle the last dim; another dim
     * is moved last with a transposed contiguous copy (scratch), computed there, and copied back
     * into {@code out}: one extra pass over the data each way.
     */
    private Tensor alongDim(String op, int dim, Tensor x, Tensor out, RowFwd f) {
        f32(op, "x", x);
        int d = softmaxDim(op, "x", x, dim);
        if (out == null) {
            out = Tensor.allocateLike(x, DType.F32, x.shape());
        } else {
            checkOut(op, "out", out, DType.F32, x.shape(), "x has");
            checkNoOverlap(op, "out", out, "x", x, true);
        }
        int last = x.rank() - 1;
        Tensor cx = (d == last ? x : x.transpose(d, last)).contiguousScratch();
        Tensor target = d == last ? out.nativeOutput(false) : Tensor.scratch(DType.F32, cx.shape());
        long cols = cx.dim(last), rows = cols == 0 ? 0 : cx.numel() / cols;
        Tensor t = target;
        SoftmaxKernels k = k().softmax();
        rowChunks(parFor(cx, t), rows, cols, (from, to) -> f.run(k, to - from, cols, cx.segment(), cx.offset() + from * cols,
                t.segment(), t.offset() + from * cols));
        if (d != last) Tensor.copyStrided(target.transpose(d, last), out);
        else out.copyBack(target);
        Tensor.releaseCopy(x, cx);
        Tensor.releaseCopy(out, target);
        return out;
    }

    private Tensor alongDimBackward(String op, int dim, Tensor y, Tensor dout, Tensor dx, RowBwd f) {
        f32(op, "y", y);
        f32(op, "dout", dout);
        sameShape(op, "y", y, "dout", dout);
        int d = softmaxDim(op, "y", y, dim);
        if (dx == null) {
            dx = Tensor.allocateLike(y, DType.F32, y.shape());
        } else {
            checkOut(op, "dx", dx, DType.F32, y.shape(), "y has");
            checkNoOverlap(op, "dx", dx, "y", y, true);
            checkNoOverlap(op, "dx", dx, "dout", dout, true);
        }
        int last = y.rank() - 1;
        Tensor cy = (d == last ? y : y.transpose(d, last)).contiguousScratch();
        Tensor cd = (d == last ? dout : dout.transpose(d, last)).contiguousScratch();
        Tensor target = d == last ? dx.nativeOutput(false) : Tensor.scratch(DType.F32, cy.shape());
        long cols = cy.dim(last), rows = cols == 0 ? 0 : cy.numel() / cols;
        Tensor t = target;
        SoftmaxKernels k = k().softmax();
        rowChunks(parFor(cy, cd, t), rows, cols, (from, to) -> f.run(k, to - from, cols, cy.segment(), cy.offset() + from * cols,
                cd.segment(), cd.offset() + from * cols, t.segment(), t.offset() + from * cols));
        if (d != last) Tensor.copyStrided(target.transpose(d, last), dx);
        else dx.copyBack(target);
        Tensor.releaseCopy(y, cy);
        Tensor.releaseCopy(dout, cd);
        Tensor.releaseCopy(dx, target);
        return dx;
    }

    /** Softmax along the last dim (stable for huge logits). */
    public Tensor softmax(Tensor x) {
        return softmax(x, -1);
    }

    /** Softmax along {@code dim} (negative counts from the end). */
    public Tensor softmax(Tensor x, int dim) {
        return alongDim("softmax", dim, x, null, SoftmaxKernels::softmax);
    }

    /** out = softmax(x) along {@code dim}; out may be x. */
    public void softmax(Tensor x, int dim, Tensor out) {
        alongDim("softmax", dim, x, notNull("softmax", "out", out), SoftmaxKernels::softmax);
    }

    /** dx = y (dout - sum(dout y)) along the last dim, y the softmax output. */
    public Tensor softmaxBackward(Tensor y, Tensor dout) {
        return softmaxBackward(y, dout, -1);
    }

    public Tensor softmaxBackward(Tensor y, Tensor dout, int dim) {
        return alongDimBackward("softmax_backward", dim, y, dout, null, SoftmaxKernels::softmaxBackward);
    }

    public void softmaxBackward(Tensor y, Tensor dout, int dim, Tensor dx) {
        alongDimBackward("softmax_backward", dim, y, dout, notNull("softmax_backward", "dx", dx), SoftmaxKernels::softmaxBackward);
    }

    /** log-softmax along the last dim. */
    public Tensor logSoftmax(Tensor x) {
        return logSoftmax(x, -1);
    }

    public Tensor logSoftmax(Tensor x, int dim) {
        return alongDim("log_softmax", dim, x, null, SoftmaxKernels::logSoftmax);
    }

    public void logSoftmax(Tensor x, int dim, Tensor out) {
        alongDim("log_softmax", dim, x, notNull("log_softmax", "out", out), SoftmaxKernels::logSoftmax);
    }

    /** dx = dout - exp(y) sum(dout) along the last dim, y the log-softmax output. */
    public Tensor logSoftmaxBackward(Tensor y, Tensor dout) {
        return logSoftmaxBackward(y, dout, -1);
    }

    public Tensor logSoftmaxBackward(Tensor y, Tensor dout, int dim) {
        return alongDimBackward("log_softmax_backward", dim, y, dout, null, SoftmaxKernels::logSoftmaxBackward);
    }

    public void logSoftmaxBackward(Tensor y, Tensor dout, int dim, Tensor dx) {
        alongDimBackward("log_softmax_backward", dim, y, dout, notNull("log_softmax_backward", "dx", dx),
                SoftmaxKernels::logSoftmaxBackward);
    }

    // ============================================================ reductions

    private enum Reduce { SUM, MEAN, MAX, ARGMAX, VARIANCE }

    private static long[] without(long[] shape, int d) {
        long[] out = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != d) out[j++] = shape[i];
        return out;
    }

    /**
     * x viewed as [outer, len, inner] around {@code dim}: inner == 1 uses the row kernels over chunks
     * of rows; otherwise each outer block is one column reduction of a [len, inner] matrix (the column
     * kernels take no leading dim, so a block is never split), blocks spread over threads. Each output
     * element is reduced by exactly one kernel call in a fixed order: results do not depend on threads.
     */
    private Tensor reduce(String op, Reduce kind, Tensor x, int dim, Tensor out) {
        f32(op, "x", x);
        if (x.rank() == 0) {
            throw new IllegalArgumentException(op + ": dim " + dim + " out of range for x=[] (a scalar has no dims)");
        }
        int d = x.normalizeDim(op, dim);
        long[] shape = x.shape();
        long outer = 1, inner = 1, len = shape[d];
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.length; i++) inner *= shape[i];
        long[] outShape = without(shape, d);
        if (len == 0 && outer * inner > 0 && (kind == Reduce.MAX || kind == Reduce.ARGMAX)) {
            throw new IllegalArgumentException(op + ": cannot reduce over dim " + dim + " of size 0 (x=" + s(x) + ")");
        }
        DType outType = kind == Reduce.ARGMAX ? DType.I32 : DType.F32;
        if (out == null) {
            out = Tensor.allocateLike(x, outType, outShape);
        } else {
            checkOut(op, "out", out, outType, outShape, "x=" + s(x) + " reduced over dim " + dim + " has");
            checkNoOverlap(op, "out", out, "x", x, false);
        }
        Tensor cx = x.contiguousScratch(), o = out.nativeOutput(false);
        ReductionKernels r = k().reductions();
        Parallelism p = parFor(cx, o);
        if (inner == 1) {
            long cols = len;
            rowChunks(p, outer, cols, (from, to) -> {
                long rows = to - from, xo = cx.offset() + from * cols, oo = o.offset() + from;
                MemorySegment xs = cx.segment(), os = o.segment();
                switch (kind) {
                    case SUM -> r.rowSum(rows, cols, xs, xo, os, oo);
                    case MEAN -> r.rowMean(rows, cols, xs, xo, os, oo);
                    case MAX -> r.rowMax(rows, cols, xs, xo, os, oo);
                    case ARGMAX -> r.rowArgmax(rows, cols, xs, xo, os, oo);
                    case VARIANCE -> r.rowVariance(rows, cols, xs, xo, os, oo);
                }
            });
        } else {
            long in = inner;
            p.parallelFor(0, outer, Math.max(1, GRAIN / Math.max(1, len * inner)), (from, to) -> {
                MemorySegment xs = cx.segment(), os = o.segment();
                for (long b = from; b < to; b++) {
                    long xo = cx.offset() + b * len * in, oo = o.offset() + b * in;
                    switch (kind) {
                        case SUM -> r.colSum(len, in, xs, xo, os, oo);
                        case MEAN -> r.colMean(len, in, xs, xo, os, oo);
                        case MAX -> r.colMax(len, in, xs, xo, os, oo);
                        case ARGMAX -> r.colArgmax(len, in, xs, xo, os, oo);
                        case VARIANCE -> r.colVariance(len, in, xs, xo, os, oo);
                    }
                }
            });
        }
        out.copyBack(o);
        Tensor.releaseCopy(x, cx);
        return out;
    }

    /** Sum along {@code dim} (removed from the result shape); 0 for an empty dim. */
    public Tensor sum(Tensor x, int dim) {
        return reduce("sum", Reduce.SUM, x, dim, null);
    }

    /** out (x's shape without {@code dim}, F32) = sum along {@code dim}. */
    public void sum(Tensor x, int dim, Tensor out) {
        reduce("sum", Reduce.SUM, x, dim, notNull("sum", "out", out));
    }

    /** Mean along {@code dim}; NaN for an empty dim. */
    public Tensor mean(Tensor x, int dim) {
        return reduce("mean", Reduce.MEAN, x, dim, null);
    }

    public void mean(Tensor x, int dim, Tensor out) {
        reduce("mean", Reduce.MEAN, x, dim, notNull("mean", "out", out));
    }

    /** Maximum along {@code dim}; an empty dim is rejected (the maximum of nothing is undefined). */
    public Tensor max(Tensor x, int dim) {
        return reduce("max", Reduce.MAX, x, dim, null);
    }

    public void max(Tensor x, int dim, Tensor out) {
        reduce("max", Reduce.MAX, x, dim, notNull("max", "out", out));
    }

    /** Index (I32) of the first maximum along {@code dim}; an empty dim is rejected. */
    public Tensor argmax(Tensor x, int dim) {
        return reduce("argmax", Reduce.ARGMAX, x, dim, null);
    }

    /** out must be I32. */
    public void argmax(Tensor x, int dim, Tensor out) {
        reduce("argmax", Reduce.ARGMAX, x, dim, notNull("argmax", "out", out));
    }

    /** Biased variance (divides by the count, as batch norm uses it) along {@code dim}; NaN for an empty dim. */
    public Tensor variance(Tensor x, int dim) {
        return reduce("variance", Reduce.VARIANCE, x, dim, null);
    }

    public void variance(Tensor x, int dim, Tensor out) {
        reduce("variance", Reduce.VARIANCE, x, dim, notNull("variance", "out", out));
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
        checkOut(op, "out", f32(op, "out", out), DType.F32, shape, "a @ b has");
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
        // heap operands and outputs through native copies, after the overlap checks on the originals
        if (!oa.t().segment().isNative()) oa = operand(a.contiguousScratch());
        if (!ob.t().segment().isNative()) ob = operand(b.contiguousScratch());
        Tensor co = out.nativeOutput(beta != 0f);
        var gemm = k().gemm();
        Parallelism par = parFor(oa.t(), ob.t(), co); // confined memory: the caller alone
        if (batch == 1) {
            gemm.sgemm(oa.trans(), ob.trans(), m, n, k, alpha, oa.t().segment(), oa.t().offset(), oa.ld(),
                    ob.t().segment(), ob.t().offset(), ob.ld(), beta, co.segment(), co.offset(), n, par);
        } else {
            gemm.sgemmBatched(oa.trans(), ob.trans(), m, n, k, alpha,
                    oa.t().segment(), oa.t().offset(), oa.ld(), oa.batchStride(),
                    ob.t().segment(), ob.t().offset(), ob.ld(), ob.batchStride(),
                    beta, co.segment(), co.offset(), n, (long) m * n, (int) batch, par);
        }
        out.copyBack(co);
        Tensor.releaseCopy(a, oa.t());
        Tensor.releaseCopy(b, ob.t());
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
    // Losses run as one kernel call: the loss is one sum over the batch, and splitting it over threads
    // would make its rounding depend on the thread count.

    private static void checkClassification(String op, Tensor x, Tensor labels) {
        f32(op, "x", x);
        notNull(op, "labels", labels);
        if (x.rank() != 2) {
            throw new IllegalArgumentException(op + ": x must be 2-D (N, C), got x=" + s(x));
        }
        if (labels.dtype() != DType.I32) {
            throw new IllegalArgumentException(op + ": labels must be I32, got " + labels.dtype() + " (labels=" + s(labels) + ")");
        }
        if (labels.rank() != 1) {
            throw new IllegalArgumentException(op + ": labels must be 1-D (N), got labels=" + s(labels) + " (x=" + s(x) + ")");
        }
        if (labels.dim(0) != x.dim(0)) {
            throw new IllegalArgumentException(op + ": labels has " + labels.dim(0) + " entries but x has " + x.dim(0)
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

    /** A gradient output for a loss: null means "loss only". */
    private static void checkGrad(String op, String name, Tensor dx, String likeName, Tensor like, String otherName, Tensor other) {
        if (dx == null) return;
        checkOut(op, name, dx, DType.F32, like.shape(), likeName + " has");
        checkNoOverlap(op, name, dx, likeName, like, false);
        checkNoOverlap(op, name, dx, otherName, other, false);
    }

    private static MemorySegment seg(Tensor t) {
        return t == null ? null : t.segment();
    }

    private static long off(Tensor t) {
        return t == null ? 0 : t.offset();
    }

    /** Softmax cross-entropy, mean over the batch: x (N, C) scores, labels I32 (N) in [0, C); grad (N, C). */
    public LossResult softmaxCrossEntropy(Tensor x, Tensor labels) {
        checkClassification("softmaxCrossEntropy", x, labels);
        return runSoftmaxCrossEntropy(x, labels, Tensor.allocateLike(x, DType.F32, x.shape()));
    }

    /** As {@link #softmaxCrossEntropy(Tensor, Tensor)}, writing the gradient into dx (N, C); dx null: loss only. */
    public LossResult softmaxCrossEntropy(Tensor x, Tensor labels, Tensor dx) {
        String op = "softmaxCrossEntropy";
        checkClassification(op, x, labels);
        checkGrad(op, "dx", dx, "x", x, "labels", labels);
        return runSoftmaxCrossEntropy(x, labels, dx);
    }

    private LossResult runSoftmaxCrossEntropy(Tensor x, Tensor labels, Tensor dx) {
        Tensor g = dx == null ? null : dx.nativeOutput(false);
        Tensor cx = x.contiguousScratch(), cl = labels.contiguousScratch();
        double loss = k().losses().softmaxCrossEntropy(x.dim(0), x.dim(1), cx.segment(), cx.offset(), cl.segment(), cl.offset(),
                seg(g), off(g));
        if (dx != null) dx.copyBack(g);
        Tensor.releaseCopy(x, cx);
        Tensor.releaseCopy(labels, cl);
        return new LossResult(loss, dx);
    }

    /** Multiclass hinge loss (cs231n) with margin 1. */
    public LossResult svmLoss(Tensor x, Tensor labels) {
        return svmLoss(x, labels, 1f);
    }

    /** Multiclass hinge loss (cs231n), mean over the batch: x (N, C), labels I32 (N); grad (N, C). */
    public LossResult svmLoss(Tensor x, Tensor labels, float margin) {
        checkMargin(margin);
        checkClassification("svmLoss", x, labels);
        return runSvm(x, labels, margin, Tensor.allocateLike(x, DType.F32, x.shape()));
    }

    /** As {@link #svmLoss(Tensor, Tensor, float)}, writing the gradient into dx; dx null: loss only. */
    public LossResult svmLoss(Tensor x, Tensor labels, float margin, Tensor dx) {
        String op = "svmLoss";
        checkMargin(margin);
        checkClassification(op, x, labels);
        checkGrad(op, "dx", dx, "x", x, "labels", labels);
        return runSvm(x, labels, margin, dx);
    }

    private LossResult runSvm(Tensor x, Tensor labels, float margin, Tensor dx) {
        Tensor g = dx == null ? null : dx.nativeOutput(false);
        Tensor cx = x.contiguousScratch(), cl = labels.contiguousScratch();
        double loss = k().losses().svmHinge(x.dim(0), x.dim(1), margin, cx.segment(), cx.offset(), cl.segment(), cl.offset(),
                seg(g), off(g));
        if (dx != null) dx.copyBack(g);
        Tensor.releaseCopy(x, cx);
        Tensor.releaseCopy(labels, cl);
        return new LossResult(loss, dx);
    }

    private static void checkMargin(float margin) {
        if (!(margin >= 0f) || Float.isInfinite(margin)) {
            throw new IllegalArgumentException("svmLoss: margin must be finite and >= 0, got " + margin);
        }
    }

    private static void checkMse(String op, Tensor pred, Tensor target, MseReduction reduction) {
        f32(op, "pred", pred);
        f32(op, "target", target);
        if (reduction == null) throw new IllegalArgumentException(op + ": reduction is null (valid: MEAN, EUCLIDEAN)");
        sameShape(op, "pred", pred, "target", target);
        if (pred.rank() == 0 || pred.numel() == 0) {
            throw new IllegalArgumentException(op + ": pred must have a batch dim and at least one element, got pred=" + s(pred));
        }
    }

    /**
     * Mean squared error of pred and target (same shape, N = shape[0]): MEAN divides the summed squares
     * by numel (PyTorch), EUCLIDEAN by 2N (Caffe). Grad d loss / d pred, shape of pred.
     */
    public LossResult mseLoss(Tensor pred, Tensor target, MseReduction reduction) {
        checkMse("mseLoss", pred, target, reduction);
        return runMse(pred, target, reduction, Tensor.allocateLike(pred, DType.F32, pred.shape()));
    }

    /** As {@link #mseLoss(Tensor, Tensor, MseReduction)}, writing the gradient into dpred; null: loss only. */
    public LossResult mseLoss(Tensor pred, Tensor target, MseReduction reduction, Tensor dpred) {
        String op = "mseLoss";
        checkMse(op, pred, target, reduction);
        checkGrad(op, "dpred", dpred, "pred", pred, "target", target);
        return runMse(pred, target, reduction, dpred);
    }

    private LossResult runMse(Tensor pred, Tensor target, MseReduction reduction, Tensor dpred) {
        Tensor g = dpred == null ? null : dpred.nativeOutput(false);
        Tensor cp = pred.contiguousScratch(), ct = target.contiguousScratch();
        double loss = k().losses().mse(reduction, pred.numel(), pred.dim(0), cp.segment(), cp.offset(), ct.segment(), ct.offset(),
                seg(g), off(g));
        if (dpred != null) dpred.copyBack(g);
        Tensor.releaseCopy(pred, cp);
        Tensor.releaseCopy(target, ct);
        return new LossResult(loss, dpred);
    }

    private static void checkBce(String op, Tensor logits, Tensor target) {
        f32(op, "logits", logits);
        f32(op, "target", target);
        sameShape(op, "logits", logits, "target", target);
        if (logits.numel() == 0) throw new IllegalArgumentException(op + ": logits is empty (logits=" + s(logits) + ")");
    }

    /** Binary cross-entropy on logits, mean over all elements; target in [0, 1], same shape. */
    public LossResult sigmoidBceLoss(Tensor logits, Tensor target) {
        checkBce("sigmoidBceLoss", logits, target);
        return runBce(logits, target, Tensor.allocateLike(logits, DType.F32, logits.shape()));
    }

    /** As {@link #sigmoidBceLoss(Tensor, Tensor)}, writing the gradient into dx; null: loss only. */
    public LossResult sigmoidBceLoss(Tensor logits, Tensor target, Tensor dx) {
        String op = "sigmoidBceLoss";
        checkBce(op, logits, target);
        checkGrad(op, "dx", dx, "logits", logits, "target", target);
        return runBce(logits, target, dx);
    }

    private LossResult runBce(Tensor logits, Tensor target, Tensor dx) {
        Tensor g = dx == null ? null : dx.nativeOutput(false);
        Tensor cx = logits.contiguousScratch(), ct = target.contiguousScratch();
        double loss = k().losses().sigmoidBce(logits.numel(), cx.segment(), cx.offset(), ct.segment(), ct.offset(),
                seg(g), off(g));
        if (dx != null) dx.copyBack(g);
        Tensor.releaseCopy(logits, cx);
        Tensor.releaseCopy(target, ct);
        return new LossResult(loss, dx);
    }

    // ---- convolution (issue 5) ----

    private ConvOps conv() {
        return new ConvOps(k(), par);
    }

    /** Fully connected: x (N, d1..dk) read as N x D, w (D, M), b (M) or null: returns x @ w + b, (N, M). */
    public Tensor affine(Tensor x, Tensor w, Tensor b) {
        return conv().affine(x, w, b, null);
    }

    /** {@link #affine(Tensor, Tensor, Tensor)} into a contiguous out (N, M). */
    public void affine(Tensor x, Tensor w, Tensor b, Tensor out) {
        conv().affine(x, w, b, f32out("affine", out));
    }

    /** Gradients of sum(affine(x, w, b) * dout) for dout (N, M): dx like x, dw (D, M), db (M). */
    public Grads affineBackward(Tensor x, Tensor w, Tensor dout) {
        return conv().affineBackward(x, w, dout, null, null, null, true);
    }

    /** {@link #affineBackward(Tensor, Tensor, Tensor)} into contiguous outputs (overwritten); a null one is not computed. */
    public void affineBackward(Tensor x, Tensor w, Tensor dout, Tensor dx, Tensor dw, Tensor db) {
        conv().affineBackward(x, w, dout, dx, dw, db, false);
    }

    /** x (C,H,W) to cols (C*kh*kw, Ho*Wo), or x (N,C,H,W) to (N, C*kh*kw, Ho*Wo) (PyTorch unfold layout; groups ignored). */
    public Tensor im2col(Tensor x, io.tensorlane.kernels.Conv2dDesc desc) {
        return conv().im2col(x, desc);
    }

    /** The adjoint of im2col (PyTorch fold): cols (C*kh*kw, Ho*Wo) to (C,h,w), or (N, C*kh*kw, Ho*Wo) to (N,C,h,w). */
    public Tensor col2im(Tensor cols, io.tensorlane.kernels.Conv2dDesc desc, long h, long w) {
        return conv().col2im(cols, desc, h, w);
    }

    /** conv2d (cross-correlation): x (N,C,H,W), w (F,C/groups,kh,kw), b (F) or null; returns (N,F,Ho,Wo). */
    public Tensor conv2d(Tensor x, Tensor w, Tensor b, io.tensorlane.kernels.Conv2dDesc desc) {
        return conv().conv2d(x, w, b, desc, null);
    }

    /** {@link #conv2d(Tensor, Tensor, Tensor, Conv2dDesc)} into a contiguous out (N,F,Ho,Wo). */
    public void conv2d(Tensor x, Tensor w, Tensor b, io.tensorlane.kernels.Conv2dDesc desc, Tensor out) {
        conv().conv2d(x, w, b, desc, f32out("conv2d", out));
    }

    /** Gradients of sum(conv2d(x, w, b) * dout) for dout (N,F,Ho,Wo): dx like x, dw like w, db (F). */
    public Grads conv2dBackward(Tensor x, Tensor w, Tensor dout, io.tensorlane.kernels.Conv2dDesc desc) {
        return conv().conv2dBackward(x, w, dout, desc, null, null, null, true);
    }

    /** {@link #conv2dBackward(Tensor, Tensor, Tensor, Conv2dDesc)} into contiguous outputs (overwritten); a null one is not computed. */
    public void conv2dBackward(Tensor x, Tensor w, Tensor dout, io.tensorlane.kernels.Conv2dDesc desc, Tensor dx, Tensor dw, Tensor db) {
        conv().conv2dBackward(x, w, dout, desc, dx, dw, db, false);
    }

    /** Transposed conv: x (N,Cin,H,W), w (Cin,Cout/groups,kh,kw), b (Cout) or null; returns (N,Cout,Ho,Wo). */
    public Tensor convTranspose2d(Tensor x, Tensor w, Tensor b, io.tensorlane.kernels.ConvTranspose2dDesc desc) {
        return conv().convTranspose2d(x, w, b, desc, null);
    }

    /** {@link #convTranspose2d(Tensor, Tensor, Tensor, ConvTranspose2dDesc)} into a contiguous out (N,Cout,Ho,Wo). */
    public void convTranspose2d(Tensor x, Tensor w, Tensor b, io.tensorlane.kernels.ConvTranspose2dDesc desc, Tensor out) {
        conv().convTranspose2d(x, w, b, desc, f32out("conv_transpose2d", out));
    }

    /** Gradients of sum(convTranspose2d(x, w, b) * dout): dx like x, dw like w, db (Cout). */
    public Grads convTranspose2dBackward(Tensor x, Tensor w, Tensor dout, io.tensorlane.kernels.ConvTranspose2dDesc desc) {
        return conv().convTranspose2dBackward(x, w, dout, desc, null, null, null, true);
    }

    /** {@link #convTranspose2dBackward(Tensor, Tensor, Tensor, ConvTranspose2dDesc)} into contiguous outputs; a null one is not computed. */
    public void convTranspose2dBackward(Tensor x, Tensor w, Tensor dout, io.tensorlane.kernels.ConvTranspose2dDesc desc,
                                        Tensor dx, Tensor dw, Tensor db) {
        conv().convTranspose2dBackward(x, w, dout, desc, dx, dw, db, false);
    }

    private static Tensor f32out(String op, Tensor out) {
        if (out == null) throw new IllegalArgumentException(op + ": out is null");
        return out;
    }

    // ---- norm, dropout, optimizers (issue 6) ----
    // Validation and dispatch live in NormOps / OptimOps; see /work/notes/API-norm.md for the contract.

    /**
     * Batch-norm training forward. x (N, D) per feature, or (N, C, L) / (N, C, H, W) per channel; gamma, beta,
     * runningMean, runningVar (C). Returns out (shape of x), the batch mean and BIASED var (C); updates the running
     * statistics in place as {@code r = momentum * r + (1 - momentum) * batchStat} (momentum 0.9 keeps 90%).
     */
    public BatchNormResult batchNormTrain(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                          float momentum, float eps) {
        return new NormOps(device, par).batchNormTrain(x, gamma, beta, runningMean, runningVar, momentum, eps, null, null, null);
    }

    /** As {@link #batchNormTrain(Tensor, Tensor, Tensor, Tensor, Tensor, float, float)} into out (shape of x), mean and var (C). */
    public void batchNormTrain(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                               float momentum, float eps, Tensor out, Tensor mean, Tensor var) {
        new NormOps(device, par).batchNormTrain(x, gamma, beta, runningMean, runningVar, momentum, eps,
                notNull("batchNormTrain", "out", out), notNull("batchNormTrain", "mean", mean), notNull("batchNormTrain", "var", var));
    }

    /** Batch-norm eval forward: {@code gamma * (x - runningMean) / sqrt(runningVar + eps) + beta} (stats not updated). */
    public Tensor batchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps) {
        return new NormOps(device, par).batchNormEval(x, gamma, beta, runningMean, runningVar, eps, null);
    }

    /** As {@link #batchNormEval(Tensor, Tensor, Tensor, Tensor, Tensor, float)} into out (shape of x; may be x). */
    public void batchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps, Tensor out) {
        new NormOps(device, par).batchNormEval(x, gamma, beta, runningMean, runningVar, eps, notNull("batchNormEval", "out", out));
    }

    /** Backward of the training forward; mean and var (C) are the batch statistics it returned. dx (shape of x), dgamma, dbeta (C). */
    public BatchNormGrads batchNormBackward(Tensor x, Tensor dout, Tensor gamma, Tensor mean, Tensor var, float eps) {
        return new NormOps(device, par).batchNormBackward(true, x, dout, gamma, mean, var, eps, null, null, null);
    }

    /** As {@link #batchNormBackward(Tensor, Tensor, Tensor, Tensor, Tensor, float)} into dx, dgamma, dbeta (overwritten). */
    public void batchNormBackward(Tensor x, Tensor dout, Tensor gamma, Tensor mean, Tensor var, float eps,
                                  Tensor dx, Tensor dgamma, Tensor dbeta) {
        String op = "batchNormBackward";
        new NormOps(device, par).batchNormBackward(true, x, dout, gamma, mean, var, eps, notNull(op, "dx", dx),
                notNull(op, "dgamma", dgamma), notNull(op, "dbeta", dbeta));
    }

    /** Backward of the eval forward (running stats are constants): dx = dout * gamma / sqrt(runningVar + eps). */
    public BatchNormGrads batchNormEvalBackward(Tensor x, Tensor dout, Tensor gamma, Tensor runningMean, Tensor runningVar, float eps) {
        return new NormOps(device, par).batchNormBackward(false, x, dout, gamma, runningMean, runningVar, eps, null, null, null);
    }

    /** As {@link #batchNormEvalBackward(Tensor, Tensor, Tensor, Tensor, Tensor, float)} into dx, dgamma, dbeta (overwritten). */
    public void batchNormEvalBackward(Tensor x, Tensor dout, Tensor gamma, Tensor runningMean, Tensor runningVar, float eps,
                                      Tensor dx, Tensor dgamma, Tensor dbeta) {
        String op = "batchNormEvalBackward";
        new NormOps(device, par).batchNormBackward(false, x, dout, gamma, runningMean, runningVar, eps, notNull(op, "dx", dx),
                notNull(op, "dgamma", dgamma), notNull(op, "dbeta", dbeta));
    }

    /**
     * Inverted dropout (train mode), p = DROP probability in [0, 1): out = x * mask / (1 - p). The mask (shape of x,
     * 1f keep / 0f drop) is a pure function of (seed, flat index): see {@code io.tensorlane.kernels.DropoutMask}.
     */
    public DropoutResult dropout(Tensor x, float p, long seed) {
        return new NormOps(device, par).dropout(x, p, seed, null, null);
    }

    /** As {@link #dropout(Tensor, float, long)} into out (may be x) and mask (shape of x). */
    public void dropout(Tensor x, float p, long seed, Tensor out, Tensor mask) {
        new NormOps(device, par).dropout(x, p, seed, notNull("dropout", "out", out), notNull("dropout", "mask", mask));
    }

    /** Dropout with an explicit mask (0/1 floats, shape of x): x * mask / (1 - p). */
    public Tensor dropoutWithMask(Tensor x, Tensor mask, float p) {
        return new NormOps(device, par).dropoutWithMask("dropoutWithMask", "x", x, mask, p, null);
    }

    /** As {@link #dropoutWithMask(Tensor, Tensor, float)} into out. */
    public void dropoutWithMask(Tensor x, Tensor mask, float p, Tensor out) {
        new NormOps(device, par).dropoutWithMask("dropoutWithMask", "x", x, mask, p, notNull("dropoutWithMask", "out", out));
    }

    /** Dropout backward: dx = dout * mask / (1 - p). */
    public Tensor dropoutBackward(Tensor dout, Tensor mask, float p) {
        return new NormOps(device, par).dropoutWithMask("dropoutBackward", "dout", dout, mask, p, null);
    }

    /** As {@link #dropoutBackward(Tensor, Tensor, float)} into dx (may be dout). */
    public void dropoutBackward(Tensor dout, Tensor mask, float p, Tensor dx) {
        new NormOps(device, par).dropoutWithMask("dropoutBackward", "dout", dout, mask, p, notNull("dropoutBackward", "dx", dx));
    }

    /**
     * SGD in place: {@code w -= lr * (g + weightDecay * w)}. Returns false and changes nothing when g holds a NaN
     * or infinity (the non-finite rule of every optimizer step).
     */
    public boolean sgdStep(Tensor w, Tensor g, float lr, float weightDecay) {
        return new OptimOps(device, par).sgd(w, g, lr, weightDecay);
    }

    /** Momentum in place: {@code v = momentum*v - lr*g'; w += v} (g' = g + weightDecay*w); false = skipped (non-finite g). */
    public boolean momentumStep(Tensor w, Tensor g, Tensor v, float lr, float momentum, float weightDecay) {
        return new OptimOps(device, par).momentum(false, w, g, v, lr, momentum, weightDecay);
    }

    /** Nesterov momentum, cs231n form: {@code vp = v; v = mu*v - lr*g'; w += -mu*vp + (1+mu)*v}; false = skipped. */
    public boolean nesterovStep(Tensor w, Tensor g, Tensor v, float lr, float momentum, float weightDecay) {
        return new OptimOps(device, par).momentum(true, w, g, v, lr, momentum, weightDecay);
    }

    /** Adagrad: {@code cache += g'^2; w -= lr*g'/(sqrt(cache)+eps)}; false = skipped. */
    public boolean adagradStep(Tensor w, Tensor g, Tensor cache, float lr, float eps, float weightDecay) {
        return new OptimOps(device, par).adagrad(w, g, cache, lr, eps, weightDecay);
    }

    /** RMSprop: {@code cache = d*cache + (1-d)*g'^2; w -= lr*g'/(sqrt(cache)+eps)}; false = skipped. */
    public boolean rmspropStep(Tensor w, Tensor g, Tensor cache, float lr, float decayRate, float eps, float weightDecay) {
        return new OptimOps(device, par).rmsprop(w, g, cache, lr, decayRate, eps, weightDecay);
    }

    /** Adam step t = 1, 2, ... with bias correction (eps outside the sqrt; L2 weight decay, not AdamW); false = skipped. */
    public boolean adamStep(Tensor w, Tensor g, Tensor m, Tensor v, long t, float lr, float beta1, float beta2, float eps,
                            float weightDecay) {
        return new OptimOps(device, par).adam(w, g, m, v, t, lr, beta1, beta2, eps, weightDecay);
    }

    /** Sum of squares of every element of every gradient, in double; NaN or infinite when any value is. */
    public double gradSumSquares(java.util.List<Tensor> grads) {
        return new OptimOps(device, par).gradSumSquares("gradSumSquares", grads);
    }

    /**
     * Global L2-norm clipping: returns the norm before clipping; when it exceeds maxNorm every gradient is scaled in
     * place by {@code maxNorm / (norm + 1e-6)}; a non-finite norm leaves them untouched (skip the step).
     */
    public double clipGradNorm(java.util.List<Tensor> grads, double maxNorm) {
        return new OptimOps(device, par).clipGradNorm(grads, maxNorm, this);
    }

    // ---- recurrent + detection (issue 6) ----
    // Validation and dispatch live in RecurrentOps / DetectionOps. Recurrent shapes: x (N,D) per step or
    // (N,T,D) per sequence (batch-major), hidden/cell states (N,H), wx (D,G*H), wh (H,G*H), b (G*H) with
    // G = 1 (tanh RNN) or 4 (LSTM, gate order i|f|o|g). Backward "out" forms overwrite dx, dh0/dPrevH and
    // dc0/dPrevC and ACCUMULATE (+=) into dWx, dWh, db; allocating forms return fresh grads.

    /** Tanh RNN step: {@code nextH (N,H) = tanh(x@wx + prevH@wh + b)}, x (N,D), wx (D,H), wh (H,H), b (H). */
    public Tensor rnnStep(Tensor x, Tensor prevH, Tensor wx, Tensor wh, Tensor b) {
        return RecurrentOps.rnn(k(), par, "rnnStep", false, x, prevH, wx, wh, b, null);
    }

    /** {@link #rnnStep(Tensor, Tensor, Tensor, Tensor, Tensor)} into a contiguous nextH (N,H). */
    public void rnnStep(Tensor x, Tensor prevH, Tensor wx, Tensor wh, Tensor b, Tensor nextH) {
        RecurrentOps.rnn(k(), par, "rnnStep", false, x, prevH, wx, wh, b, nextH);
    }

    /** Grads of an RNN step given its output nextH and upstream dNextH (N,H): dx, dh0 (= dPrevH), dWx, dWh, db. */
    public RecurrentGrads rnnStepBackward(Tensor x, Tensor prevH, Tensor wx, Tensor wh, Tensor nextH, Tensor dNextH) {
        return RecurrentOps.rnnBackward(k(), par, "rnnStepBackward", false, x, prevH, wx, wh, nextH, dNextH,
                null, null, null, null, null);
    }

    /** As {@link #rnnStepBackward(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)}; dx, dPrevH overwritten, dWx, dWh, db accumulated. */
    public void rnnStepBackward(Tensor x, Tensor prevH, Tensor wx, Tensor wh, Tensor nextH, Tensor dNextH,
                                Tensor dx, Tensor dPrevH, Tensor dWx, Tensor dWh, Tensor db) {
        RecurrentOps.rnnBackward(k(), par, "rnnStepBackward", false, x, prevH, wx, wh, nextH, dNextH, dx, dPrevH, dWx, dWh, db);
    }

    /** Tanh RNN over a sequence: x (N,T,D), h0 (N,H) → h (N,T,H), {@code h[:,t] = tanh(x[:,t]@wx + h[:,t-1]@wh + b)}. */
    public Tensor rnnSeq(Tensor x, Tensor h0, Tensor wx, Tensor wh, Tensor b) {
        return RecurrentOps.rnn(k(), par, "rnnSeq", true, x, h0, wx, wh, b, null);
    }

    /** {@link #rnnSeq(Tensor, Tensor, Tensor, Tensor, Tensor)} into a contiguous h (N,T,H). */
    public void rnnSeq(Tensor x, Tensor h0, Tensor wx, Tensor wh, Tensor b, Tensor h) {
        RecurrentOps.rnn(k(), par, "rnnSeq", true, x, h0, wx, wh, b, h);
    }

    /** Backward through time of {@link #rnnSeq}: h its output, dh (N,T,H) upstream on every step → dx, dh0, dWx, dWh, db. */
    public RecurrentGrads rnnSeqBackward(Tensor x, Tensor h0, Tensor wx, Tensor wh, Tensor h, Tensor dh) {
        return RecurrentOps.rnnBackward(k(), par, "rnnSeqBackward", true, x, h0, wx, wh, h, dh, null, null, null, null, null);
    }

    /** As {@link #rnnSeqBackward(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)}; dx, dh0 overwritten, dWx, dWh, db accumulated. */
    public void rnnSeqBackward(Tensor x, Tensor h0, Tensor wx, Tensor wh, Tensor h, Tensor dh,
                               Tensor dx, Tensor dh0, Tensor dWx, Tensor dWh, Tensor db) {
        RecurrentOps.rnnBackward(k(), par, "rnnSeqBackward", true, x, h0, wx, wh, h, dh, dx, dh0, dWx, dWh, db);
    }

    /** LSTM step: x (N,D), prevH, prevC (N,H), wx (D,4H), wh (H,4H), b (4H) → nextH, nextC (N,H), gates (N,4H). */
    public LstmOutput lstmStep(Tensor x, Tensor prevH, Tensor prevC, Tensor wx, Tensor wh, Tensor b) {
        return RecurrentOps.lstm(k(), par, "lstmStep", false, x, prevH, prevC, wx, wh, b, null, null, null);
    }

    /** {@link #lstmStep(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)} into contiguous nextH, nextC (N,H), gates (N,4H). */
    public void lstmStep(Tensor x, Tensor prevH, Tensor prevC, Tensor wx, Tensor wh, Tensor b,
                         Tensor nextH, Tensor nextC, Tensor gates) {
        RecurrentOps.lstm(k(), par, "lstmStep", false, x, prevH, prevC, wx, wh, b, nextH, nextC, gates);
    }

    /**
     * The LSTM weights wx (D,4H), wh (H,4H) packed once for this Ops' kernels, for
     * {@link #lstmStep(Tensor, Tensor, Tensor, PackedMatrix, Tensor, Tensor, Tensor, Tensor)} calls that reuse
     * them (inference): a snapshot, to pack again after the weights change.
     */
    public PackedMatrix lstmPackWeights(Tensor wx, Tensor wh) {
        return RecurrentOps.lstmPackWeights(k(), "lstmPackWeights", wx, wh);
    }

    /** LSTM step over weights packed by {@link #lstmPackWeights}: the same results as the unpacked step, bit for bit. */
    public void lstmStep(Tensor x, Tensor prevH, Tensor prevC, PackedMatrix w, Tensor b,
                         Tensor nextH, Tensor nextC, Tensor gates) {
        RecurrentOps.lstmPacked(k(), par, "lstmStep", x, prevH, prevC, w, b, nextH, nextC, gates);
    }

    /** Grads of an LSTM step (fwd = its output) for upstream dNextH and dNextC (N,H; null = 0): dx, dh0, dc0, dWx, dWh, db. */
    public RecurrentGrads lstmStepBackward(Tensor x, Tensor prevH, Tensor prevC, Tensor wx, Tensor wh, LstmOutput fwd,
                                           Tensor dNextH, Tensor dNextC) {
        return RecurrentOps.lstmBackward(k(), par, "lstmStepBackward", false, x, prevH, prevC, wx, wh, fwd, dNextH, dNextC,
                true, null, null, null, null, null, null);
    }

    /** As {@link #lstmStepBackward(Tensor, Tensor, Tensor, Tensor, Tensor, LstmOutput, Tensor, Tensor)}; dWx, dWh, db accumulated. */
    public void lstmStepBackward(Tensor x, Tensor prevH, Tensor prevC, Tensor wx, Tensor wh, LstmOutput fwd,
                                 Tensor dNextH, Tensor dNextC, Tensor dx, Tensor dPrevH, Tensor dPrevC,
                                 Tensor dWx, Tensor dWh, Tensor db) {
        RecurrentOps.lstmBackward(k(), par, "lstmStepBackward", false, x, prevH, prevC, wx, wh, fwd, dNextH, dNextC,
                false, dx, dPrevH, dPrevC, dWx, dWh, db);
    }

    /** LSTM over a sequence: x (N,T,D), h0 (N,H), c0 (N,H) or null (zeros) → h, c (N,T,H), gates (N,T,4H). */
    public LstmOutput lstmSeq(Tensor x, Tensor h0, Tensor c0, Tensor wx, Tensor wh, Tensor b) {
        return RecurrentOps.lstm(k(), par, "lstmSeq", true, x, h0, c0, wx, wh, b, null, null, null);
    }

    /** {@link #lstmSeq(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)} into contiguous h, c (N,T,H) and gates (N,T,4H). */
    public void lstmSeq(Tensor x, Tensor h0, Tensor c0, Tensor wx, Tensor wh, Tensor b, Tensor h, Tensor c, Tensor gates) {
        RecurrentOps.lstm(k(), par, "lstmSeq", true, x, h0, c0, wx, wh, b, h, c, gates);
    }

    /** Backward through time of {@link #lstmSeq}: dh (N,T,H) on every h, dcLast (N,H) on the last c or null → dx, dh0, dc0, dWx, dWh, db. */
    public RecurrentGrads lstmSeqBackward(Tensor x, Tensor h0, Tensor c0, Tensor wx, Tensor wh, LstmOutput fwd,
                                          Tensor dh, Tensor dcLast) {
        return RecurrentOps.lstmBackward(k(), par, "lstmSeqBackward", true, x, h0, c0, wx, wh, fwd, dh, dcLast,
                true, null, null, null, null, null, null);
    }

    /** As {@link #lstmSeqBackward(Tensor, Tensor, Tensor, Tensor, Tensor, LstmOutput, Tensor, Tensor)}; dc0 may be null; dWx, dWh, db accumulated. */
    public void lstmSeqBackward(Tensor x, Tensor h0, Tensor c0, Tensor wx, Tensor wh, LstmOutput fwd, Tensor dh, Tensor dcLast,
                                Tensor dx, Tensor dh0, Tensor dc0, Tensor dWx, Tensor dWh, Tensor db) {
        RecurrentOps.lstmBackward(k(), par, "lstmSeqBackward", true, x, h0, c0, wx, wh, fwd, dh, dcLast,
                false, dx, dh0, dc0, dWx, dWh, db);
    }

    /** Pairwise IoU of boxes (x1, y1, x2, y2): boxesA (N,4), boxesB (M,4) → (N,M) (torchvision box_iou). */
    public Tensor iou(Tensor boxesA, Tensor boxesB) {
        return DetectionOps.iou(k(), boxesA, boxesB, null);
    }

    /** {@link #iou(Tensor, Tensor)} into a contiguous out (N,M). */
    public void iou(Tensor boxesA, Tensor boxesB, Tensor out) {
        DetectionOps.iou(k(), boxesA, boxesB, out);
    }

    /**
     * Greedy NMS (torchvision nms): boxes (N,4), scores (N) not NaN, iouThreshold in [0, 1]; drops a box whose
     * IoU with a kept one is strictly greater. Returns the kept indices (I32, K) by decreasing score (ties: lower index).
     */
    public Tensor nms(Tensor boxes, Tensor scores, float iouThreshold) {
        return DetectionOps.nms(k(), boxes, scores, iouThreshold);
    }

    /** Anchor-relative deltas of boxes (N,4) against anchors (N,4), SSD / Faster R-CNN form (see kernels' Detection). */
    public Tensor encodeBoxes(Tensor anchors, Tensor boxes, float centerVariance, float sizeVariance) {
        return DetectionOps.boxCoding(k(), true, anchors, boxes, centerVariance, sizeVariance, null);
    }

    /** Boxes (N,4) from anchors (N,4) and deltas (N,4), the inverse of {@link #encodeBoxes}. */
    public Tensor decodeBoxes(Tensor anchors, Tensor deltas, float centerVariance, float sizeVariance) {
        return DetectionOps.boxCoding(k(), false, anchors, deltas, centerVariance, sizeVariance, null);
    }

    /** {@link #encodeBoxes(Tensor, Tensor, float, float)} into a contiguous out (N,4), which may be boxes itself. */
    public void encodeBoxes(Tensor anchors, Tensor boxes, float centerVariance, float sizeVariance, Tensor out) {
        DetectionOps.boxCoding(k(), true, anchors, boxes, centerVariance, sizeVariance, out);
    }

    /** {@link #decodeBoxes(Tensor, Tensor, float, float)} into a contiguous out (N,4), which may be deltas itself. */
    public void decodeBoxes(Tensor anchors, Tensor deltas, float centerVariance, float sizeVariance, Tensor out) {
        DetectionOps.boxCoding(k(), false, anchors, deltas, centerVariance, sizeVariance, out);
    }

    /** Smooth-L1 loss (PyTorch, mean over elements, beta >= 0; 0 = L1) of pred vs target (same shape); grad like pred. */
    public LossResult smoothL1Loss(Tensor pred, Tensor target, float beta) {
        return DetectionOps.smoothL1(k(), pred, target, beta, null, true);
    }

    /** As {@link #smoothL1Loss(Tensor, Tensor, float)}, writing the gradient into dpred; null: loss only. */
    public LossResult smoothL1Loss(Tensor pred, Tensor target, float beta, Tensor dpred) {
        return DetectionOps.smoothL1(k(), pred, target, beta, dpred, false);
    }

    // ---- pooling (issue 5) ----
    // NCHW F32; indices I32 flat h*W + w inside each (n, c) plane. Validation and dispatch: PoolOps.
    // Backward "dx" forms overwrite dx. Geometry: io.tensorlane.kernels.Pool2dDesc / RoiPoolDesc.

    /** Max pool of x (N, C, H, W): out and argmax indices, both (N, C, Ho, Wo); NaN propagates, ties pick the first. */
    public PoolResult maxPool2d(Tensor x, io.tensorlane.kernels.Pool2dDesc desc) {
        return PoolOps.maxPool2d(this, x, desc, null, null);
    }

    /** As {@link #maxPool2d(Tensor, io.tensorlane.kernels.Pool2dDesc)} into out (F32) and indices (I32), both (N, C, Ho, Wo). */
    public void maxPool2d(Tensor x, io.tensorlane.kernels.Pool2dDesc desc, Tensor out, Tensor indices) {
        PoolOps.maxPool2d(this, x, desc, notNull("max_pool2d", "out", out), notNull("max_pool2d", "indices", indices));
    }

    /** dx (xShape = N, C, H, W): dout (N, C, Ho, Wo) added at the forward's indices, zero elsewhere. */
    public Tensor maxPool2dBackward(Tensor dout, Tensor indices, io.tensorlane.kernels.Pool2dDesc desc, long... xShape) {
        return PoolOps.maxPool2dBackward(this, dout, indices, desc, xShape, null);
    }

    /** As {@link #maxPool2dBackward(Tensor, Tensor, io.tensorlane.kernels.Pool2dDesc, long...)}, overwriting dx (N, C, H, W). */
    public void maxPool2dBackward(Tensor dout, Tensor indices, io.tensorlane.kernels.Pool2dDesc desc, Tensor dx) {
        PoolOps.maxPool2dBackward(this, dout, indices, desc, null, notNull("max_pool2d_backward", "dx", dx));
    }

    /** Average pool of x (N, C, H, W) to (N, C, Ho, Wo); divisor per {@link io.tensorlane.kernels.Pool2dDesc#countIncludePad()}. */
    public Tensor avgPool2d(Tensor x, io.tensorlane.kernels.Pool2dDesc desc) {
        return PoolOps.avgPool2d(this, x, desc, null);
    }

    /** As {@link #avgPool2d(Tensor, io.tensorlane.kernels.Pool2dDesc)} into out (N, C, Ho, Wo). */
    public void avgPool2d(Tensor x, io.tensorlane.kernels.Pool2dDesc desc, Tensor out) {
        PoolOps.avgPool2d(this, x, desc, notNull("avg_pool2d", "out", out));
    }

    /** dx (xShape = N, C, H, W): each window's dout / divisor spread over the window, overlaps added. */
    public Tensor avgPool2dBackward(Tensor dout, io.tensorlane.kernels.Pool2dDesc desc, long... xShape) {
        return PoolOps.avgPool2dBackward(this, dout, desc, xShape, null);
    }

    /** As {@link #avgPool2dBackward(Tensor, io.tensorlane.kernels.Pool2dDesc, long...)}, overwriting dx (N, C, H, W). */
    public void avgPool2dBackward(Tensor dout, io.tensorlane.kernels.Pool2dDesc desc, Tensor dx) {
        PoolOps.avgPool2dBackward(this, dout, desc, null, notNull("avg_pool2d_backward", "dx", dx));
    }

    /** Mean of each (n, c) plane of x (N, C, H, W): (N, C, 1, 1). */
    public Tensor globalAvgPool(Tensor x) {
        return PoolOps.globalAvgPool(this, x, null);
    }

    /** As {@link #globalAvgPool(Tensor)} into out (N, C, 1, 1) or (N, C). */
    public void globalAvgPool(Tensor x, Tensor out) {
        PoolOps.globalAvgPool(this, x, notNull("global_avg_pool", "out", out));
    }

    /** dx (xShape = N, C, H, W) = dout (N, C, 1, 1) or (N, C) / (H*W), broadcast over each plane. */
    public Tensor globalAvgPoolBackward(Tensor dout, long... xShape) {
        return PoolOps.globalAvgPoolBackward(this, dout, xShape, null);
    }

    /** As {@link #globalAvgPoolBackward(Tensor, long...)}, overwriting dx (N, C, H, W). */
    public void globalAvgPoolBackward(Tensor dout, Tensor dx) {
        PoolOps.globalAvgPoolBackward(this, dout, null, notNull("global_avg_pool_backward", "dx", dx));
    }

    /** x, indices (N, C, h, w) to (N, C, outH, outW): zero except out.flat[indices] = x (PyTorch's max_unpool2d). */
    public Tensor maxUnpool2d(Tensor x, Tensor indices, long outH, long outW) {
        return PoolOps.maxUnpool2d(this, x, indices, outH, outW, null);
    }

    /** As {@link #maxUnpool2d(Tensor, Tensor, long, long)} into out (N, C, H, W), whose size sets the output plane. */
    public void maxUnpool2d(Tensor x, Tensor indices, Tensor out) {
        PoolOps.maxUnpool2d(this, x, indices, -1, -1, notNull("max_unpool2d", "out", out));
    }

    /** dx (shaped like indices, N, C, h, w) = dout (N, C, H, W).flat[indices]. */
    public Tensor maxUnpool2dBackward(Tensor dout, Tensor indices) {
        return PoolOps.maxUnpool2dBackward(this, dout, indices, null);
    }

    /** As {@link #maxUnpool2dBackward(Tensor, Tensor)}, overwriting dx (N, C, h, w). */
    public void maxUnpool2dBackward(Tensor dout, Tensor indices, Tensor dx) {
        PoolOps.maxUnpool2dBackward(this, dout, indices, notNull("max_unpool2d_backward", "dx", dx));
    }

    /** Fast R-CNN max ROI pooling of x (N, C, H, W) over rois (R, 5): out and argmax (R, C, pooledH, pooledW); see RoiPoolDesc. */
    public PoolResult roiPool(Tensor x, Tensor rois, io.tensorlane.kernels.RoiPoolDesc desc) {
        return PoolOps.roiPool(this, x, rois, desc, null, null);
    }

    /** As {@link #roiPool(Tensor, Tensor, io.tensorlane.kernels.RoiPoolDesc)} into out (F32) and argmax (I32). */
    public void roiPool(Tensor x, Tensor rois, io.tensorlane.kernels.RoiPoolDesc desc, Tensor out, Tensor argmax) {
        PoolOps.roiPool(this, x, rois, desc, notNull("roi_pool", "out", out), notNull("roi_pool", "argmax", argmax));
    }

    /** dx (xShape = N, C, H, W): dout (R, C, pooledH, pooledW) added at argmax (-1 skipped), over all ROIs. */
    public Tensor roiPoolBackward(Tensor dout, Tensor argmax, Tensor rois, io.tensorlane.kernels.RoiPoolDesc desc, long... xShape) {
        return PoolOps.roiPoolBackward(this, dout, argmax, rois, desc, xShape, null);
    }

    /** As {@link #roiPoolBackward(Tensor, Tensor, Tensor, io.tensorlane.kernels.RoiPoolDesc, long...)}, overwriting dx. */
    public void roiPoolBackward(Tensor dout, Tensor argmax, Tensor rois, io.tensorlane.kernels.RoiPoolDesc desc, Tensor dx) {
        PoolOps.roiPoolBackward(this, dout, argmax, rois, desc, null, notNull("roi_pool_backward", "dx", dx));
    }
}

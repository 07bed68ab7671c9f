package io.tensorlane.runtime;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.tensorlane.kernels.Checks;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * An n-dimensional array of {@link DType} elements in a {@link MemorySegment}: shape, strides and an
 * element offset (both in elements, not bytes). Views ({@link #reshape}, {@link #slice},
 * {@link #transpose}, {@link #permute}) share the segment and never copy.
 *
 * <p>A tensor never outlives its memory: once the {@link Arena} that allocated it is closed, any
 * access throws the JDK's {@link IllegalStateException}. Tensors allocated by tensorlane remember
 * their arena ({@link #arena()}), so ops that allocate results put them in the same arena.
 *
 * <p>Heap arrays ({@link #of(float[], long...)}) are wrapped without copying, but {@link Ops} never hands a
 * heap segment to a SIMD kernel: it reads such inputs through native copies and has the kernels write heap
 * outputs (and the heap results of heap inputs) into native stand-ins that it then copies back, in per-thread
 * buffers reused from op to op. The reason is the JIT: once any vector loop
 * has seen a heap {@code MemorySegment}, the Vector API's loads and stores in every kernel of that JVM lose
 * their intrinsics (measured on JDK 25: a matmul + relu + softmax chain on native tensors took 3.2x as long
 * after the same chain had run a few thousand times on heap tensors, and stayed that way). Tensors from an
 * {@link Arena}, or {@link #copyOf} for Java arrays, avoid the copies.
 */
public final class Tensor {
    /** Alignment of tensor storage: a cache line, and the widest vector register. */
    public static final long ALIGNMENT = 64;

    private final DType dtype;
    private final long[] shape;
    private final long[] strides;
    private final long offset;
    private final long numel;
    private final MemorySegment segment;
    private final Arena arena; // null for wrapped or heap storage
    /** A {@link #scratch} tensor (its segment may go back to the thread's staging buffers, see {@link #release}). */
    private final boolean scratch;

    private Tensor(DType dtype, long[] shape, long[] strides, long offset, MemorySegment segment, Arena arena) {
        this(dtype, shape, strides, offset, segment, arena, false);
    }

    private Tensor(DType dtype, long[] shape, long[] strides, long offset, MemorySegment segment, Arena arena, boolean scratch) {
        this.scratch = scratch;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.numel = Checks.numel("tensor", "shape", shape);
        this.segment = segment;
        this.arena = arena;
    }

    // ---------------------------------------------------------------- creation

    /** Allocates a zero-filled, contiguous, 64-byte-aligned tensor owned by {@code arena}. */
    public static Tensor allocate(Arena arena, DType dtype, long... shape) {
        Objects.requireNonNull(arena, "arena");
        Objects.requireNonNull(dtype, "dtype");
        long[] s = checkShape("allocate", shape);
        long n = Checks.numel("allocate", "shape " + Arrays.toString(s), s);
        long bytes = Checks.multiply("allocate", "byte size of shape " + Arrays.toString(s), n, dtype.byteSize());
        MemorySegment seg = arena.allocate(Math.max(bytes, 1), ALIGNMENT);
        Memory.recordTensor(arena, seg, dtype, s, bytes);
        return new Tensor(dtype, s, contiguousStrides(s), 0, seg, arena);
    }

    /** Wraps a float array without copying (row-major). */
    public static Tensor of(float[] data, long... shape) {
        long[] s = arrayShape("of", shape, data.length);
        return new Tensor(DType.F32, s, contiguousStrides(s), 0, MemorySegment.ofArray(data), null);
    }

    /** The checked shape for an array of {@code length} elements (op names the caller in the message). */
    private static long[] arrayShape(String op, long[] shape, int length) {
        long[] s = checkShape(op, shape);
        long n = Checks.numel(op, "shape", s);
        if (n != length) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(s) + " holds " + n
                    + " elements but the array has " + length);
        }
        return s;
    }

    /**
     * A native copy of a float array (row-major) in automatic, garbage-collected memory: how to hand Java
     * arrays to ops that run many times (no per-op copy, and no heap segment near the kernels; see the
     * class comment). Later changes to {@code data} are not seen.
     */
    public static Tensor copyOf(float[] data, long... shape) {
        long[] s = arrayShape("copyOf", shape, data.length);
        Tensor t = allocate(Arena.ofAuto(), DType.F32, s);
        MemorySegment.copy(data, 0, t.segment, JAVA_FLOAT, 0, data.length);
        return t;
    }

    /** Wraps an int array without copying (row-major). */
    public static Tensor ofInts(int[] data, long... shape) {
        long[] s = arrayShape("ofInts", shape, data.length);
        return new Tensor(DType.I32, s, contiguousStrides(s), 0, MemorySegment.ofArray(data), null);
    }

    /** Wraps a segment as a contiguous F32 tensor starting at byte 0; no copy. */
    public static Tensor wrap(MemorySegment segment, long... shape) {
        return wrap(segment, 0, DType.F32, shape);
    }

    /** Wraps a segment as a contiguous tensor starting at byte 0; the segment must be large enough. */
    public static Tensor wrap(MemorySegment segment, DType dtype, long... shape) {
        return wrap(segment, 0, dtype, shape);
    }

    /**
     * Wraps elements [offset, offset + numel) of a segment (offset in elements, not bytes) as a
     * contiguous tensor; no copy. The segment must be aligned to the element size (a {@code byte[]}
     * heap segment is not: wrap a {@code float[]}/{@code int[]} instead). A read-only segment gives a
     * read-only tensor: ops reject it as an output.
     */
    public static Tensor wrap(MemorySegment segment, long offset, DType dtype, long... shape) {
        if (segment == null) throw new IllegalArgumentException("wrap: segment is null");
        if (dtype == null) throw new IllegalArgumentException("wrap: dtype is null");
        long[] s = checkShape("wrap", shape);
        long n = Checks.numel("wrap", "shape " + Arrays.toString(s), s);
        long bytes = Checks.multiply("wrap", "byte size of shape " + Arrays.toString(s), n, dtype.byteSize());
        if (segment.maxByteAlignment() < dtype.byteSize()) {
            throw new IllegalArgumentException("wrap: the segment is only " + segment.maxByteAlignment()
                    + "-byte aligned but " + dtype + " needs " + dtype.byteSize() + " (address " + segment.address() + ")");
        }
        long capacity = segment.byteSize() / dtype.byteSize();
        if (offset < 0 || offset > capacity) {
            throw new IllegalArgumentException("wrap: offset " + offset + " is outside the segment of " + capacity
                    + " " + dtype + " elements (" + segment.byteSize() + " bytes)");
        }
        if (n > capacity - offset) {
            throw new IllegalArgumentException("wrap: shape " + Arrays.toString(s) + " needs " + bytes + " bytes"
                    + (offset == 0 ? "" : " from element " + offset) + " but the segment has "
                    + (offset == 0 ? segment.byteSize() : (capacity - offset) * dtype.byteSize() + " left of " + segment.byteSize()));
        }
        return new Tensor(dtype, s, contiguousStrides(s), offset, segment, null);
    }

    /**
     * Wraps a direct {@link FloatBuffer}, from its position to its limit, without copying. The buffer
     * must be in the native byte order: {@code ByteBuffer.allocateDirect(n).asFloatBuffer()} is
     * big-endian by default, so write {@code ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder())
     * .asFloatBuffer()}. Heap buffers are rejected: wrap their array with {@link #of(float[], long...)}.
     */
    public static Tensor wrap(FloatBuffer buffer, long... shape) {
        if (buffer == null) throw new IllegalArgumentException("wrap: buffer is null");
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("wrap: FloatBuffer is not direct; wrap its array with "
                    + "Tensor.of(buffer.array(), shape) or copy it into a direct buffer");
        }
        if (buffer.order() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("wrap: FloatBuffer is " + buffer.order() + " but tensors use the native order "
                    + ByteOrder.nativeOrder() + "; create it with ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder()).asFloatBuffer()");
        }
        return wrap(MemorySegment.ofBuffer(buffer), 0, DType.F32, shape);
    }

    private static long[] checkShape(String op, long[] shape) {
        Objects.requireNonNull(shape, "shape");
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException(op + ": negative dim in shape " + Arrays.toString(shape));
        }
        return shape.clone();
    }

    static long[] contiguousStrides(long[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return st;
    }

    // ---------------------------------------------------------------- accessors

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long[] strides() {
        return strides.clone();
    }

    /** Offset of element [0, ..., 0] in elements from the start of {@link #segment()}. */
    public long offset() {
        return offset;
    }

    public MemorySegment segment() {
        return segment;
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[normalizeDim("dim", i)];
    }

    public long numel() {
        return numel;
    }

    /** The arena this tensor's storage came from, when tensorlane allocated it. */
    public Optional<Arena> arena() {
        return Optional.ofNullable(arena);
    }

    /**
     * Row-major contiguous (dims of size 1 may have any stride). A tensor with no elements touches no
     * memory and counts as contiguous.
     */
    public boolean isContiguous() {
        if (numel == 0) return true;
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != s) return false;
            s *= shape[i];
        }
        return true;
    }

    /** The shape as text, e.g. {@code [8, 3, 32, 32]}, for messages. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    int normalizeDim(String op, int d) {
        int r = shape.length;
        int nd = d < 0 ? d + r : d;
        if (nd < 0 || nd >= r) {
            throw new IllegalArgumentException(op + ": dim " + d + " out of range for x=" + compact(shape));
        }
        return nd;
    }

    static String compact(long[] shape) {
        return Arrays.toString(shape).replace(" ", "");
    }

    // ---------------------------------------------------------------- views

    /** A view with a new shape; contiguous tensors only. One dim may be -1 (inferred). */
    public Tensor reshape(long... newShape) {
        long[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Arrays.toString(newShape));
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("reshape: negative dim in " + Arrays.toString(newShape));
            } else {
                known = Checks.multiply("reshape", "shape " + Arrays.toString(newShape), known, s[i]);
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException("reshape: cannot infer -1 in " + Arrays.toString(newShape)
                        + " for a tensor " + shapeString() + " of " + numel + " elements");
            }
            s[infer] = numel / known;
            known = numel;
        }
        if (known != numel) {
            throw new IllegalArgumentException("reshape: shape " + Arrays.toString(newShape) + " holds " + known
                    + " elements but the tensor " + shapeString() + " has " + numel);
        }
        if (!isContiguous()) {
            throw new IllegalArgumentException("reshape: tensor " + shapeString() + " with strides "
                    + Arrays.toString(strides) + " is not contiguous; call contiguous() first");
        }
        return new Tensor(dtype, s, contiguousStrides(s), offset, segment, arena);
    }

    /** Elements {@code from <= i < to} along {@code dim}; shares storage. */
    public Tensor slice(int dim, long from, long to) {
        int d = normalizeDim("slice", dim);
        if (from < 0 || to < from || to > shape[d]) {
            throw new IllegalArgumentException("slice: range [" + from + ", " + to + ") is outside dim " + dim
                    + " of size " + shape[d] + " (x=" + compact(shape) + ")");
        }
        long[] s = shape.clone();
        s[d] = to - from;
        return new Tensor(dtype, s, strides.clone(), offset + from * strides[d], segment, arena);
    }

    /** Swaps two dims; shares storage. */
    public Tensor transpose(int d0, int d1) {
        int a = normalizeDim("transpose", d0), b = normalizeDim("transpose", d1);
        int[] order = new int[shape.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        order[a] = b;
        order[b] = a;
        return permute(order);
    }

    /** Reorders dims: result dim i is this tensor's dim {@code order[i]}; shares storage. */
    public Tensor permute(int... order) {
        if (order.length != shape.length) {
            throw new IllegalArgumentException("permute: order " + Arrays.toString(order) + " has " + order.length
                    + " dims but x=" + compact(shape) + " has " + shape.length);
        }
        boolean[] seen = new boolean[shape.length];
        long[] s = new long[shape.length], st = new long[shape.length];
        for (int i = 0; i < order.length; i++) {
            int o = order[i] < 0 ? order[i] + shape.length : order[i];
            if (o < 0 || o >= shape.length || seen[o]) {
                throw new IllegalArgumentException("permute: order " + Arrays.toString(order)
                        + " is not a permutation of the dims of x=" + compact(shape));
            }
            seen[o] = true;
            s[i] = shape[o];
            st[i] = strides[o];
        }
        return new Tensor(dtype, s, st, offset, segment, arena);
    }

    /** This tensor when contiguous, else a contiguous copy (in this tensor's arena, or on the heap). */
    public Tensor contiguous() {
        if (isContiguous()) return this;
        Tensor out = allocateLike(this, dtype, shape);
        copyStrided(this, out);
        return out;
    }

    /** A new contiguous tensor for a result "like" {@code ref}: in its arena, else on the heap. */
    static Tensor allocateLike(Tensor ref, DType dtype, long... shape) {
        if (ref.arena != null) return allocate(ref.arena, dtype, shape);
        long n = Checks.numel("allocate", "shape", shape);
        if (n > MAX_ARRAY) {
            throw new IllegalArgumentException("allocate: a heap result of " + n + " elements " + Arrays.toString(shape)
                    + " exceeds a Java array; allocate the inputs from an Arena");
        }
        return dtype == DType.F32 ? of(new float[(int) n], shape) : ofInts(new int[(int) n], shape);
    }

    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /**
     * Temporary zero-filled native storage for an op (a contiguous copy of a strided or heap input, a transposed
     * intermediate, a stand-in for a heap output): never a heap array (kernels must not see heap segments,
     * see the class comment), garbage-collected rather than taken from a caller's arena (where it would pile
     * up until the arena closes), and readable by any thread (a confined arena's memory is not). Taken from
     * this thread's {@link #STAGING} buffers when one is free and big enough: a fresh native allocation
     * faults in new pages, which measured ~1 ms per 256 KiB in this VM (a heap array: ~25 us).
     */
    static Tensor scratch(DType dtype, long... shape) {
        long[] s = checkShape("allocate", shape);
        long n = Checks.numel("allocate", "shape " + Arrays.toString(s), s);
        long bytes = Math.max(1, Checks.multiply("allocate", "byte size of shape " + Arrays.toString(s), n, dtype.byteSize()));
        java.util.ArrayDeque<MemorySegment> free = STAGING.get();
        for (java.util.Iterator<MemorySegment> it = free.iterator(); it.hasNext(); ) {
            MemorySegment seg = it.next();
            if (seg.byteSize() >= bytes && seg.byteSize() <= 2 * bytes + 4096) {
                it.remove();
                // zeroed like a fresh allocation: some kernels add into their output (col2im, scatters)
                seg.fill((byte) 0);
                return new Tensor(dtype, s, contiguousStrides(s), 0, seg, null, true);
            }
        }
        return new Tensor(dtype, s, contiguousStrides(s), 0, Arena.ofAuto().allocate(bytes, ALIGNMENT), null, true);
    }

    /**
     * Free {@link #scratch} buffers of this thread, most recently released first: at most {@link #STAGING_KEEP}
     * of them and {@link #STAGING_MAX_BYTES} in all (larger ones are left to the garbage collector), so that
     * a thread that once staged huge tensors does not hold their memory for good.
     */
    private static final ThreadLocal<java.util.ArrayDeque<MemorySegment>> STAGING =
            ThreadLocal.withInitial(java.util.ArrayDeque::new);
    private static final int STAGING_KEEP = 8;
    private static final long STAGING_MAX_BYTES = 64L << 20;

    /**
     * Hands {@code copy} back for reuse by later ops on this thread when it is a {@link #scratch} copy made
     * from {@code original} by this op ({@link #contiguousScratch}, {@link #scratch}); nothing when it is the
     * original itself (which may be another op's scratch, still in use there). An op calls it on its own
     * copies as it returns, when nothing refers to them any more.
     */
    static void releaseCopy(Tensor original, Tensor copy) {
        if (copy == null || copy == original || !copy.scratch || copy.segment.byteSize() > STAGING_MAX_BYTES) return;
        java.util.ArrayDeque<MemorySegment> free = STAGING.get();
        long total = copy.segment.byteSize();
        for (MemorySegment seg : free) {
            if (seg == copy.segment) return; // released twice: keep one entry
            total += seg.byteSize();
        }
        free.addFirst(copy.segment);
        while (free.size() > STAGING_KEEP || total > STAGING_MAX_BYTES) total -= free.removeLast().byteSize();
    }

    /**
     * This tensor when contiguous and native, else a contiguous native {@link #scratch} copy: what an op hands
     * to a kernel as an input (a heap segment would slow every vector loop of the JVM, see the class comment).
     */
    Tensor contiguousScratch() {
        if (isContiguous() && segment.isNative()) return this;
        Tensor out = scratch(dtype, shape);
        copyStrided(this, out);
        return out;
    }

    /**
     * Where an op's kernel writes this (contiguous) output: this tensor when native, else a native {@link #scratch}
     * stand-in of the same shape, zero-filled for {@code readsOld == false} (as a fresh output) and a copy of this
     * one otherwise (an output the kernel also reads, as axpy's y). {@link #copyBack} then moves the result here.
     */
    Tensor nativeOutput(boolean readsOld) {
        if (segment.isNative()) return this;
        Tensor t = scratch(dtype, shape);
        if (readsOld) copyStrided(this, t);
        return t;
    }

    /** The result of a {@link #nativeOutput} stand-in, copied into this tensor and the stand-in released. */
    void copyBack(Tensor standIn) {
        if (standIn == this) return;
        copyStrided(standIn, this);
        releaseCopy(this, standIn);
    }

    /** {@link #copyBack} for pairs (output, its stand-in); a null output is skipped. */
    static void copyBackAll(Tensor... pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i] != null) pairs[i].copyBack(pairs[i + 1]);
        }
    }

    /** {@link #releaseCopy} for pairs (input, what the kernels read). */
    static void releaseCopies(Tensor... pairs) {
        for (int i = 0; i < pairs.length; i += 2) releaseCopy(pairs[i], pairs[i + 1]);
    }

    /** Copies element by element in row-major order of {@code src}'s shape into contiguous {@code dst}. */
    static void copyStrided(Tensor src, Tensor dst) {
        long n = src.numel;
        if (n == 0) return;
        int r = src.rank();
        long elem = src.dtype.byteSize();
        if (r == 0 || src.isContiguous()) { // one run of numel elements
            MemorySegment.copy(src.segment, src.offset * elem, dst.segment, dst.offset * elem, n * elem);
            return;
        }
        long inner = src.shape[r - 1];
        long innerStride = src.strides[r - 1];
        long[] idx = new long[r];
        long dstPos = dst.offset;
        long rows = n / inner;
        for (long row = 0; row < rows; row++) {
            long base = src.offset;
            for (int i = 0; i < r - 1; i++) base += idx[i] * src.strides[i];
            if (innerStride == 1) {
                MemorySegment.copy(src.segment, base * elem, dst.segment, dstPos * elem, inner * elem);
            } else if (src.dtype == DType.F32) {
                for (long j = 0; j < inner; j++) {
                    dst.segment.setAtIndex(JAVA_FLOAT, dstPos + j, src.segment.getAtIndex(JAVA_FLOAT, base + j * innerStride));
                }
            } else {
                for (long j = 0; j < inner; j++) {
                    dst.segment.setAtIndex(JAVA_INT, dstPos + j, src.segment.getAtIndex(JAVA_INT, base + j * innerStride));
                }
            }
            dstPos += inner;
            for (int i = r - 2; i >= 0; i--) {
                if (++idx[i] < src.shape[i]) break;
                idx[i] = 0;
            }
        }
    }

    // ---------------------------------------------------------------- element access

    private long index(long... idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("index: " + idx.length + " indices for x=" + compact(shape));
        }
        long e = offset;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " out of bounds for x=" + compact(shape));
            }
            e += idx[i] * strides[i];
        }
        return e;
    }

    private void requireType(String op, DType t) {
        if (dtype != t) throw new IllegalArgumentException(op + ": tensor is " + dtype + ", not " + t + " (x=" + compact(shape) + ")");
    }

    public float getFloat(long... idx) {
        requireType("getFloat", DType.F32);
        return segment.getAtIndex(JAVA_FLOAT, index(idx));
    }

    public void setFloat(float v, long... idx) {
        requireType("setFloat", DType.F32);
        segment.setAtIndex(JAVA_FLOAT, index(idx), v);
    }

    public int getInt(long... idx) {
        requireType("getInt", DType.I32);
        return segment.getAtIndex(JAVA_INT, index(idx));
    }

    public void setInt(int v, long... idx) {
        requireType("setInt", DType.I32);
        segment.setAtIndex(JAVA_INT, index(idx), v);
    }

    /** The elements in row-major order (a copy). */
    public float[] toFloatArray() {
        requireType("toFloatArray", DType.F32);
        if (numel > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("toFloatArray: " + numel + " elements exceed a Java array");
        float[] out = new float[(int) numel];
        copyStrided(this, of(out, shape));
        return out;
    }

    /** The elements in row-major order (a copy). */
    public int[] toIntArray() {
        requireType("toIntArray", DType.I32);
        if (numel > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("toIntArray: " + numel + " elements exceed a Java array");
        int[] out = new int[(int) numel];
        copyStrided(this, ofInts(out, shape));
        return out;
    }

    /** e.g. {@code Tensor[F32 [2, 3] 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]} (at most 8 values). */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Tensor[").append(dtype).append(' ').append(shapeString());
        if (!segment.scope().isAlive()) return b.append(" (memory freed)]").toString();
        if (!segment.isAccessibleBy(Thread.currentThread())) return b.append(" (confined to another thread)]").toString();
        long show = Math.min(numel, 8);
        long[] idx = new long[shape.length];
        for (long k = 0; k < show; k++) {
            b.append(k == 0 ? " " : ", ");
            long e = offset;
            for (int i = 0; i < idx.length; i++) e += idx[i] * strides[i];
            if (dtype == DType.F32) b.append(segment.getAtIndex(JAVA_FLOAT, e));
            else b.append(segment.getAtIndex(JAVA_INT, e));
            for (int i = idx.length - 1; i >= 0; i--) {
                if (++idx[i] < shape[i]) break;
                idx[i] = 0;
            }
        }
        if (numel > show) b.append(", ...");
        return b.append(']').toString();
    }
}

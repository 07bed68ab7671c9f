package io.tensorlane.layers;

import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;

/**
 * The buffers a layer reuses from one call to the next: numbered slots, each holding one contiguous
 * tensor that is kept while the requested shape stays the same and reallocated (through
 * {@link Ops#allocate}, GC-managed) when it changes. Training calls a layer with the same batch shape
 * step after step, so after the first step a layer allocates nothing.
 *
 * <p>A slot's previous contents are <em>not</em> cleared by {@link #get}: use it for outputs the
 * {@code Ops} call overwrites, and {@link #zeros} where the computation accumulates.
 */
public final class Workspace {
    private Tensor[] slots = new Tensor[4];

    /** A contiguous F32 tensor of {@code shape} for slot {@code slot}, reused when the shape is unchanged. */
    public Tensor get(Ops ops, int slot, long... shape) {
        return get(ops, slot, DType.F32, shape);
    }

    /** As {@link #get(Ops, int, long...)} for any dtype (e.g. I32 pooling indices). */
    public Tensor get(Ops ops, int slot, DType dtype, long... shape) {
        if (slot < 0) throw new IllegalArgumentException("workspace: slot must be >= 0, got " + slot);
        if (slot >= slots.length) slots = Arrays.copyOf(slots, Math.max(slot + 1, 2 * slots.length));
        Tensor t = slots[slot];
        if (t == null || t.dtype() != dtype || !Arrays.equals(t.shape(), shape)) {
            t = ops.allocate(Arena.ofAuto(), dtype, shape);
            slots[slot] = t;
        }
        return t;
    }

    /** {@link #get(Ops, int, long...)} filled with zeros. */
    public Tensor zeros(Ops ops, int slot, long... shape) {
        Tensor t = get(ops, slot, shape);
        ops.fill(t, 0f);
        return t;
    }

    /** Drops every buffer (the next calls allocate again). */
    public void clear() {
        Arrays.fill(slots, null);
    }
}

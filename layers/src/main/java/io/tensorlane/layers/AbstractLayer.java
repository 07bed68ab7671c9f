package io.tensorlane.layers;

import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;

/**
 * A layer that keeps its {@link Ops} (the CPU by default), reuses its output and gradient buffers
 * across calls of the same shape ({@link #buffer}), and formats shape errors the same way.
 */
public abstract class AbstractLayer implements Layer {
    private static final Ops CPU = Ops.on(Device.cpu());

    protected Ops ops = CPU;

    /** Whether backward must return the input gradient (see {@link Layer#setInputGradient}). */
    protected boolean inputGradient = true;

    @Override
    public void setInputGradient(boolean needed) {
        this.inputGradient = needed;
    }

    /** Reused buffers (outputs, input gradients, scratch), by slot; see {@link Workspace}. */
    protected final Workspace workspace = new Workspace();

    /** Slot {@code slot} of {@link #workspace}: a contiguous F32 tensor of {@code shape}, contents unspecified. */
    protected Tensor buffer(int slot, long... shape) {
        return workspace.get(ops, slot, shape);
    }

    @Override
    public void setOps(Ops ops) {
        this.ops = java.util.Objects.requireNonNull(ops, "ops");
        workspace.clear(); // buffers belong to the device of the previous ops
    }

    /** Throws {@code "<type>: <message>"}. */
    protected IllegalArgumentException error(String message) {
        return new IllegalArgumentException(type() + ": " + message);
    }

    /** Throws unless {@code in} has rank {@code rank} (describing the expected layout). */
    protected void requireRank(long[] in, int rank, String layout) {
        if (in.length != rank) {
            throw error("input must be " + layout + ", got " + Arrays.toString(in));
        }
    }

    /** Throws before a backward that has no forward to refer to. */
    protected void requireForward(Object saved) {
        if (saved == null) throw error("backward called before forward");
    }

    @Override
    public String toString() {
        return type() + config();
    }
}

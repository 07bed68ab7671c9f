package io.tensorlane.layers;

import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;
import java.util.Arrays;

/** A layer that keeps its {@link Ops} (the CPU by default) and formats shape errors the same way. */
public abstract class AbstractLayer implements Layer {
    private static final Ops CPU = Ops.on(Device.cpu());

    protected Ops ops = CPU;

    @Override
    public void setOps(Ops ops) {
        this.ops = java.util.Objects.requireNonNull(ops, "ops");
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

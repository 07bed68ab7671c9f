package io.tensorlane.layers.loss;

import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;

/** A loss computing with an {@link Ops} (the CPU by default). */
abstract class OpsLoss implements Loss {
    private static final Ops CPU = Ops.on(Device.cpu());

    protected Ops ops = CPU;

    @Override
    public void setOps(Ops ops) {
        this.ops = java.util.Objects.requireNonNull(ops, "ops");
    }

    @Override
    public String toString() {
        return type();
    }
}

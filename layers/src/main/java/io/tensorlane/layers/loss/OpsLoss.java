package io.tensorlane.layers.loss;

import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;

/** A loss computing with an {@link Ops} (the CPU by default). */
abstract class OpsLoss implements Loss {
    private static final Ops CPU = Ops.on(Device.cpu());

    protected Ops ops = CPU;

    private final io.tensorlane.layers.Workspace workspace = new io.tensorlane.layers.Workspace();

    @Override
    public void setOps(Ops ops) {
        this.ops = java.util.Objects.requireNonNull(ops, "ops");
        workspace.clear();
    }

    /**
     * The gradient buffer for scores shaped like {@code scores}, reused while the shape stays (the
     * returned {@code LossResult.grad()} is overwritten by the next forward of that shape).
     */
    protected io.tensorlane.runtime.Tensor gradBuffer(io.tensorlane.runtime.Tensor scores) {
        return workspace.get(ops, 0, scores.shape());
    }

    @Override
    public String toString() {
        return type();
    }
}

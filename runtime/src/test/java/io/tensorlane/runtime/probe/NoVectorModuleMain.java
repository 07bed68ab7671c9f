package io.tensorlane.runtime.probe;

import io.tensorlane.kernels.Impl;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Memory;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.lang.foreign.Arena;

/**
 * Run in a forked JVM by DeviceAndMemoryTest, usually without {@code --add-modules
 * jdk.incubator.vector}: prints what the runtime chose, computes a softmax, and (with
 * -Dtensorlane.debugLeaks=true) leaves an arena open so that the exit report can be checked.
 */
public final class NoVectorModuleMain {
    /** Reachable until exit, so that only the exit report (not the GC) can notice it. */
    static Arena leaked;

    public static void main(String[] args) {
        Device cpu = Device.cpu();
        System.out.println("device=" + cpu.name() + " impl=" + cpu.kernels().impl());
        try {
            Device.cpu(Impl.SIMD);
            System.out.println("simd=available");
        } catch (IllegalStateException e) {
            System.out.println("simd=refused: " + e.getMessage());
        }
        Tensor p = Ops.on(cpu).softmax(Tensor.of(new float[] {0f, (float) Math.log(3)}, 1, 2));
        boolean ok = Math.abs(p.getFloat(0, 0) - 0.25f) < 1e-6 && Math.abs(p.getFloat(0, 1) - 0.75f) < 1e-6;
        if (Memory.trackingEnabled()) {
            leaked = Memory.arena();
            Tensor.allocate(leaked, DType.F32, 16);
        }
        System.out.println(ok ? "RESULT OK" : "RESULT WRONG " + p);
        System.exit(ok ? 0 : 1);
    }
}

package io.tensorlane.bench.harness;

import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** The implementations a bench family times side by side: the scalar twins, then SIMD where it is available. */
public final class CpuImpls {
    private CpuImpls() {
    }

    /** Scalar first (its results are the reference), then SIMD; says on {@code out} why SIMD is missing. */
    public static List<Ops> scalarAndSimd(Parallelism par, PrintWriter out) {
        List<Ops> impls = new ArrayList<>(List.of(Ops.on(Device.cpu(Impl.SCALAR)).with(par)));
        if (Kernels.simdAvailable()) {
            impls.add(Ops.on(Device.cpu(Impl.SIMD)).with(par));
        } else {
            out.println("(SIMD unavailable, timing the scalar kernels only: " + Kernels.simdUnavailableReason().orElse("?") + ")");
        }
        return impls;
    }
}

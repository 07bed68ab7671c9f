package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.KernelSet;

/** The scalar reference twins: portable fallback and test oracle for every SIMD kernel. */
public final class ScalarKernels {
    private ScalarKernels() {
    }

    public static KernelSet create() {
        return new KernelSet(Impl.SCALAR, "scalar",
                new ScalarElementwise(),
                new ScalarActivations(),
                new ScalarSoftmax(),
                new ScalarReductions(),
                new ScalarLosses(),
                new ScalarGemm(),
                new ScalarConv(),
                new ScalarNorm(),
                new ScalarOptimizers(),
                new ScalarRecurrent(),
                new ScalarDetection(),
                new ScalarPool());
    }
}

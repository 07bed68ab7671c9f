package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.KernelSet;

/**
 * The Vector API kernels on {@link VectorWidth#FLOAT}. Loaded reflectively by {@code Kernels} only
 * after it has checked that {@code jdk.incubator.vector} is readable.
 */
public final class SimdKernels {
    private SimdKernels() {
    }

    public static KernelSet create() {
        return new KernelSet(Impl.SIMD, VectorWidth.describe(),
                new VectorElementwise(),
                new VectorActivations(),
                new VectorSoftmax(),
                new VectorReductions(),
                new VectorLosses(),
                new VectorGemm());
    }
}

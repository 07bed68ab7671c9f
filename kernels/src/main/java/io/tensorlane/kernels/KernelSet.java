package io.tensorlane.kernels;

import java.util.Objects;

/**
 * One complete implementation of every kernel family. {@link Kernels#get()} returns the selected
 * one; {@link Kernels#get(Impl)} a specific one (tests compare SIMD against the scalar twin, the
 * bench times both in one process).
 *
 * <p>The family interfaces are unchecked: callers pass validated arguments. The public static entry
 * points ({@link Elementwise}, {@link Activations}, ...) and the runtime's {@code Ops} validate first.
 */
public record KernelSet(
        Impl impl,
        String species,
        ElementwiseKernels elementwise,
        ActivationKernels activations,
        SoftmaxKernels softmax,
        ReductionKernels reductions,
        LossKernels losses,
        GemmKernels gemm,
        ConvKernels conv,
        NormKernels norm,
        OptimizerKernels optim,
        RecurrentKernels recurrent,
        DetectionKernels detection,
        PoolKernels pool) {

    public KernelSet {
        Objects.requireNonNull(impl, "impl");
        Objects.requireNonNull(species, "species");
        Objects.requireNonNull(elementwise, "elementwise");
        Objects.requireNonNull(activations, "activations");
        Objects.requireNonNull(softmax, "softmax");
        Objects.requireNonNull(reductions, "reductions");
        Objects.requireNonNull(losses, "losses");
        Objects.requireNonNull(gemm, "gemm");
        Objects.requireNonNull(conv, "conv");
        Objects.requireNonNull(norm, "norm");
        Objects.requireNonNull(optim, "optim");
        Objects.requireNonNull(recurrent, "recurrent");
        Objects.requireNonNull(detection, "detection");
        Objects.requireNonNull(pool, "pool");
    }
}

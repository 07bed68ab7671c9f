package io.tensorlane.runtime;

import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.KernelSet;
import io.tensorlane.kernels.Kernels;

/**
 * Where ops run. For now the CPU, with the kernel implementation selected for this JVM
 * ({@link #cpu()}) or a specific one ({@link #cpu(Impl)}, for comparisons and {@code verify --impl}).
 */
public final class Device {
    private final String name;
    private final KernelSet kernels;

    private Device(String name, KernelSet kernels) {
        this.name = name;
        this.kernels = kernels;
    }

    /** The CPU with the kernels {@link Kernels#get()} selected (SIMD when available). */
    public static Device cpu() {
        return new Device("cpu", Kernels.get());
    }

    /**
     * The CPU with a specific kernel implementation.
     *
     * @throws IllegalStateException for {@link Impl#SIMD} when the Vector API is not available, saying why
     */
    public static Device cpu(Impl impl) {
        return new Device("cpu:" + impl.name().toLowerCase(java.util.Locale.ROOT), Kernels.get(impl));
    }

    /** A device over a given kernel set (tests: a set that checks what the kernels are handed). */
    static Device of(String name, KernelSet kernels) {
        return new Device(name, java.util.Objects.requireNonNull(kernels, "kernels"));
    }

    /** e.g. {@code cpu}, {@code cpu:scalar}. */
    public String name() {
        return name;
    }

    public KernelSet kernels() {
        return kernels;
    }

    @Override
    public String toString() {
        return name + " [" + kernels.impl().name().toLowerCase(java.util.Locale.ROOT) + ", " + kernels.species() + "]";
    }
}

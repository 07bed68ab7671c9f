package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.KernelSet;

/**
 * The Vector API kernels on {@link VectorWidth#FLOAT}. Loaded reflectively by {@code Kernels} only
 * after it has checked that {@code jdk.incubator.vector} is readable.
 *
 * <p>Performance notes that shape this package (JDK 25, measured):
 * <ul>
 *   <li>Heap ({@code MemorySegment.ofArray}) and native segments both work, but a JVM that passes both
 *   kinds through the same kernel gets slower code for both (the JIT's type profile of the segment
 *   becomes polymorphic; 2x for sigmoid/relu, far worse in tight loops). Keep hot data off-heap.</li>
 *   <li>No {@code reinterpretAsInts/Floats} or {@code convert(REINTERPRET_*)}: they pollute shared
 *   Vector API profiles and slow every vector loop in the JVM 4-10x (see {@code VectorMath}).</li>
 *   <li>No helper methods that take or return vectors unless C2 certainly inlines them; a loop with
 *   too many vector operations exceeds C2's inlining node budget and its vectors get boxed. Big
 *   kernels are split into several loops (see {@code VectorActivations#tanh}).</li>
 * </ul>
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
                new VectorGemm(),
                new VectorConv(),
                new VectorNorm(),
                new VectorOptimizers(),
                new VectorRecurrent(),
                new VectorDetection(),
                new VectorPool());
    }
}

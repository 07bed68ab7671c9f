/**
 * tensorlane kernels: plain static compute functions over {@link java.lang.foreign.MemorySegment}s,
 * offsets and dims (BLAS style), each with a scalar reference twin and a Vector API version.
 *
 * <p>The Vector API is optional ({@code requires static}): without {@code --add-modules
 * jdk.incubator.vector} the library still loads and runs its scalar kernels.
 */
module io.tensorlane.kernels {
    requires static jdk.incubator.vector;

    exports io.tensorlane.kernels;
}

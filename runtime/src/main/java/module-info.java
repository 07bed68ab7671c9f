/**
 * tensorlane runtime: off-heap {@link io.tensorlane.runtime.Tensor}s with strided views, devices, and
 * the {@link io.tensorlane.runtime.Ops} facade that validates and dispatches every op to a device's
 * kernels. Re-exports the kernels API ({@code Parallelism}, {@code Impl}, ...).
 */
module io.tensorlane.runtime {
    requires transitive io.tensorlane.kernels;

    exports io.tensorlane.runtime;
}

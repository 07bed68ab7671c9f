package io.tensorlane.kernels;

/** The body of a {@link Parallelism#parallelFor}: processes the half-open index range [from, to). */
@FunctionalInterface
public interface RangeBody {
    void run(long from, long to);
}

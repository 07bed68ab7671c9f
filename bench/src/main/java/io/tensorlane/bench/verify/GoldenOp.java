package io.tensorlane.bench.verify;

import io.tensorlane.runtime.Ops;

/**
 * Runs the golden cases of one op through the public API and checks every output and grad.
 * Add an op to {@code verify} by writing one implementation and listing it in {@link GoldenOps}.
 */
public interface GoldenOp {
    /** The {@code op} field of the case files this handles. */
    String name();

    /** Runs the case on {@code ops}, reporting each output/grad to {@code check}. */
    void run(GoldenCase c, Ops ops, Checker check);
}

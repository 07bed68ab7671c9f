package io.tensorlane.runtime;

/**
 * The result of a seeded dropout forward.
 *
 * @param out  x * mask / (1 - p), the shape of x
 * @param mask 1f where x was kept, 0f where dropped; the shape of x (pass it to {@code Ops.dropoutBackward})
 */
public record DropoutResult(Tensor out, Tensor mask) {
}

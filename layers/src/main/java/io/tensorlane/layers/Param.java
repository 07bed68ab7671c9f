package io.tensorlane.layers;

import io.tensorlane.runtime.DType;
import java.lang.foreign.Arena;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * A learnable parameter: its value and the gradient of the loss with respect to it, of the same
 * shape (Caffe's blob data and diff). Layers accumulate into {@link #grad()} during backward;
 * optimizers read it and update {@link #value()} in place; {@link #zeroGrad()} starts a new step.
 */
public final class Param {
    private final String name;
    private final Tensor value;
    private final Tensor grad;

    /**
     * @param name  a name unique within its layer, e.g. {@code "weight"}
     * @param value the value tensor (F32, contiguous)
     * @param grad  the gradient tensor: F32, contiguous, same shape as {@code value}
     */
    public Param(String name, Tensor value, Tensor grad) {
        this.name = Objects.requireNonNull(name, "name");
        this.value = Objects.requireNonNull(value, "value");
        this.grad = Objects.requireNonNull(grad, "grad");
        if (value.dtype() != DType.F32 || grad.dtype() != DType.F32) {
            throw new IllegalArgumentException("param " + name + ": value and grad must be F32 (value "
                    + value.dtype() + ", grad " + grad.dtype() + ")");
        }
        if (!Arrays.equals(value.shape(), grad.shape())) {
            throw new IllegalArgumentException("param " + name + ": grad has shape "
                    + Arrays.toString(grad.shape()) + " but value has " + Arrays.toString(value.shape()));
        }
        if (!value.isContiguous() || !grad.isContiguous()) {
            throw new IllegalArgumentException("param " + name + ": value and grad must be contiguous");
        }
    }

    /** A parameter with the given value and a zero gradient (off-heap, aligned). */
    public static Param of(String name, Tensor value) {
        return new Param(name, value, Tensor.allocate(Arena.ofAuto(), DType.F32, value.shape()));
    }

    /**
     * A parameter of {@code shape} whose value and gradient are zero, both off-heap and 64-byte
     * aligned (the SIMD kernels read aligned native memory fastest), freed by the GC.
     */
    public static Param zeros(String name, long... shape) {
        return new Param(name, Tensor.allocate(Arena.ofAuto(), DType.F32, shape), Tensor.allocate(Arena.ofAuto(), DType.F32, shape));
    }

    public String name() { return name; }

    public Tensor value() { return value; }

    public Tensor grad() { return grad; }

    public long numel() { return value.numel(); }

    /** Sets every gradient element to zero. */
    public void zeroGrad() {
        grad.segment().asSlice(grad.offset() * 4, grad.numel() * 4).fill((byte) 0);
    }

    @Override
    public String toString() {
        return "Param[" + name + " " + Arrays.toString(value.shape()) + "]";
    }
}

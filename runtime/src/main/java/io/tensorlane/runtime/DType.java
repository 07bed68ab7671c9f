package io.tensorlane.runtime;

import java.lang.foreign.ValueLayout;

/** Element types of a {@link Tensor}. */
public enum DType {
    /** IEEE float32: activations, weights, gradients. */
    F32(ValueLayout.JAVA_FLOAT),
    /** int32: labels, indices. */
    I32(ValueLayout.JAVA_INT);

    private final ValueLayout layout;

    DType(ValueLayout layout) {
        this.layout = layout;
    }

    /** Bytes per element. */
    public int byteSize() {
        return (int) layout.byteSize();
    }

    public ValueLayout layout() {
        return layout;
    }
}

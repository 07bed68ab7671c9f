package io.tensorlane.kernels;

/** Whether a GEMM operand is used as stored ({@code N}) or transposed ({@code T}). */
public enum Trans {
    N, T;

    public boolean transposed() {
        return this == T;
    }

    public static Trans of(boolean transposed) {
        return transposed ? T : N;
    }
}

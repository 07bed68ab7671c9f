package io.tensorlane.kernels;

/** Which kernel implementation runs an op. */
public enum Impl {
    /** Portable scalar Java: the fallback and the test oracle ("reference twin"). */
    SCALAR,
    /** {@code jdk.incubator.vector} SIMD kernels on the selected species. */
    SIMD;

    /** Parses {@code scalar|simd} (case-insensitive); anything else is rejected with the valid values. */
    public static Impl parse(String name) {
        for (Impl i : values()) {
            if (i.name().equalsIgnoreCase(name.trim())) return i;
        }
        throw new IllegalArgumentException("unknown kernel implementation '" + name + "' (valid: scalar, simd)");
    }
}

package io.tensorlane.kernels.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float species every SIMD kernel uses: the CPU's preferred width, capped by
 * {@code -Dtensorlane.vector.maxBits}. Kept in {@code static final} fields so the JIT treats it
 * as a constant (vectors themselves only ever live in locals).
 */
public final class VectorWidth {
    /** The float species of every SIMD kernel. */
    public static final VectorSpecies<Float> FLOAT = selectFloat();
    /** The int species with the same lane count as {@link #FLOAT} (for indices and masks). */
    public static final VectorSpecies<Integer> INT = IntVector.SPECIES_PREFERRED.vectorBitSize() == FLOAT.vectorBitSize()
            ? IntVector.SPECIES_PREFERRED
            : VectorSpecies.of(int.class, VectorShape.forBitSize(FLOAT.vectorBitSize()));

    /**
     * Testing only: {@code -Dtensorlane.vector.forceBits=128|256|512} selects that width even where the CPU's
     * is narrower. The Vector API then runs the wider vectors in plain Java (correct, but tens of times
     * slower), which lets the 16-lane code paths be tested on AVX2-only machines such as CI's.
     */
    public static final String FORCE_BITS_PROPERTY = "tensorlane.vector.forceBits";

    private VectorWidth() {
    }

    private static int bits(String property, String value) {
        int bits;
        try {
            bits = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            bits = -1;
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("-D" + property + "=" + value + " must be 128, 256 or 512");
        }
        return bits;
    }

    private static VectorSpecies<Float> selectFloat() {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        String force = System.getProperty(FORCE_BITS_PROPERTY);
        if (force != null && !force.isBlank()) {
            return VectorSpecies.of(float.class, VectorShape.forBitSize(bits(FORCE_BITS_PROPERTY, force)));
        }
        String cap = System.getProperty("tensorlane.vector.maxBits");
        if (cap == null || cap.isBlank()) return preferred;
        int bits = bits("tensorlane.vector.maxBits", cap);
        if (bits >= preferred.vectorBitSize()) return preferred;
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    /** Bits of the selected species; called reflectively by {@code Kernels} after checking the module. */
    public static int selectedBits() {
        return FLOAT.vectorBitSize();
    }

    /** E.g. {@code FloatVector 256 bits (8 lanes), preferred 256}. */
    public static String describe() {
        return "FloatVector " + FLOAT.vectorBitSize() + " bits (" + FLOAT.length() + " lanes), CPU preferred "
                + FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }
}

package io.tensorlane.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The cap executions in the pom really run at the capped (or, for the 512-bit one, forced) width. */
@Tag("simd")
class VectorCapTest {
    @Test
    void speciesRespectsTheCap() {
        String species = Kernels.get(Impl.SIMD).species();
        int preferred = Integer.parseInt(species.replaceAll(".*CPU preferred (\\d+).*", "$1"));
        int bits = Integer.parseInt(species.replaceAll("FloatVector (\\d+) bits.*", "$1"));
        String cap = System.getProperty(Kernels.MAX_BITS_PROPERTY);
        String force = System.getProperty("tensorlane.vector.forceBits");
        int expected = force != null ? Integer.parseInt(force) : cap == null ? preferred : Math.min(preferred, Integer.parseInt(cap));
        assertTrue(bits == expected, "species " + species + " with cap " + cap + ", forced " + force);
        assertTrue(Kernels.describe().contains("bits"), Kernels.describe());
    }
}

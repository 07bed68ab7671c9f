package io.tensorlane.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The cap executions in the pom really run at the capped width. */
@Tag("simd")
class VectorCapTest {
    @Test
    void speciesRespectsTheCap() {
        String species = Kernels.get(Impl.SIMD).species();
        int preferred = Integer.parseInt(species.replaceAll(".*CPU preferred (\\d+).*", "$1"));
        int bits = Integer.parseInt(species.replaceAll("FloatVector (\\d+) bits.*", "$1"));
        String cap = System.getProperty(Kernels.MAX_BITS_PROPERTY);
        int expected = cap == null ? preferred : Math.min(preferred, Integer.parseInt(cap));
        assertTrue(bits == expected, "species " + species + " with cap " + cap);
        assertTrue(Kernels.describe().contains("bits"), Kernels.describe());
    }
}

package io.tensorlane.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GemmBlockingTest {
    @Test
    void defaultsDeriveFromTheVectorWidth() {
        for (int lanes : new int[] {4, 8, 16}) {
            GemmBlocking b = GemmBlocking.forVectorLanes(lanes);
            assertEquals(2 * lanes, b.nr(), b.toString());
            assertEquals(0, b.mc() % b.mr(), b.toString());
            assertEquals(0, b.nc() % b.nr(), b.toString());
        }
        assertEquals(4, GemmBlocking.forVectorLanes(8).mr());
        assertEquals(8, GemmBlocking.forVectorLanes(16).mr());
    }

    @Test
    void rejectsInconsistentSizes() {
        assertMessage("mc=10 must be a multiple of mr=4", () -> new GemmBlocking(4, 16, 10, 256, 4096));
        assertMessage("nc=100 must be a multiple of nr=16", () -> new GemmBlocking(4, 16, 128, 256, 100));
        assertMessage("kc=0 must be in", () -> new GemmBlocking(4, 16, 128, 0, 4096));
        assertMessage("lanes must be >= 1", () -> GemmBlocking.forVectorLanes(0));
    }

    @Test
    void systemPropertiesOverrideMcKcNc() {
        GemmBlocking base = GemmBlocking.forVectorLanes(8);
        try {
            System.setProperty(GemmBlocking.MC_PROPERTY, "96");
            System.setProperty(GemmBlocking.KC_PROPERTY, "320");
            System.setProperty(GemmBlocking.NC_PROPERTY, "2048");
            assertEquals(new GemmBlocking(4, 16, 96, 320, 2048), base.withSystemOverrides());
            System.setProperty(GemmBlocking.MC_PROPERTY, "98");
            assertMessage("-Dtensorlane.gemm.mc=98 must be a multiple of 4", base::withSystemOverrides);
            System.setProperty(GemmBlocking.MC_PROPERTY, "lots");
            assertMessage("-Dtensorlane.gemm.mc=lots is not an integer", base::withSystemOverrides);
            System.clearProperty(GemmBlocking.MC_PROPERTY);
            System.setProperty(GemmBlocking.KC_PROPERTY, "-5");
            assertMessage("-Dtensorlane.gemm.kc=-5 must be", base::withSystemOverrides);
        } finally {
            System.clearProperty(GemmBlocking.MC_PROPERTY);
            System.clearProperty(GemmBlocking.KC_PROPERTY);
            System.clearProperty(GemmBlocking.NC_PROPERTY);
        }
        assertEquals(base, base.withSystemOverrides());
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(part), ex.getMessage());
    }
}

package io.tensorlane.runtime;

import static org.junit.jupiter.api.Assertions.*;

import io.tensorlane.kernels.Impl;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class DeviceAndMemoryTest {
    @Test
    void devicesNameTheirKernels() {
        assertEquals("cpu", Device.cpu().name());
        assertEquals("cpu:scalar", Device.cpu(Impl.SCALAR).name());
        assertEquals(Impl.SCALAR, Device.cpu(Impl.SCALAR).kernels().impl());
        assertEquals(Impl.SIMD, Device.cpu(Impl.SIMD).kernels().impl());
        assertTrue(Device.cpu(Impl.SIMD).toString().contains("FloatVector"));
    }

    @Test
    void untrackedArenasAreTheJdksOwn() {
        System.clearProperty(Memory.DEBUG_LEAKS_PROPERTY);
        try (Arena a = Memory.arena()) {
            assertTrue(a.getClass().getName().startsWith("jdk."), a.getClass().getName());
        }
    }

    @Test
    void anArenaNeverClosedIsReportedWithItsAllocationSites() throws Exception {
        List<String> reports = new CopyOnWriteArrayList<>();
        Memory.setReporter(reports::add);
        System.setProperty(Memory.DEBUG_LEAKS_PROPERTY, "true");
        try {
            leakOne();
            try (Arena closed = Memory.arena()) {
                Tensor.allocate(closed, DType.F32, 8);
            }
            assertTrue(Memory.openArenas().stream().anyMatch(s -> s.contains("leakOne")), Memory.openArenas().toString());
            for (int i = 0; i < 200 && reports.isEmpty(); i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertEquals(1, reports.size(), reports.toString());
            String r = reports.get(0);
            assertTrue(r.contains("was never closed"), r);
            assertTrue(r.contains("DeviceAndMemoryTest.leakOne"), r);
            assertTrue(r.contains("4096 bytes in 1 allocation(s)"), r);
        } finally {
            System.clearProperty(Memory.DEBUG_LEAKS_PROPERTY);
        }
    }

    private static void leakOne() {
        Arena leaked = Memory.arena();
        Tensor.allocate(leaked, DType.F32, 32, 32);
    }

    @Test
    void trackedAutoArenasListTheirAllocations() {
        System.setProperty(Memory.DEBUG_LEAKS_PROPERTY, "true");
        try {
            Arena auto = Memory.autoArena();
            Tensor t = Tensor.allocate(auto, DType.F32, 10);
            assertTrue(Memory.openArenas().stream().anyMatch(s -> s.contains("40 bytes")), Memory.openArenas().toString());
            assertThrows(UnsupportedOperationException.class, auto::close);
            assertEquals(0f, t.getFloat(3));
        } finally {
            System.clearProperty(Memory.DEBUG_LEAKS_PROPERTY);
        }
    }
}

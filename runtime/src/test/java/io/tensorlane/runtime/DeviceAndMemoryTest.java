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
            Memory.setReporter(null);
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
            Memory.setReporter(null);
        }
    }

    @Test
    void closedTrackedArenasAreNotListedOrReported() {
        List<String> reports = new CopyOnWriteArrayList<>();
        Memory.setReporter(reports::add);
        System.setProperty(Memory.DEBUG_LEAKS_PROPERTY, "true");
        try {
            Arena a = Memory.confinedArena();
            Tensor t = Tensor.allocate(a, DType.I32, 5);
            assertTrue(Memory.openArenas().stream().anyMatch(s -> s.contains("closedTrackedArenasAreNotListedOrReported")
                    && s.contains("20 bytes")), Memory.openArenas().toString());
            a.close();
            assertTrue(Memory.openArenas().stream().noneMatch(s -> s.contains("closedTrackedArenasAreNotListedOrReported")));
            assertThrows(IllegalStateException.class, () -> t.getInt(0), "a tracked arena frees its memory like the JDK's");
            assertTrue(reports.isEmpty(), reports.toString());
        } finally {
            System.clearProperty(Memory.DEBUG_LEAKS_PROPERTY);
            Memory.setReporter(null);
        }
    }

    @Test
    void tensorsFromTheJdksAutoArenaAreListedWhileHeld() throws Exception {
        System.setProperty(Memory.DEBUG_LEAKS_PROPERTY, "true");
        try {
            Tensor held = holdOne();
            assertTrue(Memory.liveTensors().stream().anyMatch(s -> s.contains("F32 [25, 40] (4000 bytes) allocated at")
                    && s.contains("DeviceAndMemoryTest.holdOne")), Memory.liveTensors().toString());
            assertEquals(0f, held.getFloat(3, 3));
            held = null;
            boolean gone = false;
            for (int i = 0; i < 200 && !gone; i++) {
                System.gc();
                Thread.sleep(20);
                gone = Memory.liveTensors().stream().noneMatch(s -> s.contains("DeviceAndMemoryTest.holdOne"));
            }
            assertTrue(gone, "an auto-arena tensor that is no longer referenced is no longer listed");

            try (Arena closed = Arena.ofConfined()) {
                Tensor.allocate(closed, DType.F32, 7);
                assertTrue(Memory.liveTensors().stream().anyMatch(s -> s.contains("F32 [7]")));
            }
            assertTrue(Memory.liveTensors().stream().noneMatch(s -> s.contains("F32 [7]")), "closed arenas hold nothing");
        } finally {
            System.clearProperty(Memory.DEBUG_LEAKS_PROPERTY);
            Memory.setReporter(null);
        }
        Tensor.allocate(Arena.ofAuto(), DType.F32, 3, 3, 3);
        assertTrue(Memory.liveTensors().stream().noneMatch(s -> s.contains("[3, 3, 3]")), "untracked when the property is off");
    }

    private static Tensor holdOne() {
        return Tensor.allocate(Arena.ofAuto(), DType.F32, 25, 40);
    }

    record Run(int exit, String out) {
    }

    private static Run fork(String... jvmArgs) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmArgs));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(io.tensorlane.runtime.probe.NoVectorModuleMain.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "forked JVM did not finish");
        return new Run(p.exitValue(), out);
    }

    @Test
    void withoutTheVectorModuleTheCpuDeviceRunsScalarAndSimdIsRefusedWithTheReason() throws Exception {
        Run r = fork("-Dtensorlane.debugLeaks=true");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("device=cpu impl=SCALAR"), r.out());
        assertTrue(r.out().contains("simd=refused: SIMD kernels unavailable"), r.out());
        assertTrue(r.out().contains("--add-modules jdk.incubator.vector"), r.out());
        assertTrue(r.out().contains("RESULT OK"), r.out());
        // the arena left open is reported at exit, with where it was created and allocated from
        assertTrue(r.out().contains("is still open at JVM exit (64 bytes)"), r.out());
        assertTrue(r.out().contains("NoVectorModuleMain.main"), r.out());
    }
}

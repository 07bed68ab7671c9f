package io.tensorlane.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.probe.ScalarFallbackMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Provider selection, checked in forked JVMs so that each sees a fresh selection. */
class KernelSelectionTest {
    record Run(int exit, String out) {
    }

    private static Run fork(List<String> jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ScalarFallbackMain.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "forked JVM did not finish");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void withoutTheVectorModuleTheScalarKernelsRunAndSayHowToEnableSimd() throws Exception {
        Run r = fork(List.of());
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("RESULT OK"), r.out());
        assertTrue(r.out().contains("describe=scalar"), r.out());
        assertTrue(r.out().contains("--add-modules jdk.incubator.vector"), "the fallback must say how to enable SIMD:\n" + r.out());
    }

    @Test
    void withTheVectorModuleSimdIsSelected() throws Exception {
        Run r = fork(List.of("--add-modules", "jdk.incubator.vector"));
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("describe=simd (FloatVector"), r.out());
    }

    @Test
    void scalarCanBeForcedAndBadValuesAreRejected() throws Exception {
        Run forced = fork(List.of("--add-modules", "jdk.incubator.vector", "-Dtensorlane.kernels=scalar"));
        assertEquals(0, forced.exit(), forced.out());
        assertTrue(forced.out().contains("describe=scalar (forced"), forced.out());

        Run bad = fork(List.of("--add-modules", "jdk.incubator.vector", "-Dtensorlane.kernels=gpu"));
        assertTrue(bad.exit() != 0, bad.out());
        assertTrue(bad.out().contains("-Dtensorlane.kernels=gpu is not one of auto, scalar, simd"), bad.out());

        Run simdWithout = fork(List.of("-Dtensorlane.kernels=simd"));
        assertTrue(simdWithout.exit() != 0, simdWithout.out());
        assertTrue(simdWithout.out().contains("SIMD is unavailable"), simdWithout.out());
    }

    @Test
    void implParsingNamesTheValidValues() {
        assertEquals(Impl.SIMD, Impl.parse("SIMD"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Impl.parse("gpu"));
        assertTrue(e.getMessage().contains("valid: scalar, simd"), e.getMessage());
    }
}

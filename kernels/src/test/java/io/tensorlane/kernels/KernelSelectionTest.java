package io.tensorlane.kernels;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Provider selection. The choice is made once per JVM, so the cases that need other JVM flags fork a
 * JVM (same java, same class path) running {@link ForkedKernelsMain}; the forks are few because each
 * costs about half a second.
 */
class KernelSelectionTest {
    private record Run(int exit, String output) {
    }

    private static Run fork(List<String> jvmFlags) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ForkedKernelsMain.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "forked JVM did not finish");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void withoutTheVectorModuleTheScalarKernelsRunAndSayHowToEnableSimd() throws Exception {
        Run r = fork(List.of()); // deliberately no --add-modules jdk.incubator.vector
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("results: ok"), r.output());
        assertTrue(r.output().contains("describe: scalar (module jdk.incubator.vector is not in the boot layer)"), r.output());
        assertTrue(r.output().contains("WARNING") && r.output().contains("--add-modules jdk.incubator.vector"),
                "a warning should say how to enable SIMD:\n" + r.output());
    }

    @Test
    void scalarCanBeForced() throws Exception {
        Run r = fork(List.of("--add-modules", "jdk.incubator.vector", "-Dtensorlane.kernels=scalar"));
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("describe: scalar (forced by -Dtensorlane.kernels=scalar)"), r.output());
    }

    @Test
    void invalidChoicesFailLoudly() throws Exception {
        Run bogus = fork(List.of("--add-modules", "jdk.incubator.vector", "-Dtensorlane.kernels=fast"));
        assertEquals(3, bogus.exit(), bogus.output());
        assertTrue(bogus.output().contains("-Dtensorlane.kernels=fast is not one of auto, scalar, simd"), bogus.output());
        // forcing SIMD where it cannot run must not silently fall back to scalar
        Run simd = fork(List.of("-Dtensorlane.kernels=simd"));
        assertEquals(3, simd.exit(), simd.output());
        assertTrue(simd.output().contains("SIMD is unavailable") && simd.output().contains("--add-modules"), simd.output());
    }

    @Test
    void thisJvmRunsSimdAtTheCappedWidth() {
        assumeTrue(Kernels.simdAvailable(), () -> "SIMD unavailable here: " + Kernels.simdUnavailableReason().orElse(""));
        assertEquals(Impl.SIMD, Kernels.get().impl());
        assertTrue(Kernels.describe().startsWith("simd (FloatVector "), Kernels.describe());
        String cap = System.getProperty(Kernels.MAX_BITS_PROPERTY);
        int bits = Integer.parseInt(Kernels.get().species().replaceAll("FloatVector (\\d+) bits.*", "$1"));
        if (cap != null) assertTrue(bits <= Integer.parseInt(cap), Kernels.get().species());
        assertEquals(Impl.SCALAR, Kernels.get(Impl.SCALAR).impl());
    }

    @Test
    void implNamesParseStrictly() {
        assertEquals(Impl.SIMD, Impl.parse(" SIMD "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Impl.parse("avx"));
        assertTrue(e.getMessage().contains("scalar, simd"), e.getMessage());
    }
}

package io.tensorlane.bench.cli;

import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.Parallelism;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "info", mixinStandardHelpOptions = true,
        header = "Shows the JDK, OS, CPU, kernel provider and vector species, thread count and build version.",
        description = {
                "Prints the JDK version and vendor, OS and architecture, CPU count, CPU model and SIMD flags "
                        + "(from /proc/cpuinfo where it exists), the kernel provider and its vector species (or why the "
                        + "scalar kernels run), the default thread count (-Dtensorlane.threads) and the build version. "
                        + "Pass JVM properties through TENSORLANE_JAVA_OPTS.",
                "",
                "Example:",
                "  ./tensorlane info",
                "  TENSORLANE_JAVA_OPTS=-Dtensorlane.vector.maxBits=128 ./tensorlane info"})
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("tensorlane " + BuildInfo.version());
        out.println("java:     " + System.getProperty("java.vm.name") + " " + Runtime.version() + " ("
                + System.getProperty("java.vendor") + ")");
        out.println("os:       " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        out.println("cpus:     " + Runtime.getRuntime().availableProcessors());
        cpuModel().ifPresent(m -> out.println("cpu:      " + m));
        out.println("kernels:  " + Kernels.describe());
        Kernels.simdUnavailableReason().ifPresent(r -> out.println("          SIMD unavailable: " + r));
        out.println("threads:  " + Parallelism.defaults().threads() + " (-D" + Parallelism.THREADS_PROPERTY + ")");
        out.flush();
        return 0;
    }

    /** "AMD EPYC ..., SIMD flags: fma avx2 avx512f" from /proc/cpuinfo where it exists. */
    private static Optional<String> cpuModel() {
        Path p = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(p)) return Optional.empty();
        try {
            String model = null;
            List<String> simd = new ArrayList<>();
            for (String line : Files.readAllLines(p)) {
                if (model == null && line.startsWith("model name")) model = line.substring(line.indexOf(':') + 1).trim();
                if (simd.isEmpty() && (line.startsWith("flags") || line.startsWith("Features"))) {
                    for (String f : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
                        if (f.equals("avx2") || f.equals("fma") || f.equals("avx512f") || f.equals("avx512_bf16")
                                || f.equals("asimd") || f.equals("sve")) {
                            simd.add(f);
                        }
                    }
                }
            }
            String line = (model != null ? model : "unknown model")
                    + ", SIMD flags: " + (simd.isEmpty() ? "none of avx2/fma/avx512f/asimd/sve" : String.join(" ", simd));
            return Optional.of(line);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}

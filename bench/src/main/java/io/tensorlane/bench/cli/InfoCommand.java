package io.tensorlane.bench.cli;

import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.Parallelism;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = {
                "Shows the JDK, OS, CPU (model and SIMD flags), the kernel provider and vector species",
                "(or why the scalar kernels run), the default thread count and the build version.",
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
        out.println("cpus:     " + Runtime.getRuntime().availableProcessors() + cpuModel());
        out.println("kernels:  " + Kernels.describe());
        Kernels.simdUnavailableReason().ifPresent(r -> out.println("          SIMD unavailable: " + r));
        out.println("threads:  " + Parallelism.defaults().threads() + " (-D" + Parallelism.THREADS_PROPERTY + ")");
        out.flush();
        return 0;
    }

    /** ", AMD EPYC ..., SIMD flags avx2 fma" from /proc/cpuinfo where it exists. */
    private static String cpuModel() {
        Path p = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(p)) return "";
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
            return (model != null ? ", " + model : "") + (simd.isEmpty() ? "" : ", SIMD flags: " + String.join(" ", simd));
        } catch (IOException e) {
            return "";
        }
    }
}

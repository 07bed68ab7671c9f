package io.tensorlane.bench.targets;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tensorlane.bench.cli.Main;
import io.tensorlane.bench.harness.BenchLog;
import io.tensorlane.bench.harness.BenchRow;
import io.tensorlane.bench.harness.Interleaved;
import io.tensorlane.bench.harness.TorchAnchor;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench targets}: every family that an issue sets a performance target for, run one after the other, each
 * in a JVM of its own (see {@link BenchLog}), against its anchors (PyTorch interleaved, OpenBLAS in-process, the copy baseline, the scalar
 * twins), then one table of the targets with the measured value and the verdict.
 */
@Command(name = "targets", mixinStandardHelpOptions = true,
        header = "Runs the families against their anchors and judges every performance target of the issues.",
        description = {
                "Runs, each in a JVM of its own: act (--torch), gemm (--anchors=openblas, 1 thread; then 2 threads for the "
                        + "scaling target), conv (--torch, the six shapes), pool (--torch), norm (--torch), lstm (--torch, "
                        + "cell only) and train (--torch), each printing its own table as it goes, then the targets of "
                        + "issues 3-7 with the measured value (a ratio of timings from the same run: per-round medians "
                        + "of the interleaved PyTorch samples, OpenBLAS's and the copy baseline's rows of the same family "
                        + "run) and 'met', 'NOT met' or 'not measured' (an anchor that could not run says why above). "
                        + "Took about 5 minutes on a 2-core Zen 3 (PyTorch and OpenBLAS installed). Exit 0 whatever the verdicts (it is a measurement).",
                "",
                "Examples:",
                "  ./tensorlane bench targets",
                "  ./tensorlane bench targets --families train,act --json targets.json"})
public final class TargetsBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--families", split = ",", paramLabel = "NAME",
            description = "Only these families (act, gemm, conv, pool, norm, lstm, train; default all).")
    List<String> families;

    @Option(names = "--torch-python", paramLabel = "PATH", description = "The Python with PyTorch (default: /usr/bin/python3 if present, else python3).")
    String python = TorchAnchor.DEFAULT_PYTHON;

    @Option(names = "--rounds", defaultValue = "15", paramLabel = "N", description = "Interleaved rounds per PyTorch comparison (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the verdicts as a JSON array.")
    Path json;

    /** The family runs, in order: family name, then the arguments of each run of it. */
    Map<String, List<List<String>>> plan() {
        List<String> torch = List.of("--threads", "1", "--torch", "--torch-python", python, "--rounds", Integer.toString(rounds));
        Map<String, List<List<String>>> p = new LinkedHashMap<>();
        p.put("act", List.of(torch));
        p.put("gemm", List.of(
                List.of("--threads", "1", "--anchors=openblas", "--shapes", String.join(",",
                        concat(IssueTargets.GEMM_SMALL, IssueTargets.GEMM_LARGE, List.of(IssueTargets.GEMV)))),
                List.of("--threads", "2", "--shapes", String.join(",", IssueTargets.GEMM_SCALING))));
        p.put("conv", List.of(concat(torch, List.of("--shapes", String.join(",", IssueTargets.CONV_SHAPES)))));
        p.put("pool", List.of(torch));
        p.put("norm", List.of(torch));
        p.put("lstm", List.of(concat(torch, List.of("--no-scalar", "--no-seq"))));
        p.put("train", List.of(torch));
        return p;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> p : parts) all.addAll(p);
        return all;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (rounds < 1) throw new ParameterException(spec.commandLine(), "bench targets: --rounds must be >= 1, got " + rounds);
        Map<String, List<List<String>>> plan = plan();
        if (families != null) {
            for (String f : families) {
                if (!plan.containsKey(f)) {
                    throw new ParameterException(spec.commandLine(), "bench targets: unknown family '" + f + "'; families: "
                            + String.join(", ", plan.keySet()));
                }
            }
        }
        List<BenchRow> rows = new ArrayList<>();
        Map<String, Interleaved> versus = new LinkedHashMap<>();
        Path dir = Files.createTempDirectory("tensorlane-targets");
        try {
            int n = 0;
            for (var e : plan.entrySet()) {
                if (families != null && !families.contains(e.getKey())) continue;
                for (List<String> args : e.getValue()) {
                    List<String> cmd = new ArrayList<>(List.of("bench", e.getKey()));
                    cmd.addAll(args);
                    out.println("== " + String.join(" ", cmd));
                    out.flush();
                    Path log = dir.resolve("run" + (n++) + ".json");
                    int code = runInOwnJvm(cmd, log);
                    if (code != 0 || !Files.exists(log)) {
                        out.println("bench " + e.getKey() + " ended with exit status " + code + " (its targets are not measured)");
                        continue;
                    }
                    BenchLog.Snapshot s = BenchLog.read(log);
                    rows.addAll(s.rows());
                    versus.putAll(s.versus());
                }
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
        List<Target.Result> results = judge(new Measurements(rows, versus));
        printResults(out, results);
        if (json != null) {
            Path parent = json.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            List<Verdict> vs = results.stream().map(Verdict::of).toList();
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), vs);
            out.println("wrote " + vs.size() + " verdicts to " + json);
        }
        out.flush();
        return 0;
    }

    /**
     * Runs {@code tensorlane <cmd>} in a new JVM with this JVM's options and class path, its output on ours, its
     * {@link BenchLog} written to {@code log}; returns its exit status.
     */
    private static int runInOwnJvm(List<String> cmd, Path log) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-D" + BenchLog.PROPERTY + "=")) argv.add(a);
        }
        argv.add("-D" + BenchLog.PROPERTY + "=" + log);
        argv.add("-cp");
        argv.add(System.getProperty("java.class.path"));
        argv.add(Main.class.getName());
        argv.addAll(cmd);
        return new ProcessBuilder(argv).inheritIO().start().waitFor();
    }

    static List<Target.Result> judge(Measurements m) {
        return IssueTargets.all().stream().map(t -> t.judge(m)).toList();
    }

    static void printResults(PrintWriter out, List<Target.Result> results) {
        out.println();
        out.printf(Locale.ROOT, "%-6s %-66s %9s  %s%n", "issue", "target", "measured", "verdict");
        for (Target.Result r : results) {
            out.printf(Locale.ROOT, "#%-5s %-66s %9s  %s%n", r.target().issue(), r.target().goal(), r.valueText(), r.verdict());
        }
        long met = results.stream().filter(Target.Result::met).count();
        long measured = results.stream().filter(Target.Result::measured).count();
        out.printf(Locale.ROOT, "targets: %d met, %d not met, %d not measured%n", met, measured - met, results.size() - measured);
        out.flush();
    }

    /** One JSON verdict. */
    record Verdict(String issue, String target, double bound, @JsonProperty("at_most") boolean atMost, Double measured,
                   String verdict) {
        static Verdict of(Target.Result r) {
            return new Verdict(r.target().issue(), r.target().goal(), r.target().bound(), r.target().atMost(),
                    r.value().isPresent() ? r.value().getAsDouble() : null, r.verdict());
        }
    }
}

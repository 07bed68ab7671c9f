package io.tensorlane.bench.targets;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tensorlane.bench.act.ActBench;
import io.tensorlane.bench.conv.ConvBench;
import io.tensorlane.bench.gemm.GemmBench;
import io.tensorlane.bench.harness.BenchLog;
import io.tensorlane.bench.harness.TorchAnchor;
import io.tensorlane.bench.lstm.LstmBench;
import io.tensorlane.bench.norm.NormBench;
import io.tensorlane.bench.pool.PoolBench;
import io.tensorlane.bench.train.TrainBench;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench targets}: every family that an issue sets a performance target for, run one after the other in
 * this process against its anchors (PyTorch interleaved, OpenBLAS in-process, the copy baseline, the scalar
 * twins), then one table of the targets with the measured value and the verdict.
 */
@Command(name = "targets", mixinStandardHelpOptions = true,
        header = "Runs the families against their anchors and judges every performance target of the issues.",
        description = {
                "Runs, in this process: act (--torch), gemm (--anchors=openblas, 1 thread; then 2 threads for the "
                        + "scaling target), conv (--torch, the six shapes), pool (--torch), norm (--torch), lstm (--torch, "
                        + "cell only) and train (--torch), each printing its own table as it goes, then the targets of "
                        + "issues 3-7 with the measured value (a ratio of timings from the same run: per-round medians "
                        + "of the interleaved PyTorch samples, OpenBLAS's and the copy baseline's rows of the same family "
                        + "run) and 'met', 'NOT met' or 'not measured' (an anchor that could not run says why above). "
                        + "Takes 10-20 minutes on a 2-core machine. Exit 0 whatever the verdicts (it is a measurement).",
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

    /** The family runs, in order: name, command, arguments. */
    Map<String, List<Run>> plan() {
        List<String> torch = List.of("--threads", "1", "--torch", "--torch-python", python, "--rounds", Integer.toString(rounds));
        Map<String, List<Run>> p = new LinkedHashMap<>();
        p.put("act", List.of(new Run(ActBench::new, torch)));
        p.put("gemm", List.of(
                new Run(GemmBench::new, List.of("--threads", "1", "--anchors=openblas", "--shapes", String.join(",",
                        concat(IssueTargets.GEMM_SMALL, IssueTargets.GEMM_LARGE, List.of(IssueTargets.GEMV))))),
                new Run(GemmBench::new, List.of("--threads", "2", "--shapes", String.join(",", IssueTargets.GEMM_SCALING)))));
        p.put("conv", List.of(new Run(ConvBench::new, concat(torch, List.of("--shapes", String.join(",", IssueTargets.CONV_SHAPES))))));
        p.put("pool", List.of(new Run(PoolBench::new, torch)));
        p.put("norm", List.of(new Run(NormBench::new, torch)));
        p.put("lstm", List.of(new Run(LstmBench::new, concat(torch, List.of("--no-scalar", "--no-seq")))));
        p.put("train", List.of(new Run(TrainBench::new, torch)));
        return p;
    }

    record Run(Supplier<Object> command, List<String> args) {
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
        Map<String, List<Run>> plan = plan();
        if (families != null) {
            for (String f : families) {
                if (!plan.containsKey(f)) {
                    throw new ParameterException(spec.commandLine(), "bench targets: unknown family '" + f + "'; families: "
                            + String.join(", ", plan.keySet()));
                }
            }
        }
        BenchLog.clear();
        for (var e : plan.entrySet()) {
            if (families != null && !families.contains(e.getKey())) continue;
            for (Run r : e.getValue()) {
                out.println("== bench " + e.getKey() + " " + String.join(" ", r.args()));
                out.flush();
                CommandLine cl = new CommandLine(r.command().get());
                cl.setOut(out);
                cl.setErr(spec.commandLine().getErr());
                int code = cl.execute(r.args().toArray(String[]::new));
                if (code != 0) out.println("bench " + e.getKey() + " ended with exit status " + code + " (its targets are not measured)");
            }
        }
        List<Target.Result> results = judge(new Measurements(BenchLog.rows(), BenchLog.versus()));
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

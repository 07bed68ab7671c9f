package io.tensorlane.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tensorlane.bench.verify.GoldenOps;
import io.tensorlane.bench.verify.Verifier;
import io.tensorlane.kernels.Impl;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "verify", mixinStandardHelpOptions = true,
        header = "Checks the kernels against golden case files (*.json) through the public API.",
        description = {
                "Runs every *.json golden case in DIR (format: the reference corpus README) through the runtime Ops "
                        + "on Device.cpu(IMPL) and compares each output and gradient with the case's tolerance: an element "
                        + "passes when |actual - expected| <= atol + rtol*|expected| (NaN only against NaN). Prints one "
                        + "line per failing case (file, op, tensor, max abs/rel error, or `unsupported op X`, or why the "
                        + "file is malformed) and ends with `verify: N passed, M failed`. Unsupported ops and malformed "
                        + "files count as failed and never stop the run. Exit status 0 only when M = 0.",
                "",
                "Examples:",
                "  ./tensorlane verify path/to/reference",
                "  ./tensorlane verify path/to/reference --ops relu,softmax --impl scalar",
                "  ./tensorlane verify path/to/reference --json verify.json"})
final class VerifyCommand implements Callable<Integer> {
    enum ImplChoice { auto, scalar, simd }

    /** The op names verify can check, for the help text. */
    static final class KnownOps implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return GoldenOps.all().keySet().iterator();
        }
    }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Directory of golden case files (*.json).")
    Path dir;

    @Option(names = "--ops", split = ",", paramLabel = "LIST", description = "Only the cases of these ops (comma-separated), for example relu,softmax. Known ops: ${COMPLETION-CANDIDATES}.",
            completionCandidates = KnownOps.class)
    List<String> ops;

    @Option(names = "--impl", defaultValue = "auto", paramLabel = "auto|scalar|simd",
            description = "Kernel implementation (default: ${DEFAULT-VALUE}, the one selected for this JVM).")
    ImplChoice impl;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the per-case results as JSON.")
    Path json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isDirectory(dir)) {
            err.println("verify: " + dir + " is not a directory");
            return 2;
        }
        Device device = switch (impl) {
            case auto -> Device.cpu();
            case scalar -> Device.cpu(Impl.SCALAR);
            case simd -> Device.cpu(Impl.SIMD);
        };
        Set<String> only = ops == null ? Set.of() : new LinkedHashSet<>(ops.stream().map(String::trim).toList());
        for (String op : only) {
            if (!GoldenOps.all().containsKey(op)) {
                // Not an error: its cases (if any) are reported as unsupported; but a typo should not go unnoticed.
                err.println("verify: note: no checker for op '" + op + "' (known: " + String.join(", ", GoldenOps.all().keySet()) + ")");
            }
        }
        List<Verifier.Result> results = new Verifier(Ops.on(device), only).run(dir, out);
        long passed = results.stream().filter(Verifier.Result::passed).count();
        long failed = results.size() - passed;
        if (json != null) {
            Path parent = json.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), results);
            out.println("wrote " + results.size() + " case results to " + json);
        }
        if (results.isEmpty()) {
            err.println("verify: no case files" + (only.isEmpty() ? "" : " for ops " + only) + " in " + dir
                    + (only.isEmpty() ? "" : " (known ops: " + String.join(", ", GoldenOps.all().keySet()) + ")"));
        }
        out.println("verify: " + passed + " passed, " + failed + " failed");
        out.flush();
        return failed == 0 ? 0 : 1;
    }
}

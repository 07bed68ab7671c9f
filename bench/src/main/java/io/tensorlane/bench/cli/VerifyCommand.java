package io.tensorlane.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
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
        description = {
                "Runs every *.json golden case in DIR through the public API and compares each output and",
                "gradient with the case's tolerance (|actual - expected| <= atol + rtol*|expected|).",
                "Prints one line per failing case and ends with `verify: N passed, M failed`; an unsupported",
                "op or a malformed file counts as failed. Exit code 0 only when nothing failed.",
                "",
                "Examples:",
                "  ./tensorlane verify path/to/reference",
                "  ./tensorlane verify path/to/reference --ops relu,softmax,softmax_loss --impl scalar --json verify.json"})
final class VerifyCommand implements Callable<Integer> {
    enum ImplChoice { auto, scalar, simd }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Directory of golden case files (*.json).")
    Path dir;

    @Option(names = "--ops", split = ",", paramLabel = "LIST", description = "Only these ops (comma-separated), e.g. relu,softmax.")
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
        List<Verifier.Result> results = new Verifier(Ops.on(device), only).run(dir, out);
        long passed = results.stream().filter(Verifier.Result::passed).count();
        long failed = results.size() - passed;
        if (json != null) {
            Path parent = json.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), results);
        }
        if (results.isEmpty()) {
            err.println("verify: no case files" + (only.isEmpty() ? "" : " for ops " + only) + " in " + dir
                    + (only.isEmpty() ? "" : " (known ops: " + String.join(", ", io.tensorlane.bench.verify.GoldenOps.all().keySet()) + ")"));
        }
        out.println("verify: " + passed + " passed, " + failed + " failed");
        out.flush();
        return failed == 0 ? 0 : 1;
    }
}

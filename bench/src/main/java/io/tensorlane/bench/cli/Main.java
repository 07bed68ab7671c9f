package io.tensorlane.bench.cli;

import io.tensorlane.bench.harness.BenchCommand;
import io.tensorlane.bench.harness.ResultMismatchException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tensorlane} command line; the exit code is picocli's (the command's return value, 2 for usage errors). */
@Command(name = "tensorlane", mixinStandardHelpOptions = true, versionProvider = BuildInfo.class,
        header = "tensorlane: pure-Java neural-network kernels (Java 25, Panama off-heap memory, Vector API SIMD).",
        description = {
                "Checks the kernels against golden cases and benchmarks them. Run it through the launcher script "
                        + "at the repository root, which finds a JDK 25, rebuilds what is stale and passes "
                        + "--add-modules jdk.incubator.vector (without it the scalar kernels run). The launcher also "
                        + "handles the command `test`: the full test suite (mvn -B verify). COMMAND --help explains "
                        + "each command.",
                "",
                "Examples:",
                "  ./tensorlane demo",
                "  ./tensorlane example linreg",
                "  ./tensorlane info",
                "  ./tensorlane verify path/to/reference --impl simd",
                "  ./tensorlane bench act --threads 1 --json act.json",
                "  ./tensorlane test"},
        subcommands = {io.tensorlane.bench.demo.DemoCommand.class, io.tensorlane.bench.examples.ExampleCommand.class, InfoCommand.class, VerifyCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status when a benchmark refuses to time a kernel whose result is wrong. */
    public static final int EXIT_MISMATCH = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A configured command line (tests execute it in-process with their own out/err writers). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof ResultMismatchException) {
                // An expected outcome, not a crash: the message says what differed; no stack trace.
                line.getErr().println("tensorlane " + line.getCommandName() + ": " + e.getMessage());
                line.getErr().flush();
                return EXIT_MISMATCH;
            }
            throw e;
        });
        return cl;
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        try {
            io.tensorlane.bench.harness.BenchLog.writeIfAsked();
        } catch (java.io.IOException e) {
            System.err.println("tensorlane: cannot write the bench log: " + e.getMessage());
            if (code == 0) code = 1;
        }
        System.exit(code);
    }
}

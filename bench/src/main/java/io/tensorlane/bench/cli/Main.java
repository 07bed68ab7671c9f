package io.tensorlane.bench.cli;

import io.tensorlane.bench.act.BenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tensorlane} command line. */
@Command(name = "tensorlane", mixinStandardHelpOptions = true, versionProvider = BuildInfo.class,
        description = {
                "Pure-Java neural-network kernels: check them against golden cases and benchmark them.",
                "",
                "Commands run through the ./tensorlane launcher, which finds a JDK 25, builds what is stale,",
                "and passes --add-modules jdk.incubator.vector. `./tensorlane test` runs the test suite (mvn -B verify).",
                "",
                "Examples:",
                "  ./tensorlane info",
                "  ./tensorlane verify path/to/reference --impl simd",
                "  ./tensorlane bench act --threads 1 --json act.json"},
        subcommands = {InfoCommand.class, VerifyCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A configured command line (tests execute it in-process). */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}

package io.tensorlane.bench.verify;

import io.tensorlane.runtime.Ops;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Runs every {@code *.json} golden case of a directory through the public API. A case fails when a
 * value is out of tolerance, its op is unsupported, its file is malformed, or the op throws; one
 * line per failing case is printed, and nothing aborts the run.
 */
public final class Verifier {
    /** The outcome of one case file. */
    public record Result(String file, String op, boolean passed, String detail) {
    }

    private final Ops ops;
    private final Set<String> onlyOps; // empty: all

    public Verifier(Ops ops, Set<String> onlyOps) {
        this.ops = ops;
        this.onlyOps = onlyOps;
    }

    public List<Result> run(Path dir, PrintWriter out) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".json") && Files.isRegularFile(p)).sorted().toList();
        }
        List<Result> results = new ArrayList<>();
        for (Path f : files) {
            Result r = runOne(f);
            if (r == null) continue; // filtered out by --ops
            results.add(r);
            if (!r.passed()) {
                out.println("FAIL " + r.file() + " [" + r.op() + "] " + r.detail());
                out.flush();
            }
        }
        return results;
    }

    /** null when the case is excluded by the op filter. */
    Result runOne(Path f) {
        String file = f.getFileName().toString();
        GoldenCase c;
        try {
            c = GoldenCase.read(f);
        } catch (IOException | RuntimeException e) {
            // MalformedCaseException names the file and field; anything else (e.g. size overflow) is reported too.
            // A malformed file still counts when its name says it belongs to a selected op.
            String guessed = file.contains("__") ? file.substring(0, file.indexOf("__")) : "?";
            if (!onlyOps.isEmpty() && !onlyOps.contains(guessed)) return null;
            String why = e instanceof MalformedCaseException ? e.getMessage() : file + ": " + e;
            return new Result(file, guessed, false, "malformed case: " + why);
        }
        if (!onlyOps.isEmpty() && !onlyOps.contains(c.op())) return null;
        GoldenOp op = GoldenOps.all().get(c.op());
        if (op == null) return new Result(file, c.op(), false, "unsupported op " + c.op());
        Checker check = new Checker(c);
        try {
            op.run(c, ops, check);
        } catch (MalformedCaseException e) {
            return new Result(file, c.op(), false, "malformed case: " + e.getMessage());
        } catch (RuntimeException e) {
            return new Result(file, c.op(), false, "error: " + e);
        }
        if (check.compared() == 0) return new Result(file, c.op(), false, "nothing to compare");
        if (!check.failures().isEmpty()) return new Result(file, c.op(), false, String.join("; ", check.failures()));
        return new Result(file, c.op(), true, "");
    }
}

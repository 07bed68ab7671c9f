package io.tensorlane.bench.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * PyTorch as a benchmark anchor in a child process that times one sample whenever the bench asks, so that
 * tensorlane's samples and PyTorch's alternate within one run (see {@link Interleaved}). The child runs the
 * bench's own script ({@code torch_server.py}, a resource of this module, written to a temporary file) with a
 * Python that has PyTorch (Debian: {@code apt-get install -y python3-torch}); its workloads are those of the
 * project's reference anchor {@code torch_anchor.py}, under the same row names as tensorlane's.
 *
 * <p>The child gets fixed glibc malloc thresholds ({@code MALLOC_MMAP_THRESHOLD_}, {@code MALLOC_TRIM_THRESHOLD_},
 * unless set already): with glibc's adaptive ones PyTorch's time for a workload depended on which workloads had
 * run before in its process.
 *
 * <p>One line per command and answer over the child's stdin/stdout (the protocol is in the script). Every
 * answer is awaited with a time limit, so a stuck child fails the bench with a message instead of hanging it.
 */
public final class TorchAnchor implements AutoCloseable {
    /** Where the script lives in the bench jar. */
    static final String SCRIPT = "/io/tensorlane/bench/anchor/torch_server.py";
    /** The Python tried when none is given: Debian's, which python3-torch installs into (a pyenv shim first on PATH may lack torch). */
    public static final String DEFAULT_PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    private static final long START_SECONDS = 120, PREPARE_SECONDS = 300, SAMPLE_SECONDS = 300;
    /** glibc malloc thresholds for the child (64 MiB, 256 MiB): see {@link #start(List, int, Map)}. */
    static final String MALLOC_MMAP_THRESHOLD = Integer.toString(64 << 20), MALLOC_TRIM_THRESHOLD = Integer.toString(256 << 20);

    private final Process process;
    private final Writer in;
    private final BlockingQueue<String> lines;
    private final Path script;
    private final String version;

    private TorchAnchor(Process process, BlockingQueue<String> lines, Path script, String version) {
        this.process = process;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.lines = lines;
        this.script = script;
        this.version = version;
    }

    /** The started anchor, or why there is none (the text of the failure). */
    public record Start(Optional<TorchAnchor> anchor, String unavailable) {
    }

    /**
     * Starts {@code python} on the script with {@code threads} threads for PyTorch, OpenMP and OpenBLAS (as
     * {@code torch_anchor.py} is run); returns why not if it cannot start or has no PyTorch.
     */
    public static Start start(String python, int threads) {
        return start(List.of(python), threads, Map.of());
    }

    /** {@link #start(String, int)} with a command prefix and extra environment (tests run fake servers). */
    static Start start(List<String> pythonCommand, int threads, Map<String, String> env) {
        if (threads < 1) throw new IllegalArgumentException("TorchAnchor: threads must be >= 1, got " + threads);
        Path script;
        try {
            // in a directory of its own: Python puts the script's directory first on its module path, and a
            // shared temporary directory may hold files that shadow modules torch imports
            script = Files.createTempDirectory("tensorlane-torch-anchor").resolve("torch_server.py");
            try (InputStream s = TorchAnchor.class.getResourceAsStream(SCRIPT)) {
                if (s == null) throw new IllegalStateException("TorchAnchor: " + SCRIPT + " is missing from the bench jar");
                Files.write(script, s.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("TorchAnchor: cannot write the anchor script to a temporary file", e);
        }
        List<String> cmd = new java.util.ArrayList<>(pythonCommand);
        cmd.add(script.toString());
        cmd.add(Integer.toString(threads));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
        // glibc's malloc raises its mmap and trim thresholds to the largest block freed so far, so PyTorch's time
        // for a workload depended on what its process had run before: LeNet-B's forward took 5.2-5.5 ms as the
        // first workload and 4.0-4.4 ms after LeNet-A (fresh pages for every output below the threshold).
        // Fixed thresholds give every workload the allocator of a warmed-up, long-running process, whatever
        // ran before; a user's own settings are kept.
        pb.environment().putIfAbsent("MALLOC_MMAP_THRESHOLD_", MALLOC_MMAP_THRESHOLD);
        pb.environment().putIfAbsent("MALLOC_TRIM_THRESHOLD_", MALLOC_TRIM_THRESHOLD);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            deleteQuietly(script);
            return new Start(Optional.empty(), "cannot run " + pythonCommand.getFirst() + " (" + e.getMessage()
                    + "; give a Python with PyTorch: --torch-python PATH)");
        }
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) lines.add(line);
            } catch (IOException ignored) {
                // the process ended; the waiting side reports it
            }
            lines.add(EOF);
        }, "torch-anchor-reader");
        reader.setDaemon(true);
        reader.start();
        String first;
        try {
            first = next(lines, START_SECONDS, p, "start");
        } catch (AnchorException e) {
            p.destroyForcibly();
            deleteQuietly(script);
            return new Start(Optional.empty(), e.getMessage());
        }
        if (!first.startsWith("READY ")) {
            p.destroyForcibly();
            deleteQuietly(script);
            String why = first.startsWith("ERROR ") ? first.substring(6) : "unexpected first line '" + first + "'";
            return new Start(Optional.empty(), why);
        }
        String[] f = first.split(" ");
        return new Start(Optional.of(new TorchAnchor(p, lines, script, f.length > 1 ? f[1] : "?")), null);
    }

    /** The implementation name of its rows, e.g. {@code torch-1.13.0}. */
    public String impl() {
        return "torch-" + version;
    }

    /** Builds the workload's tensors and warms it up; returns the time of one call after warm-up, ms. */
    public double prepare(String workload) {
        return number(ask("prepare " + workload, PREPARE_SECONDS), "OK ", "prepare " + workload);
    }

    /** The median time of {@code calls} calls of a prepared workload, ms. */
    public double sampleMs(String workload, int calls) {
        if (calls < 1) throw new IllegalArgumentException("TorchAnchor: calls must be >= 1, got " + calls);
        return number(ask("sample " + workload + " " + calls, SAMPLE_SECONDS), "MS ", "sample " + workload);
    }

    private String ask(String command, long seconds) {
        try {
            in.write(command + "\n");
            in.flush();
        } catch (IOException e) {
            throw new AnchorException("PyTorch anchor: cannot send '" + command + "' (the process has ended: exit "
                    + exitText() + ")");
        }
        return next(lines, seconds, process, command);
    }

    private String exitText() {
        try {
            return process.waitFor(1, TimeUnit.SECONDS) ? Integer.toString(process.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private static double number(String line, String prefix, String command) {
        if (line.startsWith("ERROR ")) throw new AnchorException("PyTorch anchor: " + command + ": " + line.substring(6));
        if (!line.startsWith(prefix)) throw new AnchorException("PyTorch anchor: " + command + ": unexpected answer '" + line + "'");
        try {
            double v = Double.parseDouble(line.substring(prefix.length()).trim());
            if (!(v >= 0) || Double.isInfinite(v)) throw new NumberFormatException("not a time: " + v);
            return v;
        } catch (NumberFormatException e) {
            throw new AnchorException("PyTorch anchor: " + command + ": unexpected answer '" + line + "'");
        }
    }

    private static final String EOF = "\u0000EOF";

    private static String next(BlockingQueue<String> lines, long seconds, Process p, String what) {
        String line;
        try {
            line = lines.poll(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AnchorException("PyTorch anchor: interrupted waiting for '" + what + "'");
        }
        if (line == null) throw new AnchorException("PyTorch anchor: no answer to '" + what + "' within " + seconds + " s");
        if (line.equals(EOF)) {
            String code;
            try {
                code = p.waitFor(5, TimeUnit.SECONDS) ? Integer.toString(p.exitValue()) : "still running";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                code = "unknown";
            }
            throw new AnchorException("PyTorch anchor: the process ended (exit " + code + ") before answering '" + what + "'");
        }
        return line;
    }

    @Override
    public void close() {
        try {
            in.write("quit\n");
            in.flush();
            in.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        deleteQuietly(script);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
            Files.deleteIfExists(p.getParent());
        } catch (IOException ignored) {
            // a stale temporary file; the OS cleans its temp directory
        }
    }

    /** A failure of a started anchor (an error answer, a dead or silent process). */
    public static final class AnchorException extends RuntimeException {
        AnchorException(String message) {
            super(message);
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "PyTorch %s (pid %d)", version, process.pid());
    }
}

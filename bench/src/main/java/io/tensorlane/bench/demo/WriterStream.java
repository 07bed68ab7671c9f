package io.tensorlane.bench.demo;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * A PrintStream onto a command's PrintWriter, so the Solver's progress goes where picocli's output goes
 * (the terminal, or a test's writer). Bytes are decoded as UTF-8 at line ends and on flush.
 */
final class WriterStream extends OutputStream {
    private final PrintWriter out;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    private WriterStream(PrintWriter out) {
        this.out = out;
    }

    static PrintStream of(PrintWriter out) {
        return new PrintStream(new WriterStream(out), true, StandardCharsets.UTF_8);
    }

    @Override
    public void write(int b) {
        pending.write(b);
        if (b == '\n' || b == '\r') flush();
    }

    @Override
    public void write(byte[] b, int off, int len) {
        pending.write(b, off, len);
        flush();
    }

    @Override
    public void flush() {
        if (pending.size() > 0) {
            out.write(pending.toString(StandardCharsets.UTF_8));
            pending.reset();
        }
        out.flush();
    }
}

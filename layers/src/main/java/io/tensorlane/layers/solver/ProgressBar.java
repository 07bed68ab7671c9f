package io.tensorlane.layers.solver;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress: on a terminal one line redrawn in place (epoch, bar, batch, loss, accuracy,
 * samples/s, ETA); elsewhere (a log, a pipe: {@code System.console() == null}) plain lines, about
 * ten per epoch, so logs stay readable.
 */
public final class ProgressBar {
    private static final int WIDTH = 24;

    private final PrintStream out;
    private final boolean terminal;
    private final int epochs;
    private final int batches;
    private final long samplesPerEpoch;
    private final long startNanos = System.nanoTime();
    private long lastDraw;

    /**
     * @param terminal redraw in place (true) or print plain lines (false)
     */
    public ProgressBar(PrintStream out, boolean terminal, int epochs, int batchesPerEpoch, long samplesPerEpoch) {
        this.out = out;
        this.terminal = terminal;
        this.epochs = epochs;
        this.batches = batchesPerEpoch;
        this.samplesPerEpoch = samplesPerEpoch;
    }

    /** True when stdout is an interactive terminal. */
    public static boolean stdoutIsTerminal() {
        return System.console() != null;
    }

    /** After batch {@code batch} (1-based) of epoch {@code epoch} (0-based); {@code samplesDone} counts from the start. */
    public void batch(int epoch, int batch, double loss, double accuracy, long samplesDone) {
        double secs = (System.nanoTime() - startNanos) / 1e9;
        double rate = samplesDone / Math.max(secs, 1e-9);
        long remaining = (long) epochs * samplesPerEpoch - samplesDone;
        String eta = time(rate > 0 ? remaining / rate : 0);
        String acc = Double.isNaN(accuracy) ? "" : String.format(Locale.ROOT, " acc %.3f", accuracy);
        if (terminal) {
            long now = System.nanoTime();
            if (batch != batches && now - lastDraw < 100_000_000L) return; // at most 10 redraws a second
            lastDraw = now;
            int filled = (int) ((long) WIDTH * batch / Math.max(1, batches));
            String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
            out.print(String.format(Locale.ROOT, "\repoch %d/%d [%s] %d/%d loss %.4f%s %.0f samples/s ETA %s ",
                    epoch + 1, epochs, bar, batch, batches, loss, acc, rate, eta));
            out.flush();
        } else {
            int every = Math.max(1, batches / 10);
            if (batch % every != 0 && batch != batches) return;
            out.println(String.format(Locale.ROOT, "epoch %d/%d batch %d/%d loss %.4f%s %.0f samples/s ETA %s",
                    epoch + 1, epochs, batch, batches, loss, acc, rate, eta));
        }
    }

    /** The summary line of an epoch (ends the in-place line on a terminal). */
    public void epoch(int epoch, double loss, double trainAcc, double valAcc, double lr) {
        if (terminal) out.println();
        String metrics = Double.isNaN(trainAcc)
                ? String.format(Locale.ROOT, "val loss %.4f", valAcc)
                : String.format(Locale.ROOT, "train acc %.4f val acc %.4f", trainAcc, valAcc);
        out.println(String.format(Locale.ROOT, "epoch %d/%d done: loss %.4f %s lr %.3g elapsed %s",
                epoch + 1, epochs, loss, metrics, lr, time((System.nanoTime() - startNanos) / 1e9)));
        out.flush();
    }

    static String time(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}

package io.tensorlane.bench.examples;

import io.tensorlane.layers.Mode;
import io.tensorlane.layers.data.Dataset;
import io.tensorlane.layers.net.Net;
import io.tensorlane.layers.net.NetFile;
import io.tensorlane.layers.optim.LrSchedule;
import io.tensorlane.layers.solver.Solver;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A character-level LSTM that learns the text "hello world " and continues a prompt with it, one
 * character at a time: it reads the last {@value #WINDOW} characters (one-hot) and predicts the next.
 */
final class CharLstmExample implements Example {
    static final String TEXT = "hello world ";
    static final String PROMPT = "hello";
    static final int WINDOW = 6;
    static final String VOCAB = " dehlorw";

    static final String NET = """
            { "name": "char-lstm", "input": [%d, %d], "seed": %d, "loss": "softmax_cross_entropy",
              "layers": [ {"name": "lstm", "type": "lstm", "hidden": 32, "return_sequences": false},
                          {"name": "out", "type": "linear", "out": %d} ] }
            """;

    @Override public String name() { return "char-lstm"; }

    @Override public String summary() { return "character LSTM that learns to continue \"hello\" as \"hello world hello world\""; }

    @Override public int defaultEpochs() { return 30; }

    @Override
    public Outcome run(int epochs, long seed, Ops ops, Path outDir, PrintWriter out) {
        int v = VOCAB.length();
        // Every window of the repeated text, each several times: a small, exactly learnable data set.
        int copies = 20, n = TEXT.length() * copies;
        float[] x = new float[n * WINDOW * v];
        int[] y = new int[n];
        String cyc = TEXT.repeat(3);
        for (int i = 0; i < n; i++) {
            int start = i % TEXT.length();
            encode(cyc.substring(start, start + WINDOW), x, i * WINDOW * v);
            y[i] = VOCAB.indexOf(cyc.charAt(start + WINDOW));
        }
        Dataset data = Dataset.of(x, new long[] {WINDOW, v}, y);
        NetFile.Spec spec = NetFile.parse(NET.formatted(WINDOW, v, seed, v), "char-lstm");
        Net net = spec.net();
        out.printf(Locale.ROOT, "char-lstm: %d parameters, windows of %d characters of \"%s\" repeated, vocabulary \"%s\"%n",
                net.paramCount(), WINDOW, TEXT, VOCAB);
        Solver s = Solver.builder(net, spec.loss(), data, data).optimizer("adam", Map.of("lr", 1e-2))
                .schedule(LrSchedule.step(Math.max(1, epochs / 2), 0.3f)).epochs(epochs).batchSize(32).seed(seed)
                .progress(null).ops(ops).build();
        Solver.History h = s.train();
        String want = TEXT.repeat(3).substring(0, PROMPT.length() + 2 * TEXT.length()); // the text starts with the prompt
        String got = generate(net, ops, PROMPT, want.length() - PROMPT.length());
        int ok = 0;
        for (int i = PROMPT.length(); i < want.length(); i++) if (got.charAt(i) == want.charAt(i)) ok++;
        double frac = (double) ok / (want.length() - PROMPT.length());
        out.printf(Locale.ROOT, "trained %d epochs (%.1f s), final training accuracy %.3f%n", epochs, h.seconds(),
                h.trainAccuracy().getLast());
        out.printf(Locale.ROOT, "prompt \"%s\" -> \"%s\"%n", PROMPT, got);
        out.flush();
        return Outcome.atLeast("continuation characters right (fraction)", frac, 1.0);
    }

    static void encode(String s, float[] x, int off) {
        int v = VOCAB.length();
        for (int t = 0; t < s.length(); t++) x[off + t * v + VOCAB.indexOf(s.charAt(t))] = 1f;
    }

    /**
     * Greedy continuation: each step feeds the last {@value #WINDOW} characters (a prompt shorter than
     * that is read after a space, a word boundary) and appends the most likely next character.
     */
    static String generate(Net net, Ops ops, String prompt, int count) {
        StringBuilder sb = new StringBuilder(prompt);
        String context = " ".repeat(Math.max(0, WINDOW - prompt.length())) + prompt;
        for (int k = 0; k < count; k++) {
            String all = context + sb.substring(prompt.length());
            String window = all.substring(all.length() - WINDOW);
            float[] x = new float[WINDOW * VOCAB.length()];
            encode(window, x, 0);
            Tensor scores = net.forward(Tensor.of(x, 1, WINDOW, VOCAB.length()), Mode.EVAL);
            sb.append(VOCAB.charAt(ops.argmax(scores, 1).toIntArray()[0]));
        }
        return sb.toString();
    }
}

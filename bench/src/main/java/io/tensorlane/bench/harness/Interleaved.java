package io.tensorlane.bench.harness;

import java.util.Arrays;
import java.util.Locale;

/**
 * tensorlane against the PyTorch anchor in alternating samples: round after round, one sample of our call,
 * then one of PyTorch's (the order swapped every other round), each about {@code sampleMs} long, the
 * median of its calls' times. On a shared machine the speed of a core changes from second to second (here
 * the vector units lose about half their throughput for seconds at a time); samples taken a few hundred
 * milliseconds apart see the same state, so the per-round ratio compares the libraries, where two runs a
 * minute apart often compare states. The result keeps every round.
 *
 * @param oursMs  our sample of each round (median per-call time, ms)
 * @param torchMs PyTorch's sample of each round, ms
 */
public record Interleaved(double[] oursMs, double[] torchMs) {
    public Interleaved {
        if (oursMs.length == 0 || oursMs.length != torchMs.length) {
            throw new IllegalArgumentException("Interleaved: need the same number (>= 1) of samples on both sides, got "
                    + oursMs.length + " and " + torchMs.length);
        }
        oursMs = oursMs.clone();
        torchMs = torchMs.clone();
    }

    /**
     * Runs {@code rounds} rounds of {@code ours} (already warmed up by the caller) against the workload of the
     * same name on the anchor (prepared here).
     */
    public static Interleaved run(Runnable ours, TorchAnchor torch, String workload, int rounds, double sampleMs) {
        return run(ours, torch, workload, workload, rounds, sampleMs);
    }

    /** {@link #run(Runnable, TorchAnchor, String, int, double)}, logged in {@link BenchLog} under {@code label}. */
    public static Interleaved run(Runnable ours, TorchAnchor torch, String workload, String label, int rounds, double sampleMs) {
        if (rounds < 1) throw new IllegalArgumentException("Interleaved: rounds must be >= 1, got " + rounds);
        if (!(sampleMs > 0)) throw new IllegalArgumentException("Interleaved: sampleMs must be > 0, got " + sampleMs);
        double torchCall = torch.prepare(workload);
        long t0 = System.nanoTime();
        ours.run();
        double oursCall = (System.nanoTime() - t0) / 1e6;
        int nOurs = calls(sampleMs, oursCall), nTorch = calls(sampleMs, torchCall);
        double[] o = new double[rounds], t = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                o[r] = Timer.sampleMs(ours, nOurs);
                t[r] = torch.sampleMs(workload, nTorch);
            } else {
                t[r] = torch.sampleMs(workload, nTorch);
                o[r] = Timer.sampleMs(ours, nOurs);
            }
        }
        Interleaved result = new Interleaved(o, t);
        BenchLog.versus(label, result);
        return result;
    }

    /** Calls per sample: enough for about {@code sampleMs}, at least 3. */
    static int calls(double sampleMs, double callMs) {
        double n = Math.ceil(sampleMs / Math.max(callMs, 1e-3));
        return (int) Math.max(3, Math.min(1_000_000, n));
    }

    /** The median of our samples, ms. */
    public double oursMedianMs() {
        return median(oursMs);
    }

    /** The median of PyTorch's samples, ms. */
    public double torchMedianMs() {
        return median(torchMs);
    }

    /** The per-round ratios ours / PyTorch (below 1: we are faster), sorted. */
    public double[] ratios() {
        double[] q = new double[oursMs.length];
        for (int i = 0; i < q.length; i++) q[i] = oursMs[i] / torchMs[i];
        Arrays.sort(q);
        return q;
    }

    /** The median per-round ratio ours / PyTorch. */
    public double medianRatio() {
        return median(ratios());
    }

    /**
     * One line for the report: both medians, the per-round ratio's median, quartiles and range, and the ratio of
     * the two medians (which pairs samples from different host states when the state changes often; the per-round
     * ratio pairs neighbours), e.g. {@code vs torch-1.13.0, 15 interleaved rounds: ours 5.210 ms, torch-1.13.0
     * 10.400 ms; ours/torch-1.13.0 per round: median 0.50 (quartiles 0.47-0.55, range 0.44-0.61); ratio of the
     * medians 0.50}.
     */
    public String summary(String impl) {
        double[] q = ratios();
        int n = q.length;
        return String.format(Locale.ROOT, "vs %s, %d interleaved rounds: ours %.3f ms, %s %.3f ms; ours/%s per round: "
                        + "median %.2f (quartiles %.2f-%.2f, range %.2f-%.2f); ratio of the medians %.2f", impl, n,
                oursMedianMs(), impl, torchMedianMs(), impl, median(q), q[(n - 1) / 4], q[n - 1 - (n - 1) / 4], q[0],
                q[n - 1], oursMedianMs() / torchMedianMs());
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}

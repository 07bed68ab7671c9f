package io.tensorlane.bench.targets;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The performance targets of issues 3-7, as the issues state them (1 thread unless stated; every ratio from
 * one run). Ratios against PyTorch are the per-round medians of {@code --torch}'s interleaved samples;
 * against OpenBLAS the medians of {@code bench gemm}'s interleaved rounds; against the copy baseline and the
 * scalar twins the rows of the same family run.
 */
public final class IssueTargets {
    private IssueTargets() {
    }

    /** The six convolution shapes of issue 5 (and of torch_anchor.py). */
    static final List<String> CONV_SHAPES = List.of("LeNet-A", "LeNet-B", "AlexNet-conv1", "ResNet-3x3", "ResNet-1x1", "Deep-3x3");
    /** SGEMM shapes of issue 4 held to 0.95x OpenBLAS. */
    static final List<String> GEMM_LARGE = List.of("256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
            "64x3136x576", "96x3025x363");
    /** SGEMM shapes held to 0.8x OpenBLAS. */
    static final List<String> GEMM_SMALL = List.of("64x64x64", "128x128x128");
    /** SGEMM shapes of the 2-thread scaling target. */
    static final List<String> GEMM_SCALING = List.of("512x512x512", "1024x1024x1024", "2048x2048x2048");
    static final String GEMV = "1x1000x4096";
    static final String ACT_N = "16777216";

    public static List<Target> all() {
        List<Target> t = new ArrayList<>();
        // issue 3: Foundation
        t.add(new Target("3", "relu fwd on 2^24 floats >= 0.8x the copy bandwidth", 0.8, false,
                m -> m.bandwidthRatio("relu fwd", ACT_N, "simd", "copy", ACT_N, "jdk")));
        t.add(new Target("3", "softmax fwd 256x1000 >= 2x PyTorch's speed", 2.0, false,
                m -> m.timesFaster("softmax fwd 256x1000")));
        for (String[] k : new String[][] {{"sigmoid fwd", ACT_N}, {"tanh fwd", ACT_N}, {"softmax fwd", "256x1000"}}) {
            t.add(new Target("3", k[0] + " SIMD >= 4x the scalar twin", 4.0, false, m -> m.speedup(k[0], k[1], "simd", "scalar")));
        }
        // issue 4: SGEMM
        for (String s : GEMM_LARGE) {
            t.add(new Target("4", "sgemm " + s + " >= 0.95x OpenBLAS", 0.95, false,
                    m -> m.speedup("sgemm", s, "tensorlane-simd", "openblas:")));
        }
        for (String s : GEMM_SMALL) {
            t.add(new Target("4", "sgemm " + s + " >= 0.8x OpenBLAS", 0.8, false,
                    m -> m.speedup("sgemm", s, "tensorlane-simd", "openblas:")));
        }
        t.add(new Target("4", "GEMV " + GEMV + " >= 1.0x OpenBLAS", 1.0, false,
                m -> m.speedup("sgemm", GEMV, "tensorlane-simd", "openblas:")));
        for (String s : GEMM_SCALING) {
            t.add(new Target("4", "sgemm " + s + " on 2 threads >= 1.85x its own 1 thread", 1.85, false, m -> {
                var one = m.row("sgemm", s, "tensorlane-simd", 1);
                var two = m.row("sgemm", s, "tensorlane-simd", 2);
                return one.isPresent() && two.isPresent()
                        ? OptionalDouble.of(one.get().medianMs() / two.get().medianMs()) : OptionalDouble.empty();
            }));
        }
        // issue 5: convolution and pooling
        for (String s : CONV_SHAPES) {
            t.add(new Target("5", "conv fwd " + s + " <= 1.0x PyTorch's time", 1.0, true, m -> m.ratio("conv2d fwd " + s)));
        }
        for (String s : CONV_SHAPES) {
            t.add(new Target("5", "conv fwd+bwd " + s + " <= 0.67x PyTorch's time", 0.67, true, m -> m.ratio("conv2d fwd+bwd " + s)));
        }
        t.add(new Target("5", "ResNet-3x3 fwd >= 0.8x the GFLOP/s of our 1024^3 SGEMM", 0.8, false, m -> {
            var conv = m.row("conv2d fwd", "ResNet-3x3", "simd", 1);
            var gemm = m.row("sgemm", "1024x1024x1024", "simd", 1);
            return conv.isPresent() && gemm.isPresent() && conv.get().gflops() != null && gemm.get().gflops() != null
                    ? OptionalDouble.of(conv.get().gflops() / gemm.get().gflops()) : OptionalDouble.empty();
        }));
        t.add(new Target("5", "maxpool fwd 8x64x112x112 >= 10x PyTorch's speed", 10.0, false,
                m -> m.timesFaster("maxpool2x2s2 fwd 8x64x112x112")));
        t.add(new Target("5", "maxpool fwd 8x64x112x112 >= 0.4x the copy bandwidth", 0.4, false,
                m -> m.bandwidthRatio("maxpool2x2s2 fwd", "8x64x112x112", "simd", "copy", "8x64x112x112", "jdk")));
        // issue 6: normalization, recurrent, optimizers
        t.add(new Target("6", "batchnorm train fwd+bwd 8x64x56x56 <= 0.5x PyTorch's time", 0.5, true,
                m -> m.ratio("batchnorm train fwd+bwd 8x64x56x56")));
        t.add(new Target("6", "LSTMCell fwd N64 D512 H512 <= 1.0x PyTorch's time", 1.0, true,
                m -> m.ratio("LSTMCell fwd N64 D512 H512")));
        t.add(new Target("6", "optimizer updates (slowest of five) >= 0.6x the copy bandwidth", 0.6, false, m -> {
            double worst = Double.POSITIVE_INFINITY;
            for (String u : List.of("sgd update", "sgd_momentum update", "nesterov update", "rmsprop update", "adam update")) {
                OptionalDouble r = m.bandwidthRatio(u, "4194304", "simd", "copy", "8388608", "jdk");
                if (r.isEmpty()) return OptionalDouble.empty();
                worst = Math.min(worst, r.getAsDouble());
            }
            return OptionalDouble.of(worst);
        }));
        // issue 7: training steps
        t.add(new Target("7", "LeNet-5 training step b64 <= 0.7x PyTorch's time", 0.7, true,
                m -> m.ratio("LeNet-5 step b64 1x28x28")));
        t.add(new Target("7", "digits-CNN training step b64 <= 0.7x PyTorch's time", 0.7, true,
                m -> m.ratio("digits-CNN step b64 1x8x8")));
        return List.copyOf(t);
    }
}

package io.tensorlane.layers.net;

import io.tensorlane.layers.Param;
import java.util.Map;

/** The text table of {@link Net#summary(long...)}. */
final class NetSummary {
    private NetSummary() {
    }

    static String of(Net net, long[] sampleShape) {
        Map<String, long[]> shapes = Shapes.infer(net, Shapes.withBatch(sampleShape));
        int w = Math.max(24, net.nodes().stream().mapToInt(n -> n.name().length() + n.layer().type().length() + 4).max().orElse(0));
        StringBuilder b = new StringBuilder();
        String fmt = "%-" + w + "s %-22s %12s%n";
        b.append(String.format(fmt, "Layer (type)", "Output shape", "Params"));
        b.append("-".repeat(w + 36)).append('\n');
        b.append(String.format(fmt, Net.INPUT, Shapes.show(shapes.get(Net.INPUT)), "0"));
        long total = 0;
        for (NetNode n : net.nodes()) {
            long p = 0;
            for (Param q : n.layer().params()) p += q.numel();
            total += p;
            b.append(String.format(fmt, n.name() + " (" + n.layer().type() + ")", Shapes.show(shapes.get(n.name())), String.format("%,d", p)));
        }
        b.append("-".repeat(w + 36)).append('\n');
        b.append(String.format("Total params: %,d%n", total));
        return b.toString();
    }
}

package io.tensorlane.layers.net;

import io.tensorlane.layers.Param;
import java.util.Map;

/** The Graphviz DOT text of {@link Net#toDot(long...)}: one box per node, one edge per input. */
final class DotExport {
    private DotExport() {
    }

    static String of(Net net, long[] sampleShape) {
        Map<String, long[]> shapes = sampleShape.length == 0 ? null : Shapes.infer(net, Shapes.withBatch(sampleShape));
        StringBuilder b = new StringBuilder("digraph net {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n");
        b.append("  ").append(q(Net.INPUT)).append(" [label=").append(q(Net.INPUT + (shapes == null ? "" : "\\n" + Shapes.show(shapes.get(Net.INPUT)))))
                .append(", shape=ellipse];\n");
        for (NetNode n : net.nodes()) {
            long p = 0;
            for (Param x : n.layer().params()) p += x.numel();
            String label = n.name() + "\\n" + n.layer().type() + (shapes == null ? "" : "\\n" + Shapes.show(shapes.get(n.name())))
                    + (p == 0 ? "" : "\\n" + p + " params");
            b.append("  ").append(q(n.name())).append(" [label=").append(q(label)).append("];\n");
        }
        for (NetNode n : net.nodes()) {
            for (String i : n.inputs()) b.append("  ").append(q(i)).append(" -> ").append(q(n.name())).append(";\n");
        }
        return b.append("}\n").toString();
    }

    /** A DOT string literal (quotes and backslashes that are not our \n escaped). */
    private static String q(String s) {
        return "\"" + s.replace("\"", "\\\"") + "\"";
    }
}

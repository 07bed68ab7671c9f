package io.tensorlane.bench.verify;

import java.util.List;

/** iou (pairwise box IoU) and nms (kept indices, compared exactly), through the Ops facade. */
final class DetectionGoldenOps {
    private DetectionGoldenOps() {
    }

    static List<GoldenOp> all() {
        return List.of(
                RecurrentGoldenOps.op("iou", (c, ops, check) -> check.tensor("out", c.output("out"),
                        ops.iou(c.input("boxes_a").toTensor(), c.input("boxes_b").toTensor()))),
                RecurrentGoldenOps.op("nms", (c, ops, check) -> {
                    double thr = c.param("iou_threshold", Double.NaN);
                    if (Double.isNaN(thr)) throw new MalformedCaseException(c.file() + ": nms needs param iou_threshold");
                    check.tensor("keep", c.output("keep"),
                            ops.nms(c.input("boxes").toTensor(), c.input("scores").toTensor(), (float) thr));
                }));
    }
}

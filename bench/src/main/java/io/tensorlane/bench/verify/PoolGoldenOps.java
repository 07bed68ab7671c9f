package io.tensorlane.bench.verify;

import io.tensorlane.kernels.Pool2dDesc;
import io.tensorlane.kernels.RoiPoolDesc;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.PoolResult;
import io.tensorlane.runtime.Tensor;
import java.util.List;

/** maxpool2d, avgpool2d, global_avgpool, max_unpool2d and roi_pool (issue 5), forward and backward. */
final class PoolGoldenOps {
    private PoolGoldenOps() {
    }

    /** One golden op from a name and a body. */
    private record Op(String name, Body body) implements GoldenOp {
        @Override
        public void run(GoldenCase c, Ops ops, Checker check) {
            body.run(c, ops, check);
        }
    }

    private interface Body {
        void run(GoldenCase c, Ops ops, Checker check);
    }

    private static int i(GoldenCase c, String name, int fallback) {
        return (int) c.param(name, fallback);
    }

    static Pool2dDesc window(GoldenCase c) {
        int kh = i(c, "kh", -1), kw = i(c, "kw", -1);
        return Pool2dDesc.of(kh, kw).stride(i(c, "stride_h", kh), i(c, "stride_w", kw)).pad(i(c, "pad_h", 0), i(c, "pad_w", 0));
    }

    static List<GoldenOp> all() {
        return List.of(
                new Op("maxpool2d", (c, ops, check) -> {
                    Pool2dDesc d = window(c);
                    Tensor x = c.input("x").toTensor();
                    PoolResult r = ops.maxPool2d(x, d);
                    check.tensor("out", c.output("out"), r.out());
                    check.tensor("indices", c.output("indices"), r.indices());
                    if (c.grads().containsKey("dx")) {
                        check.tensor("dx", c.grad("dx"), ops.maxPool2dBackward(c.input("dout").toTensor(), r.indices(), d, x.shape()));
                    }
                }),
                new Op("avgpool2d", (c, ops, check) -> {
                    Pool2dDesc d = window(c);
                    Tensor x = c.input("x").toTensor();
                    check.tensor("out", c.output("out"), ops.avgPool2d(x, d));
                    if (c.grads().containsKey("dx")) {
                        check.tensor("dx", c.grad("dx"), ops.avgPool2dBackward(c.input("dout").toTensor(), d, x.shape()));
                    }
                }),
                new Op("global_avgpool", (c, ops, check) -> {
                    Tensor x = c.input("x").toTensor();
                    check.tensor("out", c.output("out"), ops.globalAvgPool(x));
                    if (c.grads().containsKey("dx")) {
                        check.tensor("dx", c.grad("dx"), ops.globalAvgPoolBackward(c.input("dout").toTensor(), x.shape()));
                    }
                }),
                new Op("max_unpool2d", (c, ops, check) -> {
                    Tensor x = c.input("x").toTensor(), idx = c.input("indices").toTensor();
                    check.tensor("out", c.output("out"), ops.maxUnpool2d(x, idx, i(c, "H", -1), i(c, "W", -1)));
                    if (c.grads().containsKey("dx")) {
                        check.tensor("dx", c.grad("dx"), ops.maxUnpool2dBackward(c.input("dout").toTensor(), idx));
                    }
                }),
                new Op("roi_pool", (c, ops, check) -> {
                    // The corpus follows Caffe, malformed ROIs (x2 < x1) included: they become one pixel.
                    RoiPoolDesc d = RoiPoolDesc.of(i(c, "pooled_h", -1), i(c, "pooled_w", -1),
                            (float) c.param("spatial_scale", Double.NaN)).clampMalformed(true);
                    Tensor x = c.input("x").toTensor(), rois = c.input("rois").toTensor();
                    PoolResult r = ops.roiPool(x, rois, d);
                    check.tensor("out", c.output("out"), r.out());
                    check.tensor("argmax", c.output("argmax"), r.indices());
                    if (c.grads().containsKey("dx")) {
                        check.tensor("dx", c.grad("dx"), ops.roiPoolBackward(c.input("dout").toTensor(), r.indices(), rois, d, x.shape()));
                    }
                }));
    }
}

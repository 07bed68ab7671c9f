package io.tensorlane.bench.verify;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.ConvTranspose2dDesc;
import io.tensorlane.runtime.Grads;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.util.List;

/** affine, im2col(_batch), col2im(_batch), conv2d and conv_transpose2d, forward and (where the case has grads) backward. */
final class ConvGoldenOps {
    private ConvGoldenOps() {
    }

    static List<GoldenOp> all() {
        return List.of(
                op("affine", (c, ops, check) -> {
                    Tensor x = c.input("x").toTensor(), w = c.input("w").toTensor(), b = c.input("b").toTensor();
                    check.tensor("out", c.output("out"), ops.affine(x, w, b));
                    if (!c.grads().isEmpty()) grads(c, check, ops.affineBackward(x, w, c.input("dout").toTensor()));
                }),
                op("im2col", (c, ops, check) ->
                        check.tensor("out", c.output("out"), ops.im2col(c.input("x").toTensor(), conv(c)))),
                op("im2col_batch", (c, ops, check) ->
                        check.tensor("out", c.output("out"), ops.im2col(c.input("x").toTensor(), conv(c)))),
                op("col2im", (c, ops, check) -> check.tensor("out", c.output("out"),
                        ops.col2im(c.input("cols").toTensor(), conv(c), req(c, "H"), req(c, "W")))),
                op("col2im_batch", (c, ops, check) -> check.tensor("out", c.output("out"),
                        ops.col2im(c.input("cols").toTensor(), conv(c), req(c, "H"), req(c, "W")))),
                op("conv2d", (c, ops, check) -> {
                    Tensor x = c.input("x").toTensor(), w = c.input("w").toTensor();
                    Tensor b = c.inputs().containsKey("b") ? c.input("b").toTensor() : null;
                    Conv2dDesc d = conv(c).groups((int) c.param("groups", 1));
                    check.tensor("out", c.output("out"), ops.conv2d(x, w, b, d));
                    if (!c.grads().isEmpty()) grads(c, check, ops.conv2dBackward(x, w, c.input("dout").toTensor(), d));
                }),
                op("conv_transpose2d", (c, ops, check) -> {
                    Tensor x = c.input("x").toTensor(), w = c.input("w").toTensor();
                    Tensor b = c.inputs().containsKey("b") ? c.input("b").toTensor() : null;
                    ConvTranspose2dDesc d = ConvTranspose2dDesc.of(req(c, "kh"), req(c, "kw"))
                            .stride(req(c, "stride_h"), req(c, "stride_w")).pad(req(c, "pad_h"), req(c, "pad_w"))
                            .dilation((int) c.param("dilation_h", 1), (int) c.param("dilation_w", 1))
                            .groups((int) c.param("groups", 1))
                            .outputPadding((int) c.param("output_padding_h", 0), (int) c.param("output_padding_w", 0));
                    check.tensor("out", c.output("out"), ops.convTranspose2d(x, w, b, d));
                    if (!c.grads().isEmpty()) grads(c, check, ops.convTranspose2dBackward(x, w, c.input("dout").toTensor(), d));
                }));
    }

    private interface Body {
        void run(GoldenCase c, Ops ops, Checker check);
    }

    private static GoldenOp op(String name, Body body) {
        return new GoldenOp() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void run(GoldenCase c, Ops ops, Checker check) {
                body.run(c, ops, check);
            }
        };
    }

    /** Kernel, stride, padding and (when given) dilation from the case's params. */
    private static Conv2dDesc conv(GoldenCase c) {
        return Conv2dDesc.of(req(c, "kh"), req(c, "kw")).stride(req(c, "stride_h"), req(c, "stride_w"))
                .pad(req(c, "pad_h"), req(c, "pad_w"))
                .dilation((int) c.param("dilation_h", 1), (int) c.param("dilation_w", 1));
    }

    private static int req(GoldenCase c, String name) {
        double v = c.param(name, Double.NaN);
        if (Double.isNaN(v)) throw new MalformedCaseException(c.file() + ": " + c.op() + " needs param " + name);
        return (int) v;
    }

    private static void grads(GoldenCase c, Checker check, Grads g) {
        if (c.grads().containsKey("dx")) check.tensor("dx", c.grad("dx"), g.dx());
        if (c.grads().containsKey("dw")) check.tensor("dw", c.grad("dw"), g.dw());
        if (c.grads().containsKey("db")) check.tensor("db", c.grad("db"), g.db());
    }
}

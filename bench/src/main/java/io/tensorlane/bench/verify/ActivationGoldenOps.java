package io.tensorlane.bench.verify;

import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.util.List;

/** relu, leaky_relu, sigmoid, tanh: forward {@code out} and {@code dx = dout * f'}. */
final class ActivationGoldenOps {
    private ActivationGoldenOps() {
    }

    static List<GoldenOp> all() {
        return List.of(
                op("relu", (ops, c, x) -> ops.relu(x), (ops, c, x, y, d) -> ops.reluBackward(x, d)),
                op("leaky_relu", (ops, c, x) -> ops.leakyRelu(x, (float) c.param("negative_slope", 0.01)),
                        (ops, c, x, y, d) -> ops.leakyReluBackward(x, d, (float) c.param("negative_slope", 0.01))),
                op("sigmoid", (ops, c, x) -> ops.sigmoid(x), (ops, c, x, y, d) -> ops.sigmoidBackward(y, d)),
                op("tanh", (ops, c, x) -> ops.tanh(x), (ops, c, x, y, d) -> ops.tanhBackward(y, d)));
    }

    interface Fwd {
        Tensor run(Ops ops, GoldenCase c, Tensor x);
    }

    interface Bwd {
        Tensor run(Ops ops, GoldenCase c, Tensor x, Tensor y, Tensor dout);
    }

    static GoldenOp op(String name, Fwd fwd, Bwd bwd) {
        return new GoldenOp() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void run(GoldenCase c, Ops ops, Checker check) {
                Tensor x = c.input("x").toTensor();
                Tensor y = fwd.run(ops, c, x);
                check.tensor("out", c.output("out"), y);
                if (c.grads().containsKey("dx")) {
                    check.tensor("dx", c.grad("dx"), bwd.run(ops, c, x, y, c.input("dout").toTensor()));
                }
            }
        };
    }
}

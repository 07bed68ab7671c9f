package io.tensorlane.bench.verify;

import io.tensorlane.runtime.Tensor;
import java.util.List;

/** softmax and log_softmax along {@code axis} (default -1), forward and backward. */
final class SoftmaxGoldenOps {
    private SoftmaxGoldenOps() {
    }

    static List<GoldenOp> all() {
        return List.of(new GoldenOp() {
            @Override
            public String name() {
                return "softmax";
            }

            @Override
            public void run(GoldenCase c, io.tensorlane.runtime.Ops ops, Checker check) {
                int axis = (int) c.param("axis", -1);
                Tensor y = ops.softmax(c.input("x").toTensor(), axis);
                check.tensor("out", c.output("out"), y);
                if (c.grads().containsKey("dx")) {
                    check.tensor("dx", c.grad("dx"), ops.softmaxBackward(y, c.input("dout").toTensor(), axis));
                }
            }
        }, new GoldenOp() {
            @Override
            public String name() {
                return "log_softmax";
            }

            @Override
            public void run(GoldenCase c, io.tensorlane.runtime.Ops ops, Checker check) {
                int axis = (int) c.param("axis", -1);
                Tensor y = ops.logSoftmax(c.input("x").toTensor(), axis);
                check.tensor("out", c.output("out"), y);
                if (c.grads().containsKey("dx")) {
                    check.tensor("dx", c.grad("dx"), ops.logSoftmaxBackward(y, c.input("dout").toTensor(), axis));
                }
            }
        });
    }
}

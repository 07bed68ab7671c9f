package io.tensorlane.bench.verify;

import io.tensorlane.kernels.MseReduction;
import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Ops;
import java.util.List;

/** softmax_loss, svm_loss, mse_loss, sigmoid_bce_loss: the scalar {@code loss} and its gradient. */
final class LossGoldenOps {
    private LossGoldenOps() {
    }

    interface Loss {
        LossResult run(Ops ops, GoldenCase c);
    }

    static GoldenOp op(String name, String gradName, Loss loss) {
        return new GoldenOp() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void run(GoldenCase c, Ops ops, Checker check) {
                LossResult r = loss.run(ops, c);
                check.scalar("loss", c.output("loss"), r.loss());
                if (c.grads().containsKey(gradName)) check.tensor(gradName, c.grad(gradName), r.grad());
            }
        };
    }

    static List<GoldenOp> all() {
        return List.of(
                op("softmax_loss", "dx", (ops, c) -> ops.softmaxCrossEntropy(c.input("x").toTensor(), c.input("y").toTensor())),
                op("svm_loss", "dx", (ops, c) -> ops.svmLoss(c.input("x").toTensor(), c.input("y").toTensor(),
                        (float) c.param("margin", 1.0))),
                op("mse_loss", "dpred", (ops, c) -> ops.mseLoss(c.input("pred").toTensor(), c.input("target").toTensor(),
                        MseReduction.parse(c.string("reduction", "mean")))),
                op("sigmoid_bce_loss", "dx", (ops, c) -> {
                    String red = c.string("reduction", "mean");
                    if (!red.equals("mean")) throw new MalformedCaseException(c.file() + ": sigmoid_bce_loss reduction '" + red + "' is not supported (mean)");
                    return ops.sigmoidBceLoss(c.input("x").toTensor(), c.input("target").toTensor());
                }));
    }
}

package io.tensorlane.bench.verify;

import io.tensorlane.runtime.BatchNormGrads;
import io.tensorlane.runtime.BatchNormResult;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.util.List;

/**
 * batchnorm_train(_spatial), batchnorm_eval(_spatial) (forward and backward) and dropout (explicit mask,
 * forward and backward), through the Ops facade. The per-feature and spatial variants run the same Ops calls:
 * the layout follows x's rank.
 */
final class NormGoldenOps {
    private NormGoldenOps() {
    }

    static List<GoldenOp> all() {
        return List.of(train("batchnorm_train"), train("batchnorm_train_spatial"),
                eval("batchnorm_eval"), eval("batchnorm_eval_spatial"), dropout());
    }

    private static GoldenOp train(String name) {
        return new GoldenOp() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void run(GoldenCase c, Ops ops, Checker check) {
                float eps = (float) c.param("eps", 1e-5), momentum = (float) c.param("momentum", 0.9);
                Tensor x = c.input("x").toTensor(), gamma = c.input("gamma").toTensor();
                Tensor rm = c.input("running_mean").toTensor(), rv = c.input("running_var").toTensor();
                BatchNormResult r = ops.batchNormTrain(x, gamma, c.input("beta").toTensor(), rm, rv, momentum, eps);
                check.tensor("out", c.output("out"), r.out());
                check.tensor("batch_mean", c.output("batch_mean"), r.mean());
                check.tensor("batch_var", c.output("batch_var"), r.var());
                check.tensor("running_mean", c.output("running_mean"), rm);
                check.tensor("running_var", c.output("running_var"), rv);
                BatchNormGrads g = ops.batchNormBackward(x, c.input("dout").toTensor(), gamma, r.mean(), r.var(), eps);
                check.tensor("dx", c.grad("dx"), g.dx());
                check.tensor("dgamma", c.grad("dgamma"), g.dgamma());
                check.tensor("dbeta", c.grad("dbeta"), g.dbeta());
            }
        };
    }

    private static GoldenOp eval(String name) {
        return new GoldenOp() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void run(GoldenCase c, Ops ops, Checker check) {
                float eps = (float) c.param("eps", 1e-5);
                Tensor x = c.input("x").toTensor(), gamma = c.input("gamma").toTensor();
                Tensor rm = c.input("running_mean").toTensor(), rv = c.input("running_var").toTensor();
                check.tensor("out", c.output("out"), ops.batchNormEval(x, gamma, c.input("beta").toTensor(), rm, rv, eps));
                BatchNormGrads g = ops.batchNormEvalBackward(x, c.input("dout").toTensor(), gamma, rm, rv, eps);
                check.tensor("dx", c.grad("dx"), g.dx());
                check.tensor("dgamma", c.grad("dgamma"), g.dgamma());
                check.tensor("dbeta", c.grad("dbeta"), g.dbeta());
            }
        };
    }

    private static GoldenOp dropout() {
        return new GoldenOp() {
            @Override
            public String name() {
                return "dropout";
            }

            @Override
            public void run(GoldenCase c, Ops ops, Checker check) {
                String mode = c.string("mode", "train");
                if (!mode.equals("train")) throw new MalformedCaseException(c.file() + ": dropout mode '" + mode + "' (only train has cases)");
                float p = (float) c.param("p", Double.NaN);
                Tensor mask = c.input("mask").toTensor();
                check.tensor("out", c.output("out"), ops.dropoutWithMask(c.input("x").toTensor(), mask, p));
                check.tensor("dx", c.grad("dx"), ops.dropoutBackward(c.input("dout").toTensor(), mask, p));
            }
        };
    }
}

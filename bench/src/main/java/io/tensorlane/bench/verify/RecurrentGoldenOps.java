package io.tensorlane.bench.verify;

import io.tensorlane.runtime.LstmOutput;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.RecurrentGrads;
import io.tensorlane.runtime.Tensor;
import java.util.List;

/** rnn_step, rnn_seq, lstm_step, lstm_seq: forward outputs and every grad, through {@link Ops}. */
final class RecurrentGoldenOps {
    private RecurrentGoldenOps() {
    }

    interface Body {
        void run(GoldenCase c, Ops ops, Checker check);
    }

    static GoldenOp op(String name, Body body) {
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

    private static Tensor in(GoldenCase c, String name) {
        return c.input(name).toTensor();
    }

    private static void gateOrder(GoldenCase c) {
        String order = c.string("gate_order", "i,f,o,g");
        if (!order.equals("i,f,o,g")) {
            throw new MalformedCaseException(c.file() + ": gate_order '" + order + "' is not supported (i,f,o,g)");
        }
    }

    static List<GoldenOp> all() {
        return List.of(
                op("rnn_step", (c, ops, check) -> {
                    Tensor x = in(c, "x"), h = in(c, "prev_h"), wx = in(c, "Wx"), wh = in(c, "Wh");
                    Tensor next = ops.rnnStep(x, h, wx, wh, in(c, "b"));
                    check.tensor("next_h", c.output("next_h"), next);
                    RecurrentGrads g = ops.rnnStepBackward(x, h, wx, wh, next, in(c, "dnext_h"));
                    check.tensor("dx", c.grad("dx"), g.dx());
                    check.tensor("dprev_h", c.grad("dprev_h"), g.dh0());
                    weights(c, check, g);
                }),
                op("rnn_seq", (c, ops, check) -> {
                    Tensor x = in(c, "x"), h0 = in(c, "h0"), wx = in(c, "Wx"), wh = in(c, "Wh");
                    Tensor h = ops.rnnSeq(x, h0, wx, wh, in(c, "b"));
                    check.tensor("h", c.output("h"), h);
                    RecurrentGrads g = ops.rnnSeqBackward(x, h0, wx, wh, h, in(c, "dh"));
                    check.tensor("dx", c.grad("dx"), g.dx());
                    check.tensor("dh0", c.grad("dh0"), g.dh0());
                    weights(c, check, g);
                }),
                op("lstm_step", (c, ops, check) -> {
                    gateOrder(c);
                    Tensor x = in(c, "x"), h = in(c, "prev_h"), cc = in(c, "prev_c"), wx = in(c, "Wx"), wh = in(c, "Wh");
                    LstmOutput out = ops.lstmStep(x, h, cc, wx, wh, in(c, "b"));
                    check.tensor("next_h", c.output("next_h"), out.h());
                    check.tensor("next_c", c.output("next_c"), out.c());
                    RecurrentGrads g = ops.lstmStepBackward(x, h, cc, wx, wh, out, in(c, "dnext_h"), in(c, "dnext_c"));
                    check.tensor("dx", c.grad("dx"), g.dx());
                    check.tensor("dprev_h", c.grad("dprev_h"), g.dh0());
                    check.tensor("dprev_c", c.grad("dprev_c"), g.dc0());
                    weights(c, check, g);
                }),
                op("lstm_seq", (c, ops, check) -> {
                    gateOrder(c);
                    Tensor x = in(c, "x"), h0 = in(c, "h0"), wx = in(c, "Wx"), wh = in(c, "Wh");
                    LstmOutput out = ops.lstmSeq(x, h0, null, wx, wh, in(c, "b")); // c0 = 0 in these cases
                    check.tensor("h", c.output("h"), out.h());
                    if (c.outputs().containsKey("c")) check.tensor("c", c.output("c"), out.c());
                    RecurrentGrads g = ops.lstmSeqBackward(x, h0, null, wx, wh, out, in(c, "dh"), null);
                    check.tensor("dx", c.grad("dx"), g.dx());
                    check.tensor("dh0", c.grad("dh0"), g.dh0());
                    weights(c, check, g);
                }));
    }

    private static void weights(GoldenCase c, Checker check, RecurrentGrads g) {
        check.tensor("dWx", c.grad("dWx"), g.dWx());
        check.tensor("dWh", c.grad("dWh"), g.dWh());
        check.tensor("db", c.grad("db"), g.db());
    }
}

package io.tensorlane.bench.verify;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Layer;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.nn.Add;
import io.tensorlane.layers.nn.Linear;
import io.tensorlane.layers.nn.Mul;
import io.tensorlane.layers.nn.Sigmoid;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * gradcheck: the course's staged-backprop examples, each computed stage by stage with the layers'
 * forward and backward (no autograd): the forward pass runs the stages in order, the backward pass
 * runs their backwards in reverse from df/df = 1, summing the gradients of a value used twice, exactly
 * as the notes do by hand. The case's function is known by its inputs:
 * <ul>
 * <li>{@code w, x}: {@code sigmoid(w0*x0 + w1*x1 + w2)}: a {@link Linear} 2 -> 1 (weight w0, w1, bias w2)
 * and a {@link Sigmoid}; dw = (weight grad, bias grad).</li>
 * <li>{@code x, y, z}: {@code (x + y) * z}: {@link Add}, {@link Mul}.</li>
 * <li>{@code x, y}: {@code (x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)}: sigmoids, adds, a square as
 * {@link Mul} of a value with itself, a reciprocal and a product.</li>
 * </ul>
 */
final class GradcheckGoldenOp implements GoldenOp {
    @Override
    public String name() {
        return "gradcheck";
    }

    @Override
    public void run(GoldenCase c, Ops ops, Checker check) {
        Set<String> in = new TreeSet<>(c.inputs().keySet());
        if (in.equals(Set.of("w", "x"))) {
            sigmoidNeuron(c, ops, check);
        } else if (in.equals(Set.of("x", "y", "z"))) {
            addMul(c, ops, check);
        } else if (in.equals(Set.of("x", "y"))) {
            staged(c, ops, check);
        } else {
            throw new MalformedCaseException(c.file() + ": gradcheck has no example with inputs " + in
                    + " (known: [w, x] sigmoid neuron, [x, y, z] add-mul, [x, y] staged)");
        }
    }

    private static Tensor scalarInput(GoldenCase c, String name) {
        GoldenTensor t = c.input(name);
        if (t.numel() != 1) throw new MalformedCaseException(c.file() + ": gradcheck input " + name + " must hold one value, is " + t);
        return Tensor.of(t.floats().clone(), 1, 1);
    }

    private static <L extends Layer> L on(Ops ops, L layer) {
        layer.setOps(ops);
        return layer;
    }

    private static Tensor one() {
        return Tensor.of(new float[] {1f}, 1, 1);
    }

    private static float value(Tensor t) {
        return t.contiguous().toFloatArray()[0];
    }

    /** A gradient (1, 1) shaped like the case's input (shape [1]). */
    private static Tensor like(GoldenCase c, String input, Tensor g) {
        return Tensor.of(g.contiguous().toFloatArray(), c.input(input).shape());
    }

    private static void sigmoidNeuron(GoldenCase c, Ops ops, Checker check) {
        GoldenTensor w = c.input("w"), x = c.input("x");
        if (w.numel() != 3 || x.numel() != 2) {
            throw new MalformedCaseException(c.file() + ": gradcheck sigmoid neuron needs w[3] and x[2], got " + w + ", " + x);
        }
        Linear dot = on(ops, new Linear(2, 1, new Random(0)));
        dot.weight().value().setFloat(w.floats()[0], 0, 0);
        dot.weight().value().setFloat(w.floats()[1], 1, 0);
        dot.bias().value().setFloat(w.floats()[2], 0);
        Sigmoid sig = on(ops, new Sigmoid());
        Tensor xs = Tensor.of(x.floats().clone(), 1, 2);

        Tensor f = sig.forward(dot.forward(xs, Mode.TRAIN), Mode.TRAIN);
        check.scalar("out", c.output("out"), value(f));
        dot.weight().zeroGrad();
        dot.bias().zeroGrad();
        Tensor dx = dot.backward(sig.backward(one()));
        float[] dw = {dot.weight().grad().getFloat(0, 0), dot.weight().grad().getFloat(1, 0), dot.bias().grad().getFloat(0)};
        check.tensor("dw", c.grad("dw"), Tensor.of(dw, 3));
        check.tensor("dx", c.grad("dx"), Tensor.of(dx.contiguous().toFloatArray(), 2));
    }

    private static void addMul(GoldenCase c, Ops ops, Checker check) {
        Tensor x = scalarInput(c, "x"), y = scalarInput(c, "y"), z = scalarInput(c, "z");
        Add add = on(ops, new Add());
        Mul mul = on(ops, new Mul());
        Tensor q = add.forward(List.of(x, y), Mode.TRAIN);                 // q = x + y
        Tensor f = mul.forward(List.of(q, z), Mode.TRAIN);                 // f = q * z
        check.scalar("out", c.output("out"), value(f));
        List<Tensor> dqz = mul.backwardAll(one());                         // df/dq = z, df/dz = q
        List<Tensor> dxy = add.backwardAll(dqz.get(0));                    // dq/dx = dq/dy = 1
        check.tensor("dx", c.grad("dx"), like(c, "x", dxy.get(0)));
        check.tensor("dy", c.grad("dy"), like(c, "y", dxy.get(1)));
        check.tensor("dz", c.grad("dz"), like(c, "z", dqz.get(1)));
    }

    private static void staged(GoldenCase c, Ops ops, Checker check) {
        Tensor x = scalarInput(c, "x"), y = scalarInput(c, "y");
        Sigmoid sigY = on(ops, new Sigmoid()), sigX = on(ops, new Sigmoid());
        Add numAdd = on(ops, new Add()), xpyAdd = on(ops, new Add()), denAdd = on(ops, new Add());
        Mul square = on(ops, new Mul()), product = on(ops, new Mul());
        Reciprocal inv = on(ops, new Reciprocal());

        // forward, stage by stage (the names of the course notes)
        Tensor sigy = sigY.forward(y, Mode.TRAIN);                          // sigmoid(y)
        Tensor num = numAdd.forward(List.of(x, sigy), Mode.TRAIN);          // x + sigmoid(y)
        Tensor sigx = sigX.forward(x, Mode.TRAIN);                          // sigmoid(x)
        Tensor xpy = xpyAdd.forward(List.of(x, y), Mode.TRAIN);             // x + y
        Tensor xpysqr = square.forward(List.of(xpy, xpy), Mode.TRAIN);      // (x + y)^2
        Tensor den = denAdd.forward(List.of(sigx, xpysqr), Mode.TRAIN);     // sigmoid(x) + (x + y)^2
        Tensor invden = inv.forward(den, Mode.TRAIN);                       // 1 / den
        Tensor f = product.forward(List.of(num, invden), Mode.TRAIN);       // num * invden
        check.scalar("out", c.output("out"), value(f));

        // backward, in reverse; a value used twice gets the sum of its gradients
        List<Tensor> dNumInv = product.backwardAll(one());
        Tensor dden = inv.backward(dNumInv.get(1));
        List<Tensor> dSigxSqr = denAdd.backwardAll(dden);
        List<Tensor> dXpy = square.backwardAll(dSigxSqr.get(1));
        Tensor dxpy = ops.add(dXpy.get(0), dXpy.get(1));
        List<Tensor> dXY = xpyAdd.backwardAll(dxpy);
        Tensor dxFromSig = sigX.backward(dSigxSqr.get(0));
        List<Tensor> dXSigy = numAdd.backwardAll(dNumInv.get(0));
        Tensor dyFromSig = sigY.backward(dXSigy.get(1));
        Tensor dx = ops.add(ops.add(dXSigy.get(0), dxFromSig), dXY.get(0));
        Tensor dy = ops.add(dyFromSig, dXY.get(1));
        check.tensor("dx", c.grad("dx"), like(c, "x", dx));
        check.tensor("dy", c.grad("dy"), like(c, "y", dy));
    }

    /**
     * 1 / x elementwise, backward -dOut / x^2: a user-defined layer (one class, as the README shows).
     * Ops has no division, so it computes on the host, which is fine for these few scalars.
     */
    static final class Reciprocal extends AbstractLayer {
        private float[] x;

        @Override
        public String type() { return "reciprocal"; }

        @Override
        public long[] outputShape(long[] in) { return in.clone(); }

        @Override
        public Tensor forward(Tensor in, Mode mode) {
            x = in.contiguous().toFloatArray();
            float[] y = new float[x.length];
            for (int i = 0; i < y.length; i++) y[i] = 1f / x[i];
            return Tensor.of(y, in.shape());
        }

        @Override
        public Tensor backward(Tensor dOut) {
            requireForward(x);
            float[] d = dOut.contiguous().toFloatArray();
            for (int i = 0; i < d.length; i++) d[i] = -d[i] / (x[i] * x[i]);
            return Tensor.of(d, dOut.shape());
        }
    }
}

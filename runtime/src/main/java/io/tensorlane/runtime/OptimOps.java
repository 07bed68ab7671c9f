package io.tensorlane.runtime;

import io.tensorlane.kernels.Checks;
import io.tensorlane.kernels.OptimizerKernels;
import io.tensorlane.kernels.Optimizers;
import io.tensorlane.kernels.Parallelism;
import java.util.List;

/**
 * Validation and dispatch of the fused optimizer updates and gradient-norm clipping for {@link Ops} (issue 6).
 * w and the state tensors are updated in place (contiguous, writable, the shape of w); g may have any layout.
 * Non-finite rule: a gradient with any NaN or infinity skips the step (nothing changes, the method returns false).
 */
final class OptimOps {
    private static final long CHUNK = 1 << 16;

    private final OptimizerKernels k;
    private final Parallelism par;

    OptimOps(Device device, Parallelism par) {
        this.k = device.kernels().optim();
        this.par = par;
    }

    private interface Update {
        /** Elements [from, to): g the gradient, t[0] the weights and t[1..] the state, as the kernels may touch them (native). */
        void run(long from, long to, Tensor g, Tensor[] t);
    }

    /**
     * Checks w, g and the state tensors, then returns false when g is not all finite, else runs the update
     * over fixed chunks and returns true.
     */
    private boolean step(String op, Tensor w, Tensor g, String[] stateNames, Tensor[] state, Update u) {
        NormOps.writable(op, "w", NormOps.f32(op, "w", w), w.shape(), "it has");
        NormOps.f32(op, "g", g);
        NormOps.sameShape(op, "w", w, "g", g);
        for (int i = 0; i < state.length; i++) {
            NormOps.f32(op, stateNames[i], state[i]);
            NormOps.sameShape(op, "w", w, stateNames[i], state[i]);
            NormOps.writable(op, stateNames[i], state[i], w.shape(), "w has");
        }
        Tensor[] all = new Tensor[state.length + 2];
        String[] names = new String[state.length + 2];
        all[0] = w;
        names[0] = "w";
        all[1] = g;
        names[1] = "g";
        for (int i = 0; i < state.length; i++) {
            all[i + 2] = state[i];
            names[i + 2] = stateNames[i];
        }
        long n = w.numel();
        for (int a = 0; a < all.length; a++) {
            for (int b = a + 1; b < all.length; b++) {
                if (n == 0 || !all[a].isContiguous() || !all[b].isContiguous()) continue;
                Checks.disjoint(op, names[a], all[a].segment(), all[a].offset(), n, Float.BYTES,
                        names[b], all[b].segment(), all[b].offset(), n, Float.BYTES);
            }
        }
        Tensor cg = g.contiguousScratch();
        // w and the state are read and written: heap ones through native stand-ins (see Tensor)
        Tensor[] s = new Tensor[state.length + 1];
        s[0] = w.nativeOutput(true);
        for (int i = 0; i < state.length; i++) s[i + 1] = state[i].nativeOutput(true);
        Tensor[] touched = new Tensor[all.length];
        touched[0] = s[0];
        touched[1] = cg;
        for (int i = 0; i < state.length; i++) touched[i + 2] = s[i + 1];
        Parallelism p = NormOps.parFor(par, touched);
        boolean finite = Optimizers.allFinite(k, n, cg.segment(), cg.offset(), p);
        if (finite) p.parallelFor(0, n, CHUNK, (a, b) -> u.run(a, b, cg, s));
        if (finite) {
            w.copyBack(s[0]);
            for (int i = 0; i < state.length; i++) state[i].copyBack(s[i + 1]);
        } else {
            Tensor.releaseCopy(w, s[0]);
            for (int i = 0; i < state.length; i++) Tensor.releaseCopy(state[i], s[i + 1]);
        }
        Tensor.releaseCopy(g, cg);
        return finite;
    }

    boolean sgd(Tensor w, Tensor g, float lr, float wd) {
        String op = "sgdStep";
        Optimizers.checkLr(op, lr);
        Optimizers.checkWeightDecay(op, wd);
        return step(op, w, g, new String[0], new Tensor[0], (a, b, cg, st) ->
                k.sgd(b - a, lr, wd, st[0].segment(), st[0].offset() + a, cg.segment(), cg.offset() + a));
    }

    boolean momentum(boolean nesterov, Tensor w, Tensor g, Tensor v, float lr, float mu, float wd) {
        String op = nesterov ? "nesterovStep" : "momentumStep";
        Optimizers.checkLr(op, lr);
        Optimizers.checkUnit(op, "momentum", mu);
        Optimizers.checkWeightDecay(op, wd);
        return step(op, w, g, new String[] {"v"}, new Tensor[] {v}, (a, b, cg, st) -> k.momentum(b - a, nesterov, lr, mu, wd,
                st[0].segment(), st[0].offset() + a, cg.segment(), cg.offset() + a, st[1].segment(), st[1].offset() + a));
    }

    boolean adagrad(Tensor w, Tensor g, Tensor cache, float lr, float eps, float wd) {
        String op = "adagradStep";
        Optimizers.checkLr(op, lr);
        Optimizers.checkEps(op, eps);
        Optimizers.checkWeightDecay(op, wd);
        return step(op, w, g, new String[] {"cache"}, new Tensor[] {cache}, (a, b, cg, st) -> k.adagrad(b - a, lr, eps, wd,
                st[0].segment(), st[0].offset() + a, cg.segment(), cg.offset() + a, st[1].segment(), st[1].offset() + a));
    }

    boolean rmsprop(Tensor w, Tensor g, Tensor cache, float lr, float decay, float eps, float wd) {
        String op = "rmspropStep";
        Optimizers.checkLr(op, lr);
        Optimizers.checkUnit(op, "decayRate", decay);
        Optimizers.checkEps(op, eps);
        Optimizers.checkWeightDecay(op, wd);
        return step(op, w, g, new String[] {"cache"}, new Tensor[] {cache}, (a, b, cg, st) -> k.rmsprop(b - a, lr, decay, eps, wd,
                st[0].segment(), st[0].offset() + a, cg.segment(), cg.offset() + a, st[1].segment(), st[1].offset() + a));
    }

    boolean adam(Tensor w, Tensor g, Tensor m, Tensor v, long t, float lr, float b1, float b2, float eps, float wd) {
        String op = "adamStep";
        Optimizers.checkStep(op, t);
        Optimizers.checkLr(op, lr);
        Optimizers.checkUnit(op, "beta1", b1);
        Optimizers.checkUnit(op, "beta2", b2);
        Optimizers.checkEps(op, eps);
        Optimizers.checkWeightDecay(op, wd);
        float c1 = Optimizers.biasCorrection(b1, t), c2 = Optimizers.biasCorrection(b2, t);
        return step(op, w, g, new String[] {"m", "v"}, new Tensor[] {m, v}, (a, b, cg, st) -> k.adam(b - a, lr, b1, b2, eps, c1, c2, wd,
                st[0].segment(), st[0].offset() + a, cg.segment(), cg.offset() + a, st[1].segment(), st[1].offset() + a,
                st[2].segment(), st[2].offset() + a));
    }

    double gradSumSquares(String op, List<Tensor> grads) {
        if (grads == null) throw new IllegalArgumentException(op + ": grads is null");
        double s = 0;
        for (int i = 0; i < grads.size(); i++) {
            Tensor g = NormOps.f32(op, "grads[" + i + "]", grads.get(i));
            Tensor cg = g.contiguousScratch();
            s += Optimizers.sumSquares(k, g.numel(), cg.segment(), cg.offset(), NormOps.parFor(par, cg));
            Tensor.releaseCopy(g, cg);
        }
        return s;
    }

    double clipGradNorm(List<Tensor> grads, double maxNorm, Ops ops) {
        String op = "clipGradNorm";
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException(op + ": maxNorm must be finite and > 0, got " + maxNorm);
        }
        if (grads == null) throw new IllegalArgumentException(op + ": grads is null");
        for (int i = 0; i < grads.size(); i++) {
            Tensor g = NormOps.f32(op, "grads[" + i + "]", grads.get(i));
            NormOps.writable(op, "grads[" + i + "]", g, g.shape(), "it has");
        }
        double norm = Math.sqrt(gradSumSquares(op, grads));
        if (!Double.isFinite(norm) || norm <= maxNorm) return norm;
        float scale = (float) (maxNorm / (norm + 1e-6));
        for (Tensor g : grads) ops.scale(g, scale, g);
        return norm;
    }
}

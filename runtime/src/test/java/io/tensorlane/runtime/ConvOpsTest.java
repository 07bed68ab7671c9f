package io.tensorlane.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.ConvTranspose2dDesc;
import io.tensorlane.kernels.Impl;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Ops' convolution block (issue 5): centred finite-difference checks (in double) of every backward pass on
 * small shapes, for both implementations, and one test per class of bad input.
 *
 * <p>The gradient checks use L = sum(out * dout), which is linear in each of x, w and b, so a centred
 * difference with step h is exact up to the float32 rounding of the two forward passes; the tolerance is
 * that rounding: a few ulps of the sum of |out * dout| over 2h.
 */
class ConvOpsTest {
    static Tensor random(Random r, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        return Tensor.of(a, shape);
    }

    static double dot(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
        return s;
    }

    static double absDot(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += Math.abs((double) x[i] * y[i]);
        return s;
    }

    /** Checks grad against centred differences of L(param) = sum(f() * dout) over every element of param. */
    static void gradCheck(String what, Tensor param, Tensor grad, Function<Void, Tensor> f, Tensor dout) {
        float[] p = param.toFloatArray(), g = grad.toFloatArray();
        assertEquals(p.length, g.length, what);
        float h = 0.5f;
        for (int i = 0; i < p.length; i++) {
            long[] idx = unravel(i, param.shape());
            float orig = param.getFloat(idx);
            param.setFloat(orig + h, idx);
            Tensor up = f.apply(null);
            double lp = dot(up, dout), mp = absDot(up, dout);
            param.setFloat(orig - h, idx);
            Tensor dn = f.apply(null);
            double lm = dot(dn, dout), mm = absDot(dn, dout);
            param.setFloat(orig, idx);
            double numeric = (lp - lm) / (2 * h);
            double tol = 64 * Math.ulp(1f) * (mp + mm) / (2 * h) + 1e-6;
            assertTrue(Math.abs(numeric - g[i]) <= tol,
                    what + "[" + i + "]: analytic " + g[i] + " numeric " + numeric + " tol " + tol);
        }
    }

    static long[] unravel(long i, long[] shape) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = i % shape[d];
            i /= shape[d];
        }
        return idx;
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void conv2dGradientsMatchFiniteDifferences(Impl impl) {
        Ops ops = Ops.on(Device.cpu(impl)).with(io.tensorlane.kernels.Parallelism.single());
        Random r = new Random(11);
        Conv2dDesc[] descs = {
                Conv2dDesc.of(3, 3).pad(1),
                Conv2dDesc.of(3, 2).stride(2, 1).pad(1, 0).dilation(1, 2).groups(2),
                Conv2dDesc.of(1, 1).groups(4),
                Conv2dDesc.of(2, 2).stride(3).pad(1),
        };
        for (Conv2dDesc d : descs) {
            Tensor x = random(r, 2, 4, 5, 6), w = random(r, 4, 4 / d.groups(), d.kh(), d.kw()), b = random(r, 4);
            Tensor y = ops.conv2d(x, w, b, d);
            Tensor dout = random(r, y.shape());
            Grads g = ops.conv2dBackward(x, w, dout, d);
            gradCheck("conv2d dx " + d, x, g.dx(), v -> ops.conv2d(x, w, b, d), dout);
            gradCheck("conv2d dw " + d, w, g.dw(), v -> ops.conv2d(x, w, b, d), dout);
            gradCheck("conv2d db " + d, b, g.db(), v -> ops.conv2d(x, w, b, d), dout);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void convTranspose2dGradientsMatchFiniteDifferences(Impl impl) {
        Ops ops = Ops.on(Device.cpu(impl)).with(io.tensorlane.kernels.Parallelism.single());
        Random r = new Random(12);
        ConvTranspose2dDesc[] descs = {
                ConvTranspose2dDesc.of(3, 3).stride(2).pad(1).outputPadding(1),
                ConvTranspose2dDesc.of(2, 3).stride(1, 2).groups(2).dilation(2, 1),
        };
        for (ConvTranspose2dDesc d : descs) {
            Tensor x = random(r, 2, 4, 3, 4), w = random(r, 4, 3, d.kh(), d.kw()), b = random(r, 3 * d.groups());
            Tensor y = ops.convTranspose2d(x, w, b, d);
            Tensor dout = random(r, y.shape());
            Grads g = ops.convTranspose2dBackward(x, w, dout, d);
            gradCheck("convT dx " + d, x, g.dx(), v -> ops.convTranspose2d(x, w, b, d), dout);
            gradCheck("convT dw " + d, w, g.dw(), v -> ops.convTranspose2d(x, w, b, d), dout);
            gradCheck("convT db " + d, b, g.db(), v -> ops.convTranspose2d(x, w, b, d), dout);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void affineGradientsMatchFiniteDifferences(Impl impl) {
        Ops ops = Ops.on(Device.cpu(impl));
        Random r = new Random(13);
        Tensor x = random(r, 3, 2, 5), w = random(r, 10, 4), b = random(r, 4);
        Tensor dout = random(r, 3, 4);
        Grads g = ops.affineBackward(x, w, dout);
        assertArrayEquals(x.shape(), g.dx().shape());
        gradCheck("affine dx", x, g.dx(), v -> ops.affine(x, w, b), dout);
        gradCheck("affine dw", w, g.dw(), v -> ops.affine(x, w, b), dout);
        gradCheck("affine db", b, g.db(), v -> ops.affine(x, w, b), dout);
    }

    @Test
    void outFormsOverwriteAndNullGradsAreSkipped() {
        Ops ops = Ops.on(Device.cpu());
        Random r = new Random(14);
        Conv2dDesc d = Conv2dDesc.of(3).pad(1);
        Tensor x = random(r, 1, 2, 4, 4), w = random(r, 3, 2, 3, 3);
        Tensor expected = ops.conv2d(x, w, null, d);
        Tensor out = random(r, 1, 3, 4, 4);
        ops.conv2d(x, w, null, d, out);
        assertArrayEquals(expected.toFloatArray(), out.toFloatArray());
        Tensor dout = random(r, 1, 3, 4, 4), dw = random(r, 3, 2, 3, 3);
        ops.conv2dBackward(x, w, dout, d, null, dw, null);
        assertArrayEquals(ops.conv2dBackward(x, w, dout, d).dw().toFloatArray(), dw.toFloatArray());
        // strided input: a transposed view is copied, same result
        Tensor xt = random(r, 1, 2, 4, 4).transpose(2, 3);
        assertArrayEquals(ops.conv2d(xt.contiguous(), w, null, d).toFloatArray(), ops.conv2d(xt, w, null, d).toFloatArray());
        Grads none = new Grads(null, null, null);
        assertNull(none.dx());
    }

    static void fails(String expectedMessagePart, Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(expectedMessagePart), ex.getMessage());
    }

    @Test
    void badInputIsRejectedNamingOpArgumentAndShapes() {
        Ops ops = Ops.on(Device.cpu());
        Random r = new Random(15);
        Tensor x = random(r, 8, 3, 32, 32);
        fails("conv2d: x has 3 channels but w expects 4 (x=[8,3,32,32], w=[16,4,3,3])",
                () -> ops.conv2d(x, random(r, 16, 4, 3, 3), null, Conv2dDesc.of(3)));
        fails("conv2d: kernel 5x5 is larger than the padded input 4x4",
                () -> ops.conv2d(random(r, 1, 1, 4, 4), random(r, 1, 1, 5, 5), null, Conv2dDesc.of(5)));
        fails("dilated to 5x5", () -> ops.conv2d(random(r, 1, 1, 4, 4), random(r, 1, 1, 3, 3), null, Conv2dDesc.of(3).dilation(2)));
        fails("conv2d: groups=2 does not divide the 3 channels of x",
                () -> ops.conv2d(x, random(r, 4, 1, 3, 3), null, Conv2dDesc.of(3).groups(2)));
        fails("conv2d: groups=3 does not divide the 4 filters of w",
                () -> ops.conv2d(x, random(r, 4, 1, 3, 3), null, Conv2dDesc.of(3).groups(3)));
        fails("conv2d: w has a 3x3 kernel but the descriptor says 5x5",
                () -> ops.conv2d(x, random(r, 4, 3, 3, 3), null, Conv2dDesc.of(5)));
        fails("conv2d: x must be 4-D", () -> ops.conv2d(random(r, 3, 32, 32), random(r, 4, 3, 3, 3), null, Conv2dDesc.of(3)));
        fails("conv2d: b has shape [3] but w has F=4, so b must be [4]",
                () -> ops.conv2d(x, random(r, 4, 3, 3, 3), random(r, 3), Conv2dDesc.of(3)));
        fails("conv2d: out has shape", () -> ops.conv2d(x, random(r, 4, 3, 3, 3), null, Conv2dDesc.of(3), random(r, 8, 4, 32, 32)));
        fails("is not contiguous", () -> ops.conv2d(random(r, 1, 1, 3, 3), random(r, 1, 1, 3, 3), null, Conv2dDesc.of(3).pad(1),
                random(r, 1, 1, 3, 3).transpose(2, 3)));
        Tensor big = random(r, 1, 1, 4, 4);
        fails("overlaps x", () -> ops.conv2d(big, random(r, 1, 1, 1, 1), null, Conv2dDesc.of(1), big));
        fails("conv2d: desc is null", () -> ops.conv2d(x, random(r, 4, 3, 3, 3), null, null));
        fails("conv2d: x must be F32", () -> ops.conv2d(Tensor.ofInts(new int[9], 1, 1, 3, 3), random(r, 1, 1, 3, 3), null, Conv2dDesc.of(3)));
        fails("conv2dBackward: dout has shape [8,4,32,32] but conv2d of x=[8,3,32,32] with w=[4,3,3,3] gives [8,4,30,30]",
                () -> ops.conv2dBackward(x, random(r, 4, 3, 3, 3), random(r, 8, 4, 32, 32), Conv2dDesc.of(3)));
        fails("Conv2dDesc: strideH must be >= 1, got 0", () -> Conv2dDesc.of(3).stride(0));
        fails("Conv2dDesc: padW must be >= 0, got -1", () -> Conv2dDesc.of(3).pad(0, -1));
        fails("conv_transpose2d: output padding 2x2 must be smaller than the stride 2x2",
                () -> ops.convTranspose2d(random(r, 1, 2, 3, 3), random(r, 2, 1, 3, 3), null,
                        ConvTranspose2dDesc.of(3).stride(2).outputPadding(2)));
        fails("conv_transpose2d: x has 3 channels but w expects 2",
                () -> ops.convTranspose2d(random(r, 1, 3, 3, 3), random(r, 2, 1, 3, 3), null, ConvTranspose2dDesc.of(3)));
        fails("conv_transpose2d: padding 3 leaves no output",
                () -> ops.convTranspose2d(random(r, 1, 2, 2, 2), random(r, 2, 1, 3, 3), null, ConvTranspose2dDesc.of(3).pad(3)));
        fails("affine: x has 10 features per row but w expects 9 (x=[3,2,5], w=[9,4])",
                () -> ops.affine(random(r, 3, 2, 5), random(r, 9, 4), null));
        fails("affine: w must be 2-D", () -> ops.affine(random(r, 3, 5), random(r, 5), null));
        fails("affineBackward: dout has shape [3,5] but x @ w has [3,4]",
                () -> ops.affineBackward(random(r, 3, 5), random(r, 5, 4), random(r, 3, 5)));
        fails("im2col: kernel 3x3 is larger than the padded input 2x2", () -> ops.im2col(random(r, 1, 2, 2), Conv2dDesc.of(3)));
        fails("im2col: x must be (C,H,W) or (N,C,H,W)", () -> ops.im2col(random(r, 2, 2), Conv2dDesc.of(1)));
        fails("col2im: cols has shape [9,5] but an image of 4x4 with this kernel/stride/padding gives [9,4]",
                () -> ops.col2im(random(r, 9, 5), Conv2dDesc.of(3), 4, 4));
        fails("col2im: cols has 10 rows, not a positive multiple of kh*kw=9", () -> ops.col2im(random(r, 10, 4), Conv2dDesc.of(3), 4, 4));
    }
}

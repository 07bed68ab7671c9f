package io.tensorlane.runtime;

import static io.tensorlane.runtime.TensorTest.assertMsg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.Parallelism;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Ops#matmul}: 2-D and batched products, transposed and sliced views, alpha/beta, errors; both impls. */
class MatmulTest {
    static final Ops[] ALL = {Ops.on(Device.cpu(Impl.SCALAR)), Ops.on(Device.cpu(Impl.SIMD)).with(Parallelism.threads(2))};

    /** a @ b in double from the tensors' logical elements (views included). */
    static double[] product(Tensor a, Tensor b) {
        boolean batched = a.rank() == 3 || b.rank() == 3;
        long batch = a.rank() == 3 ? a.dim(0) : b.rank() == 3 ? b.dim(0) : 1;
        int m = (int) a.dim(a.rank() - 2), k = (int) a.dim(a.rank() - 1), n = (int) b.dim(b.rank() - 1);
        double[] out = new double[(int) batch * m * n];
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        float av = a.rank() == 3 ? a.getFloat(q, i, p) : a.getFloat(i, p);
                        float bv = b.rank() == 3 ? b.getFloat(q, p, j) : b.getFloat(p, j);
                        s += (double) av * bv;
                    }
                    out[(q * m + i) * n + j] = s;
                }
            }
        }
        assertEquals(batched, out.length != m * n || a.rank() == 3 || b.rank() == 3);
        return out;
    }

    static void assertProduct(double[] want, Tensor got, int k, String what) {
        float[] g = got.toFloatArray();
        assertEquals(want.length, g.length, what);
        for (int i = 0; i < g.length; i++) {
            // float32 sums of k products of values in [-3, 3): error far below 1e-5 * k * 9
            if (!(Math.abs(g[i] - want[i]) <= 1e-5 * (k + 1) * 9)) {
                fail(what + ": element " + i + " = " + g[i] + ", expected " + want[i]);
            }
        }
    }

    @Test
    void twoDimensionalProductsAndTransposedViews() {
        SplittableRandom r = new SplittableRandom(7);
        Tensor a = OpsTest.random(r, 17, 33), b = OpsTest.random(r, 33, 20);
        Tensor at = OpsTest.random(r, 33, 17).transpose(0, 1); // (17, 33) view, unit stride along rows
        Tensor bt = OpsTest.random(r, 20, 33).transpose(0, 1); // (33, 20) view
        Tensor wide = OpsTest.random(r, 17, 40).slice(1, 3, 36); // (17, 33), row stride 40: used in place
        for (Ops ops : ALL) {
            String impl = ops.device().kernels().impl().toString();
            assertProduct(product(a, b), ops.matmul(a, b), 33, impl + " a@b");
            assertProduct(product(at, b), ops.matmul(at, b), 33, impl + " a^T view @ b");
            assertProduct(product(a, bt), ops.matmul(a, bt), 33, impl + " a @ b^T view");
            assertProduct(product(at, bt), ops.matmul(at, bt), 33, impl + " both transposed views");
            assertProduct(product(wide, b), ops.matmul(wide, b), 33, impl + " sliced a");
            // vectors as matrices: (1, k) @ (k, n) and (m, k) @ (k, 1)
            Tensor row = a.slice(0, 4, 5), col = b.slice(1, 7, 8);
            assertProduct(product(row, b), ops.matmul(row, b), 33, impl + " row @ b");
            assertProduct(product(a, col), ops.matmul(a, col), 33, impl + " a @ column");
        }
    }

    @Test
    void batchedProductsIncludingSharedOperands() {
        SplittableRandom r = new SplittableRandom(8);
        Tensor a = OpsTest.random(r, 3, 9, 16), b = OpsTest.random(r, 3, 16, 11);
        Tensor w = OpsTest.random(r, 16, 11), x = OpsTest.random(r, 9, 16);
        Tensor bt = OpsTest.random(r, 3, 11, 16).transpose(1, 2); // (3, 16, 11) view
        Tensor strided = OpsTest.random(r, 9, 16, 3).permute(2, 0, 1); // (3, 9, 16), strides (1, 48, 3): copied
        for (Ops ops : ALL) {
            String impl = ops.device().kernels().impl().toString();
            Tensor c = ops.matmul(a, b);
            assertEquals("[3, 9, 11]", java.util.Arrays.toString(c.shape()));
            assertProduct(product(a, b), c, 16, impl + " batched");
            assertProduct(product(a, w), ops.matmul(a, w), 16, impl + " batch @ shared matrix");
            assertProduct(product(x, b), ops.matmul(x, b), 16, impl + " shared matrix @ batch");
            assertProduct(product(a, bt), ops.matmul(a, bt), 16, impl + " batch @ transposed batch view");
            assertProduct(product(strided, b), ops.matmul(strided, b), 16, impl + " non-unit-stride batch");
        }
    }

    @Test
    void alphaBetaAndNaNInOut() {
        SplittableRandom r = new SplittableRandom(9);
        Tensor a = OpsTest.random(r, 5, 6), b = OpsTest.random(r, 6, 7);
        double[] ab = product(a, b);
        for (Ops ops : ALL) {
            float[] nan = new float[35];
            java.util.Arrays.fill(nan, Float.NaN);
            Tensor out = Tensor.of(nan, 5, 7);
            ops.matmul(a, b, out, 2f, 0f); // beta = 0: NaN in out is overwritten
            double[] twice = new double[35];
            for (int i = 0; i < 35; i++) twice[i] = 2 * ab[i];
            assertProduct(twice, out, 6, "alpha=2 beta=0");
            ops.matmul(a, b, out, 1f, -0.5f); // out = ab - 0.5 * 2ab = 0
            assertProduct(new double[35], out, 6, "beta=-0.5");
        }
    }

    @Test
    void rejectsBadShapesOutputsAndOverlap() {
        SplittableRandom r = new SplittableRandom(10);
        Tensor a = OpsTest.random(r, 4, 5), b = OpsTest.random(r, 6, 7);
        Ops ops = ALL[1];
        assertMsg(() -> ops.matmul(a, b), "matmul: a has shape [4, 5] but b has [6, 7]: a's 5 columns do not match b's 6 rows");
        assertMsg(() -> ops.matmul(a.reshape(20), b), "matmul: a and b must be 2-D (m, k) / (k, n) or 3-D batches, got a=[20], b=[6,7]");
        assertMsg(() -> ops.matmul(OpsTest.random(r, 2, 4, 5), OpsTest.random(r, 3, 5, 2)), "matmul: batch sizes differ: a has 2 matrices, b has 3");
        Tensor b5 = OpsTest.random(r, 5, 7);
        assertMsg(() -> ops.matmul(a, b5, Tensor.of(new float[24], 4, 6)), "matmul: out has shape [4, 6] but a @ b has [4, 7]");
        assertMsg(() -> ops.matmul(a, b5, Tensor.of(new float[28], 7, 4).transpose(0, 1)), "is not contiguous");
        assertMsg(() -> ops.matmul(Tensor.ofInts(new int[20], 4, 5), b5), "matmul: a must be F32");
        try (Arena arena = Arena.ofConfined()) {
            Tensor big = Tensor.allocate(arena, DType.F32, 60);
            Tensor x = big.slice(0, 0, 20).reshape(4, 5), y = big.slice(0, 10, 38).reshape(4, 7);
            assertMsg(() -> ops.matmul(x, b5, y), "share memory");
        }
    }
}

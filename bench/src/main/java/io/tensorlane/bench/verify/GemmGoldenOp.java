package io.tensorlane.bench.verify;

import io.tensorlane.kernels.Trans;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;

/** gemm: out = alpha op(A) op(B) + beta C, through the device's GEMM kernel (C is copied, never altered). */
final class GemmGoldenOp implements GoldenOp {
    @Override
    public String name() {
        return "gemm";
    }

    @Override
    public void run(GoldenCase c, Ops ops, Checker check) {
        int m = (int) c.param("M", -1), n = (int) c.param("N", -1), k = (int) c.param("K", -1);
        boolean ta = c.flag("transA"), tb = c.flag("transB");
        if (m < 0 || n < 0 || k < 0) throw new MalformedCaseException(c.file() + ": gemm needs params M, N, K");
        Tensor a = c.input("A").toTensor(), b = c.input("B").toTensor(), out = c.input("C").toTensor();
        // The raw kernel does not validate: check the stored shapes against the params first.
        expectShape(c, "A", a, ta ? k : m, ta ? m : k);
        expectShape(c, "B", b, tb ? n : k, tb ? k : n);
        expectShape(c, "C", out, m, n);
        int lda = (int) a.dim(1), ldb = (int) b.dim(1);
        ops.device().kernels().gemm().sgemm(Trans.of(ta), Trans.of(tb), m, n, k, (float) c.param("alpha", 1),
                a.segment(), 0, lda, b.segment(), 0, ldb, (float) c.param("beta", 0), out.segment(), 0, n, ops.parallelism());
        check.tensor("out", c.output("out"), out);
    }

    private static void expectShape(GoldenCase c, String name, Tensor t, long rows, long cols) {
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new MalformedCaseException(c.file() + ": gemm " + name + " has shape " + java.util.Arrays.toString(t.shape())
                    + " but M, N, K, transA, transB say [" + rows + ", " + cols + "]");
        }
    }
}

package io.tensorlane.bench.gemm;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import java.util.Optional;

/**
 * netlib-java's pure-Java BLAS ({@code dev.ludovic.netlib:blas}), the Java peer to beat: with the Vector
 * API readable it is {@code VectorBLAS}. Fortran (column-major) conventions over heap {@code float[]}s, so
 * a row-major product C = A B is asked for as the column-major C^T = B^T A^T.
 */
public final class NetlibAnchor {
    private final BLAS blas;

    private NetlibAnchor(BLAS blas) {
        this.blas = blas;
    }

    /** VectorBLAS when netlib picks it, else why not. */
    public static Result load() {
        BLAS blas;
        try {
            blas = JavaBLAS.getInstance();
        } catch (RuntimeException | LinkageError e) {
            return new Result(Optional.empty(), "netlib JavaBLAS failed to load: " + e);
        }
        String name = blas.getClass().getSimpleName();
        if (!name.equals("VectorBLAS")) {
            return new Result(Optional.empty(), "netlib picked " + name + ", not VectorBLAS (it needs --add-modules jdk.incubator.vector)");
        }
        return new Result(Optional.of(new NetlibAnchor(blas)), null);
    }

    /** The anchor when it loaded, else {@code whyNot}. */
    public record Result(Optional<NetlibAnchor> anchor, String whyNot) {
    }

    /** Row-major C = alpha * op(A) op(B) + beta * C on heap arrays. */
    public void sgemm(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb,
                      float beta, float[] c, int ldc) {
        blas.sgemm(tb ? "T" : "N", ta ? "T" : "N", n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
    }
}

package io.tensorlane.bench.verify;

import io.tensorlane.layers.models.PCA;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;

/**
 * pca: fits {@link PCA} on X (covariance + symmetric eigen decomposition in double) and checks mean, std
 * (scaled cases), components, explained variance and ratio, the projection Z onto the first k components
 * and the reconstruction X_rec (both float32 matmuls through the device's Ops).
 */
final class PcaGoldenOp implements GoldenOp {
    @Override
    public String name() {
        return "pca";
    }

    @Override
    public void run(GoldenCase c, Ops ops, Checker check) {
        int k = (int) c.param("k", -1);
        boolean scaled = c.flag("scaled");
        GoldenTensor x = c.input("X");
        if (x.shape().length != 2 || x.dtype() != io.tensorlane.runtime.DType.F32) {
            throw new MalformedCaseException(c.file() + ": pca X must be a float32 matrix, is " + x);
        }
        int n = (int) x.shape()[0], d = (int) x.shape()[1];
        if (c.param("n", n) != n || c.param("d", d) != d) {
            throw new MalformedCaseException(c.file() + ": pca params n, d disagree with X " + x);
        }
        if (k < 1 || k > d) throw new MalformedCaseException(c.file() + ": pca param k = " + k + " not in [1, " + d + "]");
        PCA pca = PCA.fit(ops, x.floats().clone(), d, scaled);
        check.tensor("mean", c.output("mean"), vector(pca.mean()));
        if (scaled) check.tensor("std", c.output("std"), vector(pca.std()));
        check.tensor("components", c.output("components"), Tensor.of(floats(pca.components()), d, d));
        check.tensor("explained_variance", c.output("explained_variance"), vector(pca.explainedVariance()));
        check.tensor("explained_variance_ratio", c.output("explained_variance_ratio"), vector(pca.explainedVarianceRatio()));
        float[] z = pca.transform(x.floats().clone(), k);
        check.tensor("Z", c.output("Z"), Tensor.of(z, n, k));
        check.tensor("X_rec", c.output("X_rec"), Tensor.of(pca.inverseTransform(z, k), n, d));
    }

    private static Tensor vector(double[] v) {
        return Tensor.of(floats(v), v.length);
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }
}

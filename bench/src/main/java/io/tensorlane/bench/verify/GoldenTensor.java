package io.tensorlane.bench.verify;

import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;

/** One tensor of a golden case: shape and row-major data, float32 or int32. */
public record GoldenTensor(long[] shape, DType dtype, float[] floats, int[] ints) {
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** A fresh heap tensor holding a copy of the data (so an op can never alter the case). */
    public Tensor toTensor() {
        return dtype == DType.F32 ? Tensor.of(floats.clone(), shape) : Tensor.ofInts(ints.clone(), shape);
    }

    /** The values as doubles, whatever the dtype. */
    public double[] values() {
        double[] v = new double[(int) numel()];
        for (int i = 0; i < v.length; i++) v[i] = dtype == DType.F32 ? floats[i] : ints[i];
        return v;
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}

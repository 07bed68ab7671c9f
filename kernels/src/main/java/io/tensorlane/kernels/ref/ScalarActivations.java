package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.ActivationKernels;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Scalar reference twin of {@link ActivationKernels}. Transcendentals are evaluated in double and
 * rounded once, so these are (nearly) correctly rounded and serve as the oracle for the SIMD versions.
 */
public final class ScalarActivations implements ActivationKernels {
    @Override
    public void relu(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long i = 0; i < n; i++) {
            float v = x.getAtIndex(JAVA_FLOAT, xOff + i);
            y.setAtIndex(JAVA_FLOAT, yOff + i, v > 0f ? v : 0f);
        }
    }

    @Override
    public void reluBackward(long n, MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        for (long i = 0; i < n; i++) {
            float v = x.getAtIndex(JAVA_FLOAT, xOff + i);
            dx.setAtIndex(JAVA_FLOAT, dxOff + i, v > 0f ? dout.getAtIndex(JAVA_FLOAT, dOff + i) : 0f);
        }
    }

    @Override
    public void leakyRelu(long n, float slope, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long i = 0; i < n; i++) {
            float v = x.getAtIndex(JAVA_FLOAT, xOff + i);
            y.setAtIndex(JAVA_FLOAT, yOff + i, v > 0f ? v : slope * v);
        }
    }

    @Override
    public void leakyReluBackward(long n, float slope, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                  MemorySegment dx, long dxOff) {
        for (long i = 0; i < n; i++) {
            float v = x.getAtIndex(JAVA_FLOAT, xOff + i);
            float d = dout.getAtIndex(JAVA_FLOAT, dOff + i);
            dx.setAtIndex(JAVA_FLOAT, dxOff + i, v > 0f ? d : slope * d);
        }
    }

    /** The stable form: exp is only ever taken of a non-positive number, so it cannot overflow. */
    @Override
    public void sigmoid(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long i = 0; i < n; i++) {
            y.setAtIndex(JAVA_FLOAT, yOff + i, sigmoid(x.getAtIndex(JAVA_FLOAT, xOff + i)));
        }
    }

    /** Numerically stable logistic function, evaluated in double and rounded once. */
    static float sigmoid(float v) {
        if (v >= 0f) {
            return (float) (1.0 / (1.0 + Math.exp(-(double) v)));
        }
        double e = Math.exp(v);
        return (float) (e / (1.0 + e));
    }

    @Override
    public void sigmoidBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        for (long i = 0; i < n; i++) {
            float s = y.getAtIndex(JAVA_FLOAT, yOff + i);
            dx.setAtIndex(JAVA_FLOAT, dxOff + i, dout.getAtIndex(JAVA_FLOAT, dOff + i) * (s * (1f - s)));
        }
    }

    @Override
    public void tanh(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long i = 0; i < n; i++) {
            y.setAtIndex(JAVA_FLOAT, yOff + i, (float) Math.tanh(x.getAtIndex(JAVA_FLOAT, xOff + i)));
        }
    }

    @Override
    public void tanhBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        for (long i = 0; i < n; i++) {
            float t = y.getAtIndex(JAVA_FLOAT, yOff + i);
            dx.setAtIndex(JAVA_FLOAT, dxOff + i, dout.getAtIndex(JAVA_FLOAT, dOff + i) * (1f - t * t));
        }
    }
}

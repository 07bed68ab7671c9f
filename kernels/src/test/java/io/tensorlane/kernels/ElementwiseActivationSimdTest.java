package io.tensorlane.kernels;

import static io.tensorlane.kernels.TestBuffers.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** SIMD elementwise and activation kernels against their scalar twins on awkward sizes and offsets. */
@Tag("simd")
class ElementwiseActivationSimdTest {
    static final KernelSet REF = Kernels.get(Impl.SCALAR);
    static final KernelSet SIMD = Kernels.get(Impl.SIMD);

    static Stream<Arguments> shapes() {
        long[] sizes = {1, 3, 7, 15, 16, 17, 31, 33, 63, 65, 1000, 4097};
        long[] offsets = {0, 1, 3};
        Stream.Builder<Arguments> b = Stream.builder();
        for (long n : sizes) for (long off : offsets) b.add(Arguments.of(n, off));
        return b.build();
    }

    interface Binary {
        void run(ElementwiseKernels k, long n, MemorySegment a, long ao, MemorySegment b, long bo, MemorySegment o, long oo);
    }

    @ParameterizedTest(name = "n={0} off={1}")
    @MethodSource("shapes")
    void elementwise(long n, long off) {
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(n * 31 + off);
            MemorySegment a = floats(arena, off, n, rnd, -5, 5);
            MemorySegment b = floats(arena, off + 2, n, rnd, -5, 5);
            Binary[] ops = {ElementwiseKernels::add, ElementwiseKernels::sub, ElementwiseKernels::mul};
            String[] names = {"add", "sub", "mul"};
            for (int i = 0; i < ops.length; i++) {
                MemorySegment r = out(arena, off + 1, n), s = out(arena, off + 1, n);
                ops[i].run(REF.elementwise(), n, a, off, b, off + 2, r, off + 1);
                ops[i].run(SIMD.elementwise(), n, a, off, b, off + 2, s, off + 1);
                assertExact(names[i], r, s, off + 1, n);
                assertGuards(names[i], s, off + 1, n);
            }
            MemorySegment r = out(arena, off, n), s = out(arena, off, n);
            REF.elementwise().scale(n, -1.5f, a, off, r, off);
            SIMD.elementwise().scale(n, -1.5f, a, off, s, off);
            assertExact("scale", r, s, off, n);
            assertGuards("scale", s, off, n);

            MemorySegment yr = copyOf(arena, b), ys = copyOf(arena, b);
            REF.elementwise().axpy(n, 0.75f, a, off, yr, off + 2);
            SIMD.elementwise().axpy(n, 0.75f, a, off, ys, off + 2);
            assertExact("axpy", yr, ys, off + 2, n);
            assertGuards("axpy", ys, off + 2, n);

            r = out(arena, off, n);
            s = out(arena, off, n);
            REF.elementwise().fill(n, 2.5f, r, off);
            SIMD.elementwise().fill(n, 2.5f, s, off);
            assertExact("fill", r, s, off, n);
            assertGuards("fill", s, off, n);

            s = out(arena, off + 1, n);
            SIMD.elementwise().copy(n, a, off, s, off + 1);
            MemorySegment expect = out(arena, off + 1, n);
            REF.elementwise().copy(n, a, off, expect, off + 1);
            assertExact("copy", expect, s, off + 1, n);
            assertGuards("copy", s, off + 1, n);
        }
    }

    interface Unary {
        void run(ActivationKernels k, long n, MemorySegment x, long xo, MemorySegment y, long yo);
    }

    interface Backward {
        void run(ActivationKernels k, long n, MemorySegment x, long xo, MemorySegment d, long dOff, MemorySegment dx, long dxo);
    }

    private static void checkUnary(Arena arena, String name, Unary op, MemorySegment x, long off, long n, double rtol, double atol) {
        MemorySegment r = out(arena, off + 2, n), s = out(arena, off + 2, n);
        op.run(REF.activations(), n, x, off, r, off + 2);
        op.run(SIMD.activations(), n, x, off, s, off + 2);
        assertClose(name, r, s, off + 2, n, rtol, atol);
        assertGuards(name, s, off + 2, n);
    }

    private static void checkBackward(Arena arena, String name, Backward op, MemorySegment x, MemorySegment d, long off, long n,
                                      double rtol, double atol) {
        MemorySegment r = out(arena, off, n), s = out(arena, off, n);
        op.run(REF.activations(), n, x, off, d, off + 1, r, off);
        op.run(SIMD.activations(), n, x, off, d, off + 1, s, off);
        assertClose(name, r, s, off, n, rtol, atol);
        assertGuards(name, s, off, n);
    }

    @ParameterizedTest(name = "n={0} off={1}")
    @MethodSource("shapes")
    void activations(long n, long off) {
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(n * 17 + off);
            for (double range : new double[] {1, 12, 100}) {
                MemorySegment x = floats(arena, off, n, rnd, -range, range);
                MemorySegment d = floats(arena, off + 1, n, rnd, -2, 2);
                checkUnary(arena, "relu", ActivationKernels::relu, x, off, n, 0, 0);
                checkUnary(arena, "leaky_relu", (k, nn, a, ao, y, yo) -> k.leakyRelu(nn, 0.01f, a, ao, y, yo), x, off, n, 0, 0);
                // exp-based kernels: a few ulp apart from the libm-based twin.
                checkUnary(arena, "sigmoid", ActivationKernels::sigmoid, x, off, n, 2e-6, 1e-30);
                checkUnary(arena, "tanh", ActivationKernels::tanh, x, off, n, 3e-6, 1e-30);
                checkBackward(arena, "relu_backward", ActivationKernels::reluBackward, x, d, off, n, 0, 0);
                checkBackward(arena, "leaky_relu_backward",
                        (k, nn, a, ao, dd, dOff, dx, dxo) -> k.leakyReluBackward(nn, 0.01f, a, ao, dd, dOff, dx, dxo), x, d, off, n, 0, 0);
                // backward from outputs: same arithmetic in both
                MemorySegment y = out(arena, off, n);
                REF.activations().sigmoid(n, x, off, y, off);
                checkBackward(arena, "sigmoid_backward", ActivationKernels::sigmoidBackward, y, d, off, n, 0, 0);
                REF.activations().tanh(n, x, off, y, off);
                checkBackward(arena, "tanh_backward", ActivationKernels::tanhBackward, y, d, off, n, 0, 0);
            }
        }
    }
}

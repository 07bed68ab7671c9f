package io.tensorlane.layers;

import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.util.List;
import java.util.Map;

/**
 * One differentiable step of a net. {@link #forward(Tensor, Mode)} computes the output from an input
 * whose first dim is the batch (N, ...) and keeps what {@link #backward(Tensor)} needs; backward takes
 * the gradient of the loss with respect to that output, returns the gradient with respect to the
 * input and <em>adds</em> the gradients of the layer's parameters into their {@link Param#grad()}
 * (callers zero them before a step). Backward refers to the most recent forward.
 *
 * <p>Layers with several inputs (Add, Concat) override the list forms {@link #forward(List, Mode)},
 * {@link #backwardAll(Tensor)} and {@link #outputShape(List)} and report their arity.
 *
 * <p>Buffers: the tensors forward and backward return may be buffers the layer owns and
 * <em>overwrites on its next call</em> with the same shapes (Caffe's blobs; training then allocates
 * nothing after its first step). Consume them before the next call, or copy them to keep them.
 *
 * <p>A layer computes through {@link Ops} only (never kernels), so a net runs on any device; nets
 * hand their {@code Ops} to every layer with {@link #setOps(Ops)}.
 */
public interface Layer {

    /** The registry name of this kind of layer, e.g. {@code "linear"} (see {@link LayerRegistry}). */
    String type();

    /** Output for {@code in} (N, ...); keeps what backward needs. */
    Tensor forward(Tensor in, Mode mode);

    /**
     * Gradient with respect to the input of the last forward, shaped like it, from {@code dOut}
     * (shaped like that forward's output); accumulates parameter gradients. Returns null when the
     * input is not differentiable (integer indices of an embedding).
     */
    Tensor backward(Tensor dOut);

    /** The learnable parameters, in a stable order (empty for parameter-free layers). */
    default List<Param> params() {
        return List.of();
    }

    /**
     * Tensors that are not learned by gradient but define what the layer computes, by name (batch
     * norm's running mean and variance): saved and restored with the parameters, never touched by
     * optimizers. Empty for most layers.
     */
    default Map<String, Tensor> state() {
        return Map.of();
    }

    /** The output shape for an input of shape {@code in} (first dim = batch); validates the input shape. */
    long[] outputShape(long[] in);

    /**
     * The options that rebuild this layer through {@link LayerRegistry} (what a net file holds for it),
     * in a stable order; parameters are not options.
     */
    default Map<String, Object> config() {
        return Map.of();
    }

    /**
     * Other layers whose state this one reads in its forward (an unpool layer reads its max-pool
     * layer's indices). A graph runs those layers' nodes before this one; they must be in the graph.
     */
    default List<Layer> references() {
        return List.of();
    }

    /**
     * Whether {@link #backward} must compute the gradient with respect to the input (default true).
     * Nets turn it off for the layers that read the net's input when nobody needs that gradient (the
     * Solver's training steps): a layer may then skip that work and return null from backward.
     */
    default void setInputGradient(boolean needed) {
    }

    /** The ops this layer computes with (default: {@code Ops.on(Device.cpu())}). */
    default void setOps(Ops ops) {
    }

    /** Fewest inputs this layer takes. */
    default int minInputs() {
        return 1;
    }

    /** Most inputs this layer takes. */
    default int maxInputs() {
        return 1;
    }

    /** Forward over several inputs (a graph node); single-input layers take exactly one. */
    default Tensor forward(List<Tensor> in, Mode mode) {
        requireOne(in.size());
        return forward(in.get(0), mode);
    }

    /** Backward over several inputs: one gradient per input of the last forward (null entries allowed). */
    default List<Tensor> backwardAll(Tensor dOut) {
        return java.util.Collections.singletonList(backward(dOut));
    }

    /** Output shape for several inputs. */
    default long[] outputShape(List<long[]> in) {
        requireOne(in.size());
        return outputShape(in.get(0));
    }

    private void requireOne(int n) {
        if (n != 1) throw new IllegalArgumentException(type() + ": takes 1 input, got " + n);
    }
}

/**
 * tensorlane layers: layers with forward/backward over the runtime's {@code Ops}, nets, losses,
 * initialisers, optimizers, the {@code Solver}, gradient checks, data sets and scaling, classic
 * models and model files. Layers never call kernels directly, so a net runs on any device.
 */
module io.tensorlane.layers {
    requires transitive io.tensorlane.runtime;
    requires com.fasterxml.jackson.databind;
    requires org.knowm.xchart;
    requires java.desktop;

    exports io.tensorlane.layers;
    exports io.tensorlane.layers.data;
    exports io.tensorlane.layers.io;
    exports io.tensorlane.layers.metrics;
    exports io.tensorlane.layers.models;
    exports io.tensorlane.layers.nn;
    exports io.tensorlane.layers.loss;
    exports io.tensorlane.layers.net;
    exports io.tensorlane.layers.optim;
    exports io.tensorlane.layers.solver;
}

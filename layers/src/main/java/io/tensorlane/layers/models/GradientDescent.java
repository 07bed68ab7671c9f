package io.tensorlane.layers.models;

/**
 * Settings of full-batch gradient descent for the linear models: {@code w -= learningRate * grad} for
 * {@code iterations} steps from zero weights (the objectives are convex, so no random start is needed and
 * results are reproducible), stopping early once the loss changes by less than {@code tolerance}
 * (relative) between steps.
 *
 * @param learningRate step size (> 0)
 * @param iterations   the most steps (>= 1)
 * @param l2           L2 penalty {@code l2 * ||w||^2} added to the mean loss; the bias is not penalised (>= 0)
 * @param tolerance    relative loss change that counts as converged (>= 0; 0 runs every iteration)
 */
public record GradientDescent(double learningRate, int iterations, double l2, double tolerance) {
    public GradientDescent {
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("gradient descent: learningRate must be finite and > 0, got " + learningRate);
        }
        if (iterations < 1) throw new IllegalArgumentException("gradient descent: iterations must be >= 1, got " + iterations);
        if (!(l2 >= 0) || !Double.isFinite(l2)) throw new IllegalArgumentException("gradient descent: l2 must be finite and >= 0, got " + l2);
        if (!(tolerance >= 0)) throw new IllegalArgumentException("gradient descent: tolerance must be >= 0, got " + tolerance);
    }

    /** No penalty, every iteration run. */
    public GradientDescent(double learningRate, int iterations) {
        this(learningRate, iterations, 0, 0);
    }

    public GradientDescent withL2(double penalty) {
        return new GradientDescent(learningRate, iterations, penalty, tolerance);
    }

    public GradientDescent withTolerance(double tol) {
        return new GradientDescent(learningRate, iterations, l2, tol);
    }
}

package io.tensorlane.layers.io;

import java.io.IOException;

/** A model file that is truncated, corrupted, of another format or version, or declares impossible sizes. */
public final class ModelFileException extends IOException {
    public ModelFileException(String message) {
        super(message);
    }
}

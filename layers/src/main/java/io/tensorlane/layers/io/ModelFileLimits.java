package io.tensorlane.layers.io;

/**
 * Upper bounds a {@link ModelFile} reader enforces before it allocates anything, so that a hostile file
 * cannot make it reserve memory it does not hold. Every declared size is also checked against the bytes
 * that are actually left in the file; these limits are a second, absolute fence.
 *
 * @param maxFileBytes  the largest file accepted
 * @param maxJsonBytes  the largest net-file JSON text
 * @param maxTensors    the most tensors (parameters plus extras)
 * @param maxNameBytes  the longest tensor name, in UTF-8 bytes
 * @param maxRank       the most dims of one tensor
 */
public record ModelFileLimits(long maxFileBytes, long maxJsonBytes, int maxTensors, int maxNameBytes, int maxRank) {
    /** 8 GiB files, 64 MiB of JSON, 1,000,000 tensors, 1024-byte names, rank 8. */
    public static final ModelFileLimits DEFAULT = new ModelFileLimits(8L << 30, 64L << 20, 1_000_000, 1024, 8);

    public ModelFileLimits {
        if (maxFileBytes <= 0 || maxJsonBytes < 0 || maxTensors < 0 || maxNameBytes <= 0 || maxNameBytes > 0xFFFF
                || maxRank < 0 || maxRank > 255) {
            throw new IllegalArgumentException("model file limits: out of range: " + maxFileBytes + ", " + maxJsonBytes + ", "
                    + maxTensors + ", " + maxNameBytes + ", " + maxRank);
        }
    }
}

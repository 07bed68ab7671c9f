package io.tensorlane.kernels;

/**
 * Register and cache blocking of the packed SGEMM (the BLIS loop nest as {@code VectorGemm} runs it):
 *
 * <pre>
 * for each pass over k (up to 4096 deep; one pass over C each):
 *   pack the A rows of the chunk, in kc blocks of MR-row panels (kept for all column blocks)
 *   for each column block of nc:                  pack B, in kc blocks of NR-column panels
 *     for each row block of mc:
 *       for each kc block:                        MR x NR microkernels into an mc x nc buffer in L1/L2,
 *                                                 each tile resuming from its buffered sums
 *       merge that buffer into C row by row
 * </pre>
 *
 * <ul>
 *   <li>{@code mr} x {@code nr}: the register tile of the microkernel (rows of A x columns of B). Fixed by
 *       the microkernel that runs, so only {@link #forVectorLanes(int)} chooses it;</li>
 *   <li>{@code kc}: depth of one microkernel call; its B micro-panel ({@code kc x nr} floats) should stay in L1;</li>
 *   <li>{@code mc}: rows per microkernel sweep and per merge into C; a multiple of mr;</li>
 *   <li>{@code nc}: columns of one packed B block; a multiple of nr.</li>
 * </ul>
 *
 * No blocking parameter changes the results (each tile's sums continue across kc blocks), and neither
 * does the thread count.
 */
public record GemmBlocking(int mr, int nr, int mc, int kc, int nc) {
    /** System property overriding {@link #mc()}: a positive multiple of mr. */
    public static final String MC_PROPERTY = "tensorlane.gemm.mc";
    /** System property overriding {@link #kc()}: a positive integer. */
    public static final String KC_PROPERTY = "tensorlane.gemm.kc";
    /** System property overriding {@link #nc()}: a positive multiple of nr. */
    public static final String NC_PROPERTY = "tensorlane.gemm.nc";

    /** Caps that keep the per-thread packing buffers (mc*kc + kc*nc floats) of a sane size. */
    private static final int MAX_MC = 1 << 14, MAX_KC = 1 << 14, MAX_NC = 1 << 13;

    public GemmBlocking {
        check("mr", mr, 1, 64);
        check("nr", nr, 1, 256);
        check("mc", mc, 1, MAX_MC);
        check("kc", kc, 1, MAX_KC);
        check("nc", nc, 1, MAX_NC);
        if (mc % mr != 0) {
            throw new IllegalArgumentException("GemmBlocking: mc=" + mc + " must be a multiple of mr=" + mr);
        }
        if (nc % nr != 0) {
            throw new IllegalArgumentException("GemmBlocking: nc=" + nc + " must be a multiple of nr=" + nr);
        }
    }

    private static void check(String name, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException("GemmBlocking: " + name + "=" + v + " must be in [" + min + ", " + max + "]");
        }
    }

    /**
     * Defaults for a microkernel over vectors of {@code lanes} floats, for caches of at least
     * L1d 32 KiB and L2 512 KiB per core (AMD Zen 2-5, Intel since Skylake):
     *
     * <ul>
     *   <li>128 and 256 bits (4 or 8 lanes, 16 vector registers on SSE/AVX2): a 4 x 2-vector tile, 8
     *       accumulators, exactly the FMA latency x throughput product (4 cycles x 2 pipes), while 2 B
     *       loads and 4 broadcasts still fit the remaining registers however C2 schedules them (6 x 2
     *       made C2 spill an accumulator every iteration; 2x unrolling spilled too);</li>
     *   <li>512 bits (16 lanes, 32 registers): an 8 x 2-vector tile, 16 accumulators;</li>
     *   <li>kc = 512, mc = 64, nc = 256 / (bytes per float) KiB / kc, i.e. a 256 KiB B block: measured on
     *       Zen 3 (AVX2) against kc 256-1024, mc 32-128 and nc 128-4096 over square and convolution
     *       shapes. Deep kc halves the passes over C, which in a VM are costly (each row of C is another
     *       page for the TLB); the small B block is packed with few TLB pages in flight and then read
     *       from L2.</li>
     * </ul>
     */
    public static GemmBlocking forVectorLanes(int lanes) {
        if (lanes < 1) throw new IllegalArgumentException("GemmBlocking: lanes must be >= 1, got " + lanes);
        int mr = lanes >= 16 ? 8 : 4;
        int nr = 2 * lanes;
        int kc = 512;
        int nc = Math.max(nr, (256 * 1024 / Float.BYTES / kc) / nr * nr);
        return new GemmBlocking(mr, nr, 64, kc, nc);
    }

    /**
     * This blocking with mc, kc and nc replaced by the {@value #MC_PROPERTY}, {@value #KC_PROPERTY} and
     * {@value #NC_PROPERTY} system properties where they are set.
     *
     * @throws IllegalArgumentException naming the property when a value is not a valid size
     */
    public GemmBlocking withSystemOverrides() {
        return new GemmBlocking(mr, nr,
                property(MC_PROPERTY, mc, mr, MAX_MC),
                property(KC_PROPERTY, kc, 1, MAX_KC),
                property(NC_PROPERTY, nc, nr, MAX_NC));
    }

    private static int property(String name, int fallback, int multipleOf, int max) {
        String s = System.getProperty(name);
        if (s == null || s.isBlank()) return fallback;
        int v;
        try {
            v = Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + "=" + s + " is not an integer");
        }
        if (v < 1 || v > max || v % multipleOf != 0) {
            throw new IllegalArgumentException("-D" + name + "=" + s + " must be a multiple of " + multipleOf
                    + " in [" + multipleOf + ", " + max + "]");
        }
        return v;
    }

    private static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    @Override
    public String toString() {
        return "mr=" + mr + " nr=" + nr + " mc=" + mc + " kc=" + kc + " nc=" + nc;
    }
}

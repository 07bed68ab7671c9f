package io.tensorlane.kernels;

import java.lang.reflect.InvocationTargetException;
import java.util.Optional;

/**
 * Chooses the kernel implementation once per JVM and says why.
 *
 * <p>SIMD is chosen when the {@code jdk.incubator.vector} module is readable (the JVM was started
 * with {@code --add-modules jdk.incubator.vector}) and its preferred float species, capped by
 * {@code -Dtensorlane.vector.maxBits=128|256|512}, is at least 128 bits wide; otherwise the scalar
 * reference kernels run, and a message says how to enable SIMD. {@code -Dtensorlane.kernels=scalar|simd}
 * forces a choice ({@code simd} fails loudly when SIMD is unavailable rather than silently degrading).
 *
 * <p>Classes that mention {@code jdk.incubator.vector} live in a package that is loaded only after
 * that check, so this class and the scalar kernels work without the module.
 */
public final class Kernels {
    /** {@code scalar}, {@code simd} or {@code auto} (default). */
    public static final String KERNELS_PROPERTY = "tensorlane.kernels";
    /** Caps the SIMD vector width: {@code 128}, {@code 256} or {@code 512}. */
    public static final String MAX_BITS_PROPERTY = "tensorlane.vector.maxBits";

    private static final System.Logger LOG = System.getLogger("io.tensorlane.kernels");
    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String SIMD_FACTORY = "io.tensorlane.kernels.simd.SimdKernels";
    private static final String HOW_TO_ENABLE =
            "start the JVM with --add-modules jdk.incubator.vector (the ./tensorlane launcher does)";

    private Kernels() {
    }

    private static final class Scalar {
        static final KernelSet SET = io.tensorlane.kernels.ref.ScalarKernels.create();
    }

    /** Holds the SIMD set or the reason it is unavailable; initialised on first use only. */
    private static final class Simd {
        static final String UNAVAILABLE_REASON;
        static final KernelSet SET;

        static {
            String reason = null;
            KernelSet set = null;
            try {
                reason = probe();
                if (reason == null) {
                    set = (KernelSet) Class.forName(SIMD_FACTORY).getMethod("create").invoke(null);
                }
            } catch (InvocationTargetException e) {
                reason = "SIMD kernels failed to initialise: " + e.getCause();
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                reason = "SIMD kernels failed to initialise: " + e;
            }
            UNAVAILABLE_REASON = reason;
            SET = set;
        }

        /** null when SIMD can run, else why not. */
        private static String probe() throws ReflectiveOperationException {
            Optional<Module> vector = ModuleLayer.boot().findModule(VECTOR_MODULE);
            if (vector.isEmpty()) {
                return "module " + VECTOR_MODULE + " is not in the boot layer";
            }
            Module self = Kernels.class.getModule();
            if (!self.canRead(vector.get())) {
                self.addReads(vector.get()); // requires static: resolvable but not read by default
            }
            int bits = (int) Class.forName("io.tensorlane.kernels.simd.VectorWidth")
                    .getMethod("selectedBits").invoke(null);
            if (bits < 128) {
                return "the preferred float vector is only " + bits + " bits wide (need >= 128)";
            }
            return null;
        }
    }

    private static final class Selected {
        static final KernelSet SET = select();

        private static KernelSet select() {
            String forced = System.getProperty(KERNELS_PROPERTY, "auto").trim().toLowerCase(java.util.Locale.ROOT);
            switch (forced) {
                case "scalar" -> {
                    LOG.log(System.Logger.Level.DEBUG, "tensorlane kernels: scalar (forced by -D" + KERNELS_PROPERTY + "=scalar)");
                    return Scalar.SET;
                }
                case "simd" -> {
                    if (Simd.SET == null) {
                        throw new IllegalStateException("tensorlane kernels: -D" + KERNELS_PROPERTY
                                + "=simd but SIMD is unavailable: " + Simd.UNAVAILABLE_REASON + "; " + HOW_TO_ENABLE);
                    }
                    LOG.log(System.Logger.Level.DEBUG, "tensorlane kernels: SIMD " + Simd.SET.species() + " (forced)");
                    return Simd.SET;
                }
                case "auto" -> {
                    if (Simd.SET != null) {
                        LOG.log(System.Logger.Level.DEBUG, "tensorlane kernels: SIMD " + Simd.SET.species());
                        return Simd.SET;
                    }
                    LOG.log(System.Logger.Level.WARNING, "tensorlane kernels: using the scalar kernels because "
                            + Simd.UNAVAILABLE_REASON + "; to enable SIMD, " + HOW_TO_ENABLE);
                    return Scalar.SET;
                }
                default -> throw new IllegalArgumentException("tensorlane kernels: -D" + KERNELS_PROPERTY + "="
                        + forced + " is not one of auto, scalar, simd");
            }
        }
    }

    /** The implementation selected for this JVM (see the class comment). */
    public static KernelSet get() {
        return Selected.SET;
    }

    /**
     * A specific implementation, for tests and benchmarks that compare them.
     *
     * @throws IllegalStateException for {@link Impl#SIMD} when SIMD is unavailable, with the reason
     */
    public static KernelSet get(Impl impl) {
        return switch (impl) {
            case SCALAR -> Scalar.SET;
            case SIMD -> {
                if (Simd.SET == null) {
                    throw new IllegalStateException("SIMD kernels unavailable: " + Simd.UNAVAILABLE_REASON
                            + "; " + HOW_TO_ENABLE);
                }
                yield Simd.SET;
            }
        };
    }

    /** Whether the SIMD kernels can run in this JVM. */
    public static boolean simdAvailable() {
        return Simd.SET != null;
    }

    /** Why SIMD cannot run, or empty when it can. */
    public static Optional<String> simdUnavailableReason() {
        return Optional.ofNullable(Simd.UNAVAILABLE_REASON);
    }

    /** One line naming the selected provider, its species (or why scalar) and the GEMM blocking. */
    public static String describe() {
        KernelSet s = get();
        StringBuilder b = new StringBuilder();
        if (s.impl() == Impl.SIMD) {
            b.append("simd (").append(s.species()).append(')');
        } else {
            b.append("scalar (");
            b.append(simdAvailable() ? "forced by -D" + KERNELS_PROPERTY + "=scalar" : Simd.UNAVAILABLE_REASON);
            b.append(')');
        }
        b.append("; gemm ").append(s.gemm());
        return b.toString();
    }
}

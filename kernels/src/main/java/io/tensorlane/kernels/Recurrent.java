package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points of the recurrent family: a vanilla tanh RNN and an LSTM (gate order
 * i|f|o|g), forward and backward through time, over contiguous row-major float32 buffers.
 *
 * <p>Shapes (N batch, T steps, D input size, H hidden size), all contiguous at their offsets:
 * {@code x (N,T,D)}, {@code h0 (N,H)}, {@code c0 (N,H)}, {@code h}, {@code c (N,T,H)}, LSTM {@code gates
 * (N,T,4H)}; weights {@code wx (D,H)} / {@code (D,4H)}, {@code wh (H,H)} / {@code (H,4H)}, {@code b (H)} /
 * {@code (4H)}. A single step is the sequence with T = 1. The sequence is batch-major (as the golden
 * corpus), so a step {@code [:, t, :]} is a strided matrix that the GEMMs use in place through their
 * leading dims.
 *
 * <p>How a sequence runs: one GEMM computes {@code x @ Wx} for all N*T rows at once (into {@code h} for
 * the RNN, into {@code gates} for the LSTM); then each step adds {@code h[:, t-1] @ Wh} with a GEMM of
 * beta = 1 and runs one fused element-wise kernel (bias, activations, cell update). The weights stay
 * two matrices: a single step computes {@code [x, h] @ [Wx; Wh]} as one split-k GEMM over both pairs
 * (no concatenated copy), a sequence as the two GEMMs above. {@link #lstmPackWeights} packs the weights
 * once for callers that reuse them (see {@link PackedMatrix}). Backward through time runs the element-wise backward kernel and one
 * {@code da_t @ Wh^T} GEMM per step (the carry into step t-1); then {@code dx}, {@code dWx} and
 * {@code dWh} are one GEMM each over all N*T rows, and {@code db} one column sum. Nothing is allocated:
 * the caller passes a workspace (see the {@code ...Workspace} sizes). Every GEMM goes through
 * {@code k.gemm()} with {@code par}; the element-wise kernels run on the calling thread.
 *
 * <p>Gradients: {@code dx}, {@code dh0}, {@code dc0} are overwritten; {@code dWx}, {@code dWh}, {@code db}
 * are accumulated into ({@code +=}, as a parameter's gradient buffer); zero them first for plain
 * gradients. All checks happen before any memory is touched; failures are
 * {@link IllegalArgumentException}s naming the op, the argument and the sizes.
 */
public final class Recurrent {
    private Recurrent() {
    }

    /** Floats of workspace {@link #rnnForward} needs: H. */
    public static long rnnForwardWorkspace(int h) {
        return h;
    }

    /** Floats of workspace {@link #rnnBackward} needs: 2*N*T*H (step grads, h shifted by one step). */
    public static long rnnBackwardWorkspace(int n, int t, int h) {
        return Checks.multiply("rnnBackward", "workspace", 2L * n * t, h);
    }

    /** Floats of workspace {@link #lstmBackward} needs: N*T*4H + N*T*H + N*H. */
    public static long lstmBackwardWorkspace(int n, int t, int h) {
        return Checks.multiply("lstmBackward", "workspace", (long) n * t, 5L * h) + (long) n * h;
    }

    // ============================================================ RNN

    /** {@code h[:, t] = tanh(x[:, t] @ wx + h[:, t-1] @ wh + b)}, {@code h[:, -1] = h0}, with the selected kernels. */
    public static void rnnForward(int n, int t, int d, int h,
                                  MemorySegment x, long xOff, MemorySegment h0, long h0Off,
                                  MemorySegment wx, long wxOff, MemorySegment wh, long whOff, MemorySegment b, long bOff,
                                  MemorySegment hOut, long hOff, MemorySegment ws, long wsOff, Parallelism par) {
        rnnForward(Kernels.get(), n, t, d, h, x, xOff, h0, h0Off, wx, wxOff, wh, whOff, b, bOff, hOut, hOff, ws, wsOff, par);
    }

    /** As {@link #rnnForward(int, int, int, int, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, Parallelism)} on kernel set {@code k}. */
    public static void rnnForward(KernelSet k, int n, int t, int d, int h,
                                  MemorySegment x, long xOff, MemorySegment h0, long h0Off,
                                  MemorySegment wx, long wxOff, MemorySegment wh, long whOff, MemorySegment b, long bOff,
                                  MemorySegment hOut, long hOff, MemorySegment ws, long wsOff, Parallelism par) {
        String op = "rnnForward";
        Dims z = Dims.of(op, k, par, n, t, d, h, 1);
        Buf[] in = {
                z.buf("x", "N*T*D", x, xOff, (long) n * t * d), z.buf("h0", "N*H", h0, h0Off, (long) n * h),
                z.buf("wx", "D*H", wx, wxOff, (long) d * h), z.buf("wh", "H*H", wh, whOff, (long) h * h),
                z.buf("b", "H", b, bOff, h)};
        Buf[] out = {z.buf("h", "N*T*H", hOut, hOff, (long) n * t * h), z.buf("ws", "H", ws, wsOff, h)};
        z.disjoint(in, out);
        int th = t * h;
        GemmKernels g = k.gemm();
        g.sgemm(Trans.N, Trans.N, n * t, h, d, 1f, x, xOff, d, wx, wxOff, h, 0f, hOut, hOff, h, par);
        for (int s = 0; s < t; s++) {
            MemorySegment prev = s == 0 ? h0 : hOut;
            long prevOff = s == 0 ? h0Off : hOff + (long) (s - 1) * h;
            int ldPrev = s == 0 ? h : th;
            g.sgemm(Trans.N, Trans.N, n, h, h, 1f, prev, prevOff, ldPrev, wh, whOff, h, 1f, hOut, hOff + (long) s * h, th, par);
            k.recurrent().rnnTanhForward(n, h, hOut, hOff + (long) s * h, th, b, bOff, ws, wsOff);
        }
    }

    /** Backward of {@link #rnnForward} with the selected kernels; {@code hOut} is its output, {@code dh (N,T,H)} the upstream gradient. */
    public static void rnnBackward(int n, int t, int d, int h,
                                   MemorySegment x, long xOff, MemorySegment h0, long h0Off,
                                   MemorySegment wx, long wxOff, MemorySegment wh, long whOff,
                                   MemorySegment hOut, long hOff, MemorySegment dh, long dhOff,
                                   MemorySegment dx, long dxOff, MemorySegment dh0, long dh0Off,
                                   MemorySegment dWx, long dWxOff, MemorySegment dWh, long dWhOff, MemorySegment db, long dbOff,
                                   MemorySegment ws, long wsOff, Parallelism par) {
        rnnBackward(Kernels.get(), n, t, d, h, x, xOff, h0, h0Off, wx, wxOff, wh, whOff, hOut, hOff, dh, dhOff,
                dx, dxOff, dh0, dh0Off, dWx, dWxOff, dWh, dWhOff, db, dbOff, ws, wsOff, par);
    }

    /** Backward of {@link #rnnForward} on kernel set {@code k} (workspace: {@link #rnnBackwardWorkspace}). */
    public static void rnnBackward(KernelSet k, int n, int t, int d, int h,
                                   MemorySegment x, long xOff, MemorySegment h0, long h0Off,
                                   MemorySegment wx, long wxOff, MemorySegment wh, long whOff,
                                   MemorySegment hOut, long hOff, MemorySegment dh, long dhOff,
                                   MemorySegment dx, long dxOff, MemorySegment dh0, long dh0Off,
                                   MemorySegment dWx, long dWxOff, MemorySegment dWh, long dWhOff, MemorySegment db, long dbOff,
                                   MemorySegment ws, long wsOff, Parallelism par) {
        String op = "rnnBackward";
        Dims z = Dims.of(op, k, par, n, t, d, h, 1);
        long nt = (long) n * t;
        Buf[] in = {
                z.buf("x", "N*T*D", x, xOff, nt * d), z.buf("h0", "N*H", h0, h0Off, (long) n * h),
                z.buf("wx", "D*H", wx, wxOff, (long) d * h), z.buf("wh", "H*H", wh, whOff, (long) h * h),
                z.buf("h", "N*T*H", hOut, hOff, nt * h), z.buf("dh", "N*T*H", dh, dhOff, nt * h)};
        Buf[] out = {
                z.buf("dx", "N*T*D", dx, dxOff, nt * d), z.buf("dh0", "N*H", dh0, dh0Off, (long) n * h),
                z.buf("dWx", "D*H", dWx, dWxOff, (long) d * h), z.buf("dWh", "H*H", dWh, dWhOff, (long) h * h),
                z.buf("db", "H", db, dbOff, h), z.buf("ws", "2*N*T*H", ws, wsOff, rnnBackwardWorkspace(n, t, h))};
        z.disjoint(in, out);
        int th = t * h;
        long daOff = wsOff, hpOff = wsOff + nt * h;
        GemmKernels g = k.gemm();
        for (int s = t - 1; s >= 0; s--) {
            long so = (long) s * h;
            k.recurrent().rnnTanhBackward(n, h, hOut, hOff + so, th, dh, dhOff + so, th,
                    s == t - 1 ? null : dh0, dh0Off, ws, daOff + so, th);
            // the carry into step s-1; after step 0 it is dh0 itself
            g.sgemm(Trans.N, Trans.T, n, h, h, 1f, ws, daOff + so, th, wh, whOff, h, 0f, dh0, dh0Off, h, par);
        }
        weightGrads(k, n, t, d, h, h, x, xOff, h0, h0Off, wx, wxOff, hOut, hOff, ws, daOff, ws, hpOff,
                dx, dxOff, dWx, dWxOff, dWh, dWhOff, db, dbOff, par);
    }

    /**
     * The grads that need all steps' pre-activation grads {@code da (N*T, G)} (G = H or 4H): dx, dWx, dWh
     * (through {@code hPrev}, h shifted one step with h0 in front, built in the workspace) and db.
     */
    private static void weightGrads(KernelSet k, int n, int t, int d, int h, int gw,
                                    MemorySegment x, long xOff, MemorySegment h0, long h0Off,
                                    MemorySegment wx, long wxOff, MemorySegment hOut, long hOff,
                                    MemorySegment da, long daOff, MemorySegment hp, long hpOff,
                                    MemorySegment dx, long dxOff, MemorySegment dWx, long dWxOff,
                                    MemorySegment dWh, long dWhOff, MemorySegment db, long dbOff, Parallelism par) {
        int nt = n * t;
        GemmKernels g = k.gemm();
        g.sgemm(Trans.N, Trans.T, nt, d, gw, 1f, da, daOff, gw, wx, wxOff, gw, 0f, dx, dxOff, d, par);
        g.sgemm(Trans.T, Trans.N, d, gw, nt, 1f, x, xOff, d, da, daOff, gw, 1f, dWx, dWxOff, gw, par);
        MemorySegment a = h0;
        long aOff = h0Off;
        if (t > 1) {
            long rowBytes = (long) h * Float.BYTES;
            for (int r = 0; r < n; r++) {
                long dst = (hpOff + (long) r * t * h) * Float.BYTES;
                MemorySegment.copy(h0, (h0Off + (long) r * h) * Float.BYTES, hp, dst, rowBytes);
                MemorySegment.copy(hOut, (hOff + (long) r * t * h) * Float.BYTES, hp, dst + rowBytes, (t - 1) * rowBytes);
            }
            a = hp;
            aOff = hpOff;
        }
        g.sgemm(Trans.T, Trans.N, h, gw, nt, 1f, a, aOff, h, da, daOff, gw, 1f, dWh, dWhOff, gw, par);
        k.recurrent().addColumnSums(nt, gw, da, daOff, gw, db, dbOff);
    }

    // ============================================================ LSTM

    /**
     * LSTM forward with the selected kernels: per step {@code a = x@wx + h@wh + b},
     * {@code i,f,o = sigmoid}, {@code g = tanh}, {@code c = f*cPrev + i*g}, {@code h = o*tanh(c)}.
     * {@code c0 == null}: zero initial cell state. Writes h, c (N,T,H) and the activated gates (N,T,4H),
     * which the backward needs.
     */
    public static void lstmForward(int n, int t, int d, int h,
                                   MemorySegment x, long xOff, MemorySegment h0, long h0Off, MemorySegment c0, long c0Off,
                                   MemorySegment wx, long wxOff, MemorySegment wh, long whOff, MemorySegment b, long bOff,
                                   MemorySegment hOut, long hOff, MemorySegment cOut, long cOff,
                                   MemorySegment gates, long gOff, Parallelism par) {
        lstmForward(Kernels.get(), n, t, d, h, x, xOff, h0, h0Off, c0, c0Off, wx, wxOff, wh, whOff, b, bOff,
                hOut, hOff, cOut, cOff, gates, gOff, par);
    }

    /** {@link #lstmForward(int, int, int, int, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, Parallelism)} on kernel set {@code k}. */
    public static void lstmForward(KernelSet k, int n, int t, int d, int h,
                                   MemorySegment x, long xOff, MemorySegment h0, long h0Off, MemorySegment c0, long c0Off,
                                   MemorySegment wx, long wxOff, MemorySegment wh, long whOff, MemorySegment b, long bOff,
                                   MemorySegment hOut, long hOff, MemorySegment cOut, long cOff,
                                   MemorySegment gates, long gOff, Parallelism par) {
        String op = "lstmForward";
        Dims z = Dims.of(op, k, par, n, t, d, h, 4);
        long nt = (long) n * t, g4 = 4L * h;
        Buf[] in = {
                z.buf("x", "N*T*D", x, xOff, nt * d), z.buf("h0", "N*H", h0, h0Off, (long) n * h),
                c0 == null ? null : z.buf("c0", "N*H", c0, c0Off, (long) n * h),
                z.buf("wx", "D*4H", wx, wxOff, d * g4), z.buf("wh", "H*4H", wh, whOff, h * g4),
                z.buf("b", "4H", b, bOff, g4)};
        Buf[] out = {
                z.buf("h", "N*T*H", hOut, hOff, nt * h), z.buf("c", "N*T*H", cOut, cOff, nt * h),
                z.buf("gates", "N*T*4H", gates, gOff, nt * g4)};
        z.disjoint(in, out);
        lstmSteps(k, n, t, d, h, x, xOff, h0, h0Off, c0, c0Off, wx, wxOff, wh, whOff, null, b, bOff,
                hOut, hOff, cOut, cOff, gates, gOff, par);
    }

    /**
     * The forward's GEMMs and gate kernels, over the weights as stored or ({@code pw != null}) pre-packed.
     * A single step is one product over k = D + H ({@code [x, h0] @ [Wx; Wh]}, C written once); a
     * sequence is one {@code x @ Wx} over all N*T rows, then per step {@code h @ Wh} with beta = 1. Both
     * forms of the weights give the same sums in the same order: bit-identical results.
     */
    private static void lstmSteps(KernelSet k, int n, int t, int d, int h,
                                  MemorySegment x, long xOff, MemorySegment h0, long h0Off, MemorySegment c0, long c0Off,
                                  MemorySegment wx, long wxOff, MemorySegment wh, long whOff, PackedMatrix pw,
                                  MemorySegment b, long bOff, MemorySegment hOut, long hOff, MemorySegment cOut, long cOff,
                                  MemorySegment gates, long gOff, Parallelism par) {
        int th = t * h, tg = 4 * th, gw = 4 * h;
        GemmKernels g = k.gemm();
        if (t == 1) {
            if (pw == null) {
                g.sgemmSplitK(n, gw, d, h, 1f, x, xOff, d, h0, h0Off, h, wx, wxOff, gw, wh, whOff, gw, 0f, gates, gOff, gw, par);
            } else {
                g.sgemmPacked(n, gw, d, h, 1f, x, xOff, d, h0, h0Off, h, pw, 0, 0f, gates, gOff, gw, par);
            }
            k.recurrent().lstmForward(n, h, gates, gOff, gw, b, bOff, c0, c0Off, h, cOut, cOff, h, hOut, hOff, h);
            return;
        }
        if (pw == null) {
            g.sgemm(Trans.N, Trans.N, n * t, gw, d, 1f, x, xOff, d, wx, wxOff, gw, 0f, gates, gOff, gw, par);
        } else {
            g.sgemmPacked(n * t, gw, d, 0, 1f, x, xOff, d, null, 0, 0, pw, 0, 0f, gates, gOff, gw, par);
        }
        for (int s = 0; s < t; s++) {
            MemorySegment hp = s == 0 ? h0 : hOut, cp = s == 0 ? c0 : cOut;
            long hpOff = s == 0 ? h0Off : hOff + (long) (s - 1) * h;
            long cpOff = s == 0 ? c0Off : cOff + (long) (s - 1) * h;
            int ldp = s == 0 ? h : th;
            long gs = gOff + (long) s * gw;
            if (pw == null) {
                g.sgemm(Trans.N, Trans.N, n, gw, h, 1f, hp, hpOff, ldp, wh, whOff, gw, 1f, gates, gs, tg, par);
            } else {
                g.sgemmPacked(n, gw, h, 0, 1f, hp, hpOff, ldp, null, 0, 0, pw, d, 1f, gates, gs, tg, par);
            }
            k.recurrent().lstmForward(n, h, gates, gs, tg, b, bOff, cp, cpOff, ldp,
                    cOut, cOff + (long) s * h, th, hOut, hOff + (long) s * h, th);
        }
    }

    /**
     * The LSTM weights {@code [wx (D,4H); wh (H,4H)]} packed once for {@link #lstmForward(KernelSet, int, int,
     * int, int, MemorySegment, long, MemorySegment, long, MemorySegment, long, PackedMatrix, MemorySegment,
     * long, MemorySegment, long, MemorySegment, long, MemorySegment, long, Parallelism) lstmForward} over
     * packed weights: a {@code (D+H) x 4H} {@link PackedMatrix} of kernel set {@code k}. For weights reused
     * by many forward calls (inference, the steps of a sequence): the forward then no longer repacks them.
     * A snapshot: after the weights change, refill it with {@link #lstmRepackWeights} (or pack anew).
     */
    public static PackedMatrix lstmPackWeights(KernelSet k, int d, int h, MemorySegment wx, long wxOff,
                                               MemorySegment wh, long whOff) {
        String op = "lstmPackWeights";
        if (k == null) throw new IllegalArgumentException(op + ": kernel set is null");
        Checks.positive(op, "D", d);
        Checks.positive(op, "H", h);
        if ((long) d + h > Integer.MAX_VALUE || 4L * h > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": D=" + d + ", H=" + h + " exceed the int range of the packed weights");
        }
        PackedMatrix p = k.gemm().newPackedB(d + h, 4 * h);
        lstmRepackWeights(k, p, d, h, wx, wxOff, wh, whOff);
        return p;
    }

    /** Refills {@code p} (from {@link #lstmPackWeights} with the same k, D, H) from the current wx (D,4H), wh (H,4H). */
    public static void lstmRepackWeights(KernelSet k, PackedMatrix p, int d, int h, MemorySegment wx, long wxOff,
                                         MemorySegment wh, long whOff) {
        String op = "lstmRepackWeights";
        if (k == null) throw new IllegalArgumentException(op + ": kernel set is null");
        packedShape(op, p, d, h);
        long g4 = 4L * h;
        Checks.floats(op, "wx (D*4H = " + d * g4 + " floats for D=" + d + ", H=" + h + ")", wx, wxOff, d * g4);
        Checks.floats(op, "wh (H*4H = " + h * g4 + " floats for H=" + h + ")", wh, whOff, h * g4);
        k.gemm().packB(p, 0, d, wx, wxOff, (int) g4);
        k.gemm().packB(p, d, h, wh, whOff, (int) g4);
    }

    private static void packedShape(String op, PackedMatrix p, int d, int h) {
        Checks.positive(op, "D", d);
        Checks.positive(op, "H", h);
        if (p == null) throw new IllegalArgumentException(op + ": packed weights are null");
        if (p.rows() != (long) d + h || p.cols() != 4L * h) {
            throw new IllegalArgumentException(op + ": packed weights " + p + " do not match D=" + d + ", H=" + h
                    + " (need " + ((long) d + h) + " x " + 4L * h + ")");
        }
    }

    /**
     * {@link #lstmForward(KernelSet, int, int, int, int, MemorySegment, long, MemorySegment, long, MemorySegment,
     * long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment,
     * long, MemorySegment, long, Parallelism) lstmForward} with the weights pre-packed by
     * {@link #lstmPackWeights} on the same kernel set: bit-identical results, without repacking the
     * weights on every call.
     */
    public static void lstmForward(KernelSet k, int n, int t, int d, int h,
                                   MemorySegment x, long xOff, MemorySegment h0, long h0Off, MemorySegment c0, long c0Off,
                                   PackedMatrix w, MemorySegment b, long bOff,
                                   MemorySegment hOut, long hOff, MemorySegment cOut, long cOff,
                                   MemorySegment gates, long gOff, Parallelism par) {
        String op = "lstmForward";
        Dims z = Dims.of(op, k, par, n, t, d, h, 4);
        packedShape(op, w, d, h);
        long nt = (long) n * t, g4 = 4L * h;
        Buf[] in = {
                z.buf("x", "N*T*D", x, xOff, nt * d), z.buf("h0", "N*H", h0, h0Off, (long) n * h),
                c0 == null ? null : z.buf("c0", "N*H", c0, c0Off, (long) n * h),
                z.buf("b", "4H", b, bOff, g4)};
        Buf[] out = {
                z.buf("h", "N*T*H", hOut, hOff, nt * h), z.buf("c", "N*T*H", cOut, cOff, nt * h),
                z.buf("gates", "N*T*4H", gates, gOff, nt * g4)};
        z.disjoint(in, out);
        lstmSteps(k, n, t, d, h, x, xOff, h0, h0Off, c0, c0Off, null, 0, null, 0, w, b, bOff,
                hOut, hOff, cOut, cOff, gates, gOff, par);
    }

    /**
     * Backward of {@link #lstmForward} with the selected kernels. {@code hOut, cOut, gates} are its
     * outputs; {@code dh (N,T,H)} the upstream gradient on every h, {@code dcLast (N,H)} the one on the
     * last cell state (null: none). {@code dc0} may be null (not wanted). Workspace:
     * {@link #lstmBackwardWorkspace}.
     */
    public static void lstmBackward(int n, int t, int d, int h,
                                    MemorySegment x, long xOff, MemorySegment h0, long h0Off, MemorySegment c0, long c0Off,
                                    MemorySegment wx, long wxOff, MemorySegment wh, long whOff,
                                    MemorySegment hOut, long hOff, MemorySegment cOut, long cOff, MemorySegment gates, long gOff,
                                    MemorySegment dh, long dhOff, MemorySegment dcLast, long dcLastOff,
                                    MemorySegment dx, long dxOff, MemorySegment dh0, long dh0Off, MemorySegment dc0, long dc0Off,
                                    MemorySegment dWx, long dWxOff, MemorySegment dWh, long dWhOff, MemorySegment db, long dbOff,
                                    MemorySegment ws, long wsOff, Parallelism par) {
        lstmBackward(Kernels.get(), n, t, d, h, x, xOff, h0, h0Off, c0, c0Off, wx, wxOff, wh, whOff,
                hOut, hOff, cOut, cOff, gates, gOff, dh, dhOff, dcLast, dcLastOff,
                dx, dxOff, dh0, dh0Off, dc0, dc0Off, dWx, dWxOff, dWh, dWhOff, db, dbOff, ws, wsOff, par);
    }

    /** Backward of {@link #lstmForward} on kernel set {@code k}. */
    public static void lstmBackward(KernelSet k, int n, int t, int d, int h,
                                    MemorySegment x, long xOff, MemorySegment h0, long h0Off, MemorySegment c0, long c0Off,
                                    MemorySegment wx, long wxOff, MemorySegment wh, long whOff,
                                    MemorySegment hOut, long hOff, MemorySegment cOut, long cOff, MemorySegment gates, long gOff,
                                    MemorySegment dh, long dhOff, MemorySegment dcLast, long dcLastOff,
                                    MemorySegment dx, long dxOff, MemorySegment dh0, long dh0Off, MemorySegment dc0, long dc0Off,
                                    MemorySegment dWx, long dWxOff, MemorySegment dWh, long dWhOff, MemorySegment db, long dbOff,
                                    MemorySegment ws, long wsOff, Parallelism par) {
        String op = "lstmBackward";
        Dims z = Dims.of(op, k, par, n, t, d, h, 4);
        long nt = (long) n * t, g4 = 4L * h, nh = (long) n * h;
        Buf[] in = {
                z.buf("x", "N*T*D", x, xOff, nt * d), z.buf("h0", "N*H", h0, h0Off, nh),
                c0 == null ? null : z.buf("c0", "N*H", c0, c0Off, nh),
                z.buf("wx", "D*4H", wx, wxOff, d * g4), z.buf("wh", "H*4H", wh, whOff, h * g4),
                z.buf("h", "N*T*H", hOut, hOff, nt * h), z.buf("c", "N*T*H", cOut, cOff, nt * h),
                z.buf("gates", "N*T*4H", gates, gOff, nt * g4), z.buf("dh", "N*T*H", dh, dhOff, nt * h)};
        Buf dcl = dcLast == null ? null : z.buf("dcLast", "N*H", dcLast, dcLastOff, nh);
        Buf dc0b = dc0 == null ? null : z.buf("dc0", "N*H", dc0, dc0Off, nh);
        Buf[] out = {
                z.buf("dx", "N*T*D", dx, dxOff, nt * d), z.buf("dh0", "N*H", dh0, dh0Off, nh), dc0b,
                z.buf("dWx", "D*4H", dWx, dWxOff, d * g4), z.buf("dWh", "H*4H", dWh, dWhOff, h * g4),
                z.buf("db", "4H", db, dbOff, g4), z.buf("ws", "N*T*5H+N*H", ws, wsOff, lstmBackwardWorkspace(n, t, h))};
        z.disjoint(in, out);
        if (dcl != null) {
            z.disjoint(new Buf[] {dcl}, out);
        }
        int th = t * h, gw = 4 * h, tg = 4 * th;
        long daOff = wsOff, hpOff = wsOff + nt * g4, dcwOff = hpOff + nt * h;
        MemorySegment dcBuf = dc0 == null ? ws : dc0;
        long dcBufOff = dc0 == null ? dcwOff : dc0Off;
        GemmKernels g = k.gemm();
        for (int s = t - 1; s >= 0; s--) {
            long so = (long) s * h;
            boolean last = s == t - 1;
            MemorySegment cp = s == 0 ? c0 : cOut;
            long cpOff = s == 0 ? c0Off : cOff + so - h;
            int ldcp = s == 0 ? h : th;
            k.recurrent().lstmBackward(n, h, gates, gOff + (long) s * gw, tg, cOut, cOff + so, th, cp, cpOff, ldcp,
                    dh, dhOff + so, th, last ? null : dh0, dh0Off,
                    last ? dcLast : dcBuf, last ? dcLastOff : dcBufOff,
                    ws, daOff + (long) s * gw, tg, dcBuf, dcBufOff);
            // the carry into step s-1; after step 0 it is dh0 itself
            g.sgemm(Trans.N, Trans.T, n, h, gw, 1f, ws, daOff + (long) s * gw, tg, wh, whOff, gw, 0f, dh0, dh0Off, h, par);
        }
        weightGrads(k, n, t, d, h, gw, x, xOff, h0, h0Off, wx, wxOff, hOut, hOff, ws, daOff, ws, hpOff,
                dx, dxOff, dWx, dWxOff, dWh, dWhOff, db, dbOff, par);
    }

    // ============================================================ validation

    /** One buffer argument: its name, shape formula and element range. */
    private record Buf(String name, MemorySegment seg, long off, long len) {
    }

    /** The validated sizes of one call; builds argument descriptions that name them. */
    private record Dims(String op, int n, int t, int d, int h, int gates) {
        static Dims of(String op, KernelSet k, Parallelism par, int n, int t, int d, int h, int gates) {
            if (k == null) throw new IllegalArgumentException(op + ": kernel set is null");
            if (par == null) throw new IllegalArgumentException(op + ": par is null");
            Checks.positive(op, "N", n);
            Checks.positive(op, "T", t);
            Checks.positive(op, "D", d);
            Checks.positive(op, "H", h);
            // every GEMM dim and leading dim is an int: N*T, T*D, T*gates*H
            long[][] products = {{n, t}, {t, d}, {t, (long) gates * h}, {n, (long) gates * h}};
            for (long[] p : products) {
                if (p[0] * p[1] > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException(op + ": N=" + n + ", T=" + t + ", D=" + d + ", H=" + h
                            + " exceed the int range of the GEMM dims (" + p[0] + " * " + p[1] + ")");
                }
            }
            return new Dims(op, n, t, d, h, gates);
        }

        Buf buf(String name, String formula, MemorySegment seg, long off, long len) {
            Checks.floats(op, name + " (" + formula + " = " + len + " floats for N=" + n + ", T=" + t + ", D=" + d
                    + ", H=" + h + ")", seg, off, len);
            return new Buf(name, seg, off, len);
        }

        /** Outputs share no memory with inputs or with each other (null entries are absent arguments). */
        void disjoint(Buf[] in, Buf[] out) {
            for (int i = 0; i < out.length; i++) {
                Buf o = out[i];
                if (o == null) continue;
                for (Buf a : in) {
                    if (a != null) Checks.disjoint(op, o.name, o.seg, o.off, o.len, Float.BYTES, a.name, a.seg, a.off, a.len, Float.BYTES);
                }
                for (int j = i + 1; j < out.length; j++) {
                    Buf b = out[j];
                    if (b != null) Checks.disjoint(op, o.name, o.seg, o.off, o.len, Float.BYTES, b.name, b.seg, b.off, b.len, Float.BYTES);
                }
            }
        }
    }
}

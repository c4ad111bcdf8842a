//! Hand-written CPU kernels for the LSTM: one sequence pass forward and
//! backward over `gemm` products, and the f16 matrix-vector product that
//! generation runs at batch 1.
//!
//! Weights are laid out as in [`crate::network::lstm`]: `[d_in + H, 4H]` row-major, the
//! input rows first, gates in the order input, forget, output, cell.

use half::f16;

/// Row-major `c[m, n] (+)= a[m, k] · b[k, n]`, each operand given with its row
/// and column strides so that transposes and interleaved rows need no copy.
///
/// The product is split across rayon's threads by hand, by rows when there are
/// many and by columns otherwise: gemm's own threading scaled poorly on these
/// shapes (1.0-1.4 x on two cores, against 1.6-2 x split this way).
#[allow(clippy::too_many_arguments)]
fn matmul(
    (m, k, n): (usize, usize, usize),
    c: &mut [f32],
    c_row: usize,
    accumulate: bool,
    a: &[f32],
    (a_row, a_col): (usize, usize),
    b: &[f32],
    (b_row, b_col): (usize, usize),
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for row in 0..m {
                c[row * c_row..row * c_row + n].fill(0.0);
            }
        }
        return;
    }
    // The raw calls below trust these bounds.
    assert!(c_row >= n && (m - 1) * c_row + n <= c.len());
    assert!((m - 1) * a_row + (k - 1) * a_col < a.len());
    assert!((k - 1) * b_row + (n - 1) * b_col < b.len());
    let parts = rayon::current_num_threads().max(1);
    let work = m * k * n;
    let c = SharedPtr(c.as_mut_ptr());
    // A block: rows `r0..r0 + rows`, columns `c0..c0 + cols`.
    let block = |r0: usize, rows: usize, c0: usize, cols: usize| {
        move || {
            // SAFETY: the block lies inside the bounds asserted above, and
            // blocks run at once never overlap in `c`; `a` and `b` are only read.
            unsafe {
                gemm::gemm(
                    rows,
                    cols,
                    k,
                    c.get().add(r0 * c_row + c0),
                    1,
                    c_row as isize,
                    accumulate,
                    a.as_ptr().add(r0 * a_row),
                    a_col as isize,
                    a_row as isize,
                    b.as_ptr().add(c0 * b_col),
                    b_col as isize,
                    b_row as isize,
                    1.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
        }
    };
    // Below this many multiply-adds a thread costs more than it saves.
    if parts == 1 || work < 1 << 20 {
        block(0, m, 0, n)();
    } else if m >= 64 * parts {
        let rows = m.div_ceil(parts);
        rayon::scope(|scope| {
            for r0 in (0..m).step_by(rows) {
                scope.spawn(move |_| block(r0, rows.min(m - r0), 0, n)());
            }
        });
    } else {
        // Column blocks in multiples of 16 (one AVX-512 register of f32).
        let cols = n.div_ceil(parts).div_ceil(16) * 16;
        rayon::scope(|scope| {
            for c0 in (0..n).step_by(cols) {
                scope.spawn(move |_| block(0, m, c0, cols.min(n - c0))());
            }
        });
    }
}

/// A pointer into `c` that threads writing disjoint blocks may share.
#[derive(Clone, Copy)]
struct SharedPtr(*mut f32);

// SAFETY: only used by `matmul`, whose blocks are disjoint.
unsafe impl Send for SharedPtr {}
unsafe impl Sync for SharedPtr {}

impl SharedPtr {
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// `exp(x)` from a degree-6 polynomial on a range-reduced argument: branch
/// free, so the loops below vectorise (the libm call does not). Relative error
/// about 2e-7.
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // Round x / ln 2 to the nearest integer with the 1.5 * 2^23 trick.
    let shifted = x * std::f32::consts::LOG2_E + 12_582_912.0;
    let n = shifted - 12_582_912.0;
    let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (0.166_666_67
                    + r * (0.041_666_668 + r * (0.008_333_334 + r * 0.001_388_889)))));
    // 2^n from the integer in the shifted value's low mantissa bits: integer
    // operations only, where `n as i32` would saturate through a compare per lane.
    let two_to_n = (shifted.to_bits().wrapping_sub(0x4B40_0000 - 127)) << 23;
    p * f32::from_bits(two_to_n)
}

/// Runs `f` compiled for the widest vector unit the CPU has: AVX-512, else
/// AVX2 with FMA, else the portable build (SSE2 on x86-64). The element-wise
/// LSTM loops vectorise at that width only when inlined into such a function.
#[inline(always)]
fn with_widest_simd<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
        fn avx512<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        #[target_feature(enable = "avx2,fma")]
        fn avx2<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            // SAFETY: the CPU has every feature `avx512` is compiled for.
            return unsafe { avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has every feature `avx2` is compiled for.
            return unsafe { avx2(f) };
        }
    }
    f()
}

/// The logistic function. Inputs are clamped to ±30 (an error below 1e-13)
/// so that saturated gates never produce subnormal numbers, which slow every
/// product they reach by an order of magnitude.
#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x.clamp(-30.0, 30.0)))
}

#[inline(always)]
fn tanh(x: f32) -> f32 {
    2.0 * sigmoid(2.0 * x) - 1.0
}

/// Sizes of one layer's pass over a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Time steps.
    pub steps: usize,
    /// Sequences side by side.
    pub batch: usize,
    /// Input width.
    pub input: usize,
    /// State width.
    pub hidden: usize,
}

impl Dims {
    fn rows(&self) -> usize {
        self.steps * self.batch
    }
}

/// Turns gate products `[B, 4H]` plus `bias` into activations in place, and
/// the previous cell state (row stride `c_prev_row`) into the new `h` and `c`,
/// written side by side into `out` rows `[h | c]` of width `2H`.
fn cell_update(
    gates: &mut [f32],
    bias: &[f32],
    c_prev: &[f32],
    c_prev_row: usize,
    out: &mut [f32],
    h: usize,
) {
    let rows = gates.len() / (4 * h);
    // Rows are independent: at training batch sizes, split them across threads.
    if rows >= 16 && rayon::current_num_threads() > 1 {
        let half = rows / 2;
        let (gates_a, gates_b) = gates.split_at_mut(half * 4 * h);
        let (out_a, out_b) = out.split_at_mut(half * 2 * h);
        let c_prev_b = &c_prev[half * c_prev_row..];
        rayon::join(
            || cell_update(gates_a, bias, c_prev, c_prev_row, out_a, h),
            || cell_update(gates_b, bias, c_prev_b, c_prev_row, out_b, h),
        );
        return;
    }
    with_widest_simd(
        #[inline(always)]
        || cell_rows(gates, bias, c_prev, c_prev_row, out, h),
    );
}

/// [`cell_update`] on one block of rows.
#[inline(always)]
fn cell_rows(
    gates: &mut [f32],
    bias: &[f32],
    c_prev: &[f32],
    c_prev_row: usize,
    out: &mut [f32],
    h: usize,
) {
    for (b, (gate, out)) in gates
        .chunks_exact_mut(4 * h)
        .zip(out.chunks_exact_mut(2 * h))
        .enumerate()
    {
        let (ifo, candidate) = gate.split_at_mut(3 * h);
        let (ifo_bias, candidate_bias) = bias.split_at(3 * h);
        ifo.iter_mut()
            .zip(ifo_bias)
            .for_each(|(v, b)| *v = sigmoid(*v + b));
        candidate
            .iter_mut()
            .zip(candidate_bias)
            .for_each(|(v, b)| *v = tanh(*v + b));
        let (input_gate, rest) = ifo.split_at(h);
        let (forget_gate, output_gate) = rest.split_at(h);
        let c_prev = &c_prev[b * c_prev_row..b * c_prev_row + h];
        let (h_out, c_out) = out.split_at_mut(h);
        for j in 0..h {
            let c = forget_gate[j] * c_prev[j] + input_gate[j] * candidate[j];
            c_out[j] = c;
            h_out[j] = output_gate[j] * tanh(c);
        }
    }
}

/// One layer forward over a sequence. `x` is `[T, B, d_in]`, `h0`/`c0` are
/// `[B, H]`; returns `[T, B, 2H]` (each step's `h` then `c`) and the gate
/// activations `[T, B, 4H]` the backward pass needs.
pub fn forward(
    dims: Dims,
    x: &[f32],
    weights: &[f32],
    bias: &[f32],
    h0: &[f32],
    c0: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let Dims {
        batch: nb,
        input: d,
        hidden: h,
        ..
    } = dims;
    let rows = dims.rows();
    let (w_input, w_hidden) = weights.split_at(d * 4 * h);
    // Every step's input product in one large product; the bias is added
    // with the activations.
    let mut gates = vec![0.0; rows * 4 * h];
    matmul(
        (rows, d, 4 * h),
        &mut gates,
        4 * h,
        false,
        x,
        (d, 1),
        w_input,
        (4 * h, 1),
    );
    let mut out = vec![0.0; rows * 2 * h];
    for t in 0..dims.steps {
        let (done, rest) = out.split_at_mut(t * nb * 2 * h);
        let step_gates = &mut gates[t * nb * 4 * h..(t + 1) * nb * 4 * h];
        // The previous state: h0/c0 (row stride H) or the last step's rows (stride 2H).
        let (h_prev, c_prev, stride) = if t == 0 {
            (h0, c0, h)
        } else {
            let last = &done[(t - 1) * nb * 2 * h..];
            (last, &last[h..], 2 * h)
        };
        matmul(
            (nb, h, 4 * h),
            step_gates,
            4 * h,
            true,
            h_prev,
            (stride, 1),
            w_hidden,
            (4 * h, 1),
        );
        cell_update(step_gates, bias, c_prev, stride, &mut rest[..nb * 2 * h], h);
    }
    (out, gates)
}

/// One step of the backward pass, element-wise part: what it reads.
struct StepGrads<'a> {
    h: usize,
    /// Gate activations `[B, 4H]`.
    gates: &'a [f32],
    /// The step's output rows `[B, 2H]`.
    state: &'a [f32],
    /// Their gradient from above.
    grad_state: &'a [f32],
    /// The previous cell state and its row stride.
    c_prev: (&'a [f32], usize),
}

impl StepGrads<'_> {
    /// Fills the pre-activation gate gradients `[B, 4H]` from the state
    /// gradients flowing back from the next step (`dh_next`, `dc_next`,
    /// `[B, H]`); leaves `dc_next` holding this step's.
    fn gate_grads(&self, grad_gates: &mut [f32], dh_next: &[f32], dc_next: &mut [f32]) {
        let h = self.h;
        let rows = dh_next.len() / h;
        // Rows are independent: at training batch sizes, split them across threads.
        if rows >= 16 && rayon::current_num_threads() > 1 {
            let half = rows / 2;
            let (c_prev, c_row) = self.c_prev;
            let second = StepGrads {
                h,
                gates: &self.gates[half * 4 * h..],
                state: &self.state[half * 2 * h..],
                grad_state: &self.grad_state[half * 2 * h..],
                c_prev: (&c_prev[half * c_row..], c_row),
            };
            let (grad_a, grad_b) = grad_gates.split_at_mut(half * 4 * h);
            let (dc_a, dc_b) = dc_next.split_at_mut(half * h);
            let (dh_a, dh_b) = dh_next.split_at(half * h);
            rayon::join(
                || self.gate_grads(grad_a, dh_a, dc_a),
                || second.gate_grads(grad_b, dh_b, dc_b),
            );
            return;
        }
        with_widest_simd(
            #[inline(always)]
            || self.rows(grad_gates, dh_next, dc_next),
        );
    }

    /// [`StepGrads::gate_grads`] on one block of rows.
    #[inline(always)]
    fn rows(&self, grad_gates: &mut [f32], dh_next: &[f32], dc_next: &mut [f32]) {
        let h = self.h;
        let rows = dh_next.len() / h;
        let (c_prev, c_row) = self.c_prev;
        for b in 0..rows {
            let gate = &self.gates[b * 4 * h..(b + 1) * 4 * h];
            let grad_gate = &mut grad_gates[b * 4 * h..(b + 1) * 4 * h];
            let state = &self.state[b * 2 * h..(b + 1) * 2 * h];
            let grad_state = &self.grad_state[b * 2 * h..(b + 1) * 2 * h];
            let c_prev = &c_prev[b * c_row..b * c_row + h];
            let dh_next = &dh_next[b * h..(b + 1) * h];
            let dc_next = &mut dc_next[b * h..(b + 1) * h];
            for j in 0..h {
                let (i, f, o, g) = (gate[j], gate[h + j], gate[2 * h + j], gate[3 * h + j]);
                let tanh_c = tanh(state[h + j]);
                let dh = grad_state[j] + dh_next[j];
                let dc = grad_state[h + j] + dc_next[j] + dh * o * (1.0 - tanh_c * tanh_c);
                grad_gate[j] = dc * g * i * (1.0 - i);
                grad_gate[h + j] = dc * c_prev[j] * f * (1.0 - f);
                grad_gate[2 * h + j] = dh * tanh_c * o * (1.0 - o);
                grad_gate[3 * h + j] = dc * i * (1.0 - g * g);
                dc_next[j] = dc * f;
            }
        }
    }
}

/// Gradients of one layer's inputs.
#[derive(Debug)]
pub struct Gradients {
    /// Of the input sequence, `[T, B, d_in]`.
    pub input: Vec<f32>,
    /// Of the weights, `[d_in + H, 4H]`.
    pub weights: Vec<f32>,
    /// Of the bias, `[4H]`.
    pub bias: Vec<f32>,
    /// Of the initial hidden state, `[B, H]`.
    pub h0: Vec<f32>,
    /// Of the initial cell state, `[B, H]`.
    pub c0: Vec<f32>,
}

/// Backpropagation through time for [`forward`]: `grad_out` is the gradient of
/// its `[T, B, 2H]` output, `out` and `gates` what it returned.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    dims: Dims,
    x: &[f32],
    weights: &[f32],
    h0: &[f32],
    c0: &[f32],
    out: &[f32],
    gates: &[f32],
    grad_out: &[f32],
) -> Gradients {
    let Dims {
        batch: nb,
        input: d,
        hidden: h,
        ..
    } = dims;
    let rows = dims.rows();
    let (w_input, w_hidden) = weights.split_at(d * 4 * h);
    // W_hᵀ `[4H, H]` once, so that the product each step reads it row by row.
    let mut w_hidden_t = vec![0.0; 4 * h * h];
    for (r, row) in w_hidden.chunks_exact(4 * h).enumerate() {
        for (col, &v) in row.iter().enumerate() {
            w_hidden_t[col * h + r] = v;
        }
    }
    let mut grad_gates = vec![0.0; rows * 4 * h];
    let mut dh_next = vec![0.0; nb * h];
    let mut dc_next = vec![0.0; nb * h];
    for t in (0..dims.steps).rev() {
        let step = StepGrads {
            h,
            gates: &gates[t * nb * 4 * h..(t + 1) * nb * 4 * h],
            state: &out[t * nb * 2 * h..(t + 1) * nb * 2 * h],
            grad_state: &grad_out[t * nb * 2 * h..(t + 1) * nb * 2 * h],
            c_prev: if t == 0 {
                (c0, h)
            } else {
                (&out[(t - 1) * nb * 2 * h + h..], 2 * h)
            },
        };
        step.gate_grads(
            &mut grad_gates[t * nb * 4 * h..(t + 1) * nb * 4 * h],
            &dh_next,
            &mut dc_next,
        );
        // dh_{t-1} = dG_t · W_hᵀ
        matmul(
            (nb, 4 * h, h),
            &mut dh_next,
            h,
            false,
            &grad_gates[t * nb * 4 * h..(t + 1) * nb * 4 * h],
            (4 * h, 1),
            &w_hidden_t,
            (h, 1),
        );
    }
    let mut grad_weights = vec![0.0; (d + h) * 4 * h];
    let (grad_w_input, grad_w_hidden) = grad_weights.split_at_mut(d * 4 * h);
    matmul(
        (d, rows, 4 * h),
        grad_w_input,
        4 * h,
        false,
        x,
        (1, d),
        &grad_gates,
        (4 * h, 1),
    );
    // The hidden state each step read is h0 at the first step, then the
    // previous step's `h` (read in place from `out`, row stride 2H).
    let first = nb * 4 * h;
    matmul(
        (h, nb, 4 * h),
        grad_w_hidden,
        4 * h,
        false,
        h0,
        (1, h),
        &grad_gates[..first],
        (4 * h, 1),
    );
    matmul(
        (h, rows - nb, 4 * h),
        grad_w_hidden,
        4 * h,
        true,
        out,
        (1, 2 * h),
        &grad_gates[first..],
        (4 * h, 1),
    );
    // The bias gradient sums the gate gradients over rows: a product with
    // ones, so that it is split across the cores like the others.
    let mut grad_bias = vec![0.0; 4 * h];
    matmul(
        (1, rows, 4 * h),
        &mut grad_bias,
        4 * h,
        false,
        &vec![1.0; rows],
        (rows, 1),
        &grad_gates,
        (4 * h, 1),
    );
    let mut grad_input = vec![0.0; rows * d];
    matmul(
        (rows, 4 * h, d),
        &mut grad_input,
        d,
        false,
        &grad_gates,
        (4 * h, 1),
        w_input,
        (1, 4 * h),
    );
    Gradients {
        input: grad_input,
        weights: grad_weights,
        bias: grad_bias,
        h0: dh_next,
        c0: dc_next,
    }
}

/// A row-major matrix stored as f16: half the bytes to read per product,
/// which is what a batch-1 step is bound by.
#[derive(Debug, Clone)]
pub struct HalfMatrix {
    values: Vec<f16>,
    rows: usize,
    cols: usize,
}

impl HalfMatrix {
    /// Rounds a row-major `[rows, cols]` f32 matrix to f16.
    pub fn new(values: &[f32], rows: usize, cols: usize) -> HalfMatrix {
        assert_eq!(values.len(), rows * cols);
        HalfMatrix {
            values: values.iter().map(|&v| f16::from_f32(v)).collect(),
            rows,
            cols,
        }
    }

    /// Rows (input width).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// `y[b] += x[b] · self` for a batch: `x` is `[B, rows]`, `y` `[B, cols]`.
    ///
    /// Each slice of weights is loaded and converted once for the whole batch;
    /// and each vector's sums are made in the same order whatever B is, so
    /// batching never changes a result.
    pub fn accumulate_batch(&self, x: &[f32], y: &mut [f32]) {
        assert_eq!(x.len() % self.rows, 0);
        assert_eq!(y.len(), x.len() / self.rows * self.cols);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
        {
            // SAFETY: the CPU has the features the function is compiled for,
            // and the shapes were checked above.
            unsafe { self.accumulate_f16c(x, y) };
            return;
        }
        for (r, row) in self.values.chunks_exact(self.cols).enumerate() {
            for (x, y) in x.chunks_exact(self.rows).zip(y.chunks_exact_mut(self.cols)) {
                let xv = x[r];
                y.iter_mut()
                    .zip(row)
                    .for_each(|(yv, w)| *yv += xv * w.to_f32());
            }
        }
    }

    /// Four rows per pass with hardware f16 conversion: each 8-wide slice of
    /// the four rows is converted once and applied to every vector of the batch.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn accumulate_f16c(&self, xs: &[f32], ys: &mut [f32]) {
        use std::arch::x86_64::*;
        let n = self.cols;
        let batch = xs.len() / self.rows;
        let wide = n / 8 * 8;
        let mut scales = vec![0.0f32; 4 * batch];
        let mut r = 0;
        while r < self.rows {
            let take = (self.rows - r).min(4);
            // Missing rows of the last block weigh zero and reread row r.
            let row = |i: usize| if i < take { r + i } else { r };
            for (b, scale) in scales.chunks_exact_mut(4).enumerate() {
                for (i, s) in scale.iter_mut().enumerate() {
                    *s = if i < take {
                        xs[b * self.rows + r + i]
                    } else {
                        0.0
                    };
                }
            }
            // SAFETY: rows r..r+take exist, columns below `wide` are in bounds
            // and every vector b < batch has `n` outputs, so every 8-wide load
            // and store stays inside the slices.
            unsafe {
                let base = self.values.as_ptr();
                let (p0, p1, p2, p3) = (
                    base.add(row(0) * n),
                    base.add(row(1) * n),
                    base.add(row(2) * n),
                    base.add(row(3) * n),
                );
                let out = ys.as_mut_ptr();
                let mut i = 0;
                while i < wide {
                    let load = |p: *const f16| _mm256_cvtph_ps(_mm_loadu_si128(p.add(i).cast()));
                    let (w0, w1, w2, w3) = (load(p0), load(p1), load(p2), load(p3));
                    for (b, scale) in scales.chunks_exact(4).enumerate() {
                        let y = out.add(b * n + i);
                        let mut acc = _mm256_loadu_ps(y);
                        acc = _mm256_fmadd_ps(_mm256_set1_ps(scale[0]), w0, acc);
                        acc = _mm256_fmadd_ps(_mm256_set1_ps(scale[1]), w1, acc);
                        acc = _mm256_fmadd_ps(_mm256_set1_ps(scale[2]), w2, acc);
                        acc = _mm256_fmadd_ps(_mm256_set1_ps(scale[3]), w3, acc);
                        _mm256_storeu_ps(y, acc);
                    }
                    i += 8;
                }
            }
            for (b, y) in ys.chunks_exact_mut(n).enumerate() {
                for (j, yv) in y.iter_mut().enumerate().skip(wide) {
                    for k in 0..take {
                        *yv += xs[b * self.rows + r + k] * self.values[(r + k) * n + j].to_f32();
                    }
                }
            }
            r += take;
        }
    }
}

/// One LSTM step of a batch with f16 weights: `x` `[B, d_in]`, states `h`,
/// `c` `[B, H]` updated in place. `scratch` holds the `[B, 4H]` gates.
pub fn step_half(
    weights: &HalfMatrix,
    bias: &[f32],
    x: &[f32],
    h: &mut [f32],
    c: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    let hidden = bias.len() / 4;
    let batch = h.len() / hidden;
    let d = weights.rows() - hidden;
    scratch.clear();
    scratch.resize(batch * 4 * hidden, 0.0);
    let mut input = Vec::with_capacity(batch * (d + hidden));
    for (x, h) in x.chunks_exact(d).zip(h.chunks_exact(hidden)) {
        input.extend_from_slice(x);
        input.extend_from_slice(h);
    }
    weights.accumulate_batch(&input, scratch);
    let mut state = vec![0.0; batch * 2 * hidden];
    cell_update(scratch, bias, c, hidden, &mut state, hidden);
    for ((state, h), c) in state
        .chunks_exact(2 * hidden)
        .zip(h.chunks_exact_mut(hidden))
        .zip(c.chunks_exact_mut(hidden))
    {
        h.copy_from_slice(&state[..hidden]);
        c.copy_from_slice(&state[hidden..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_activations_match_libm() {
        for i in -2000..=2000 {
            let x = i as f32 / 100.0;
            let rel = (exp(x) - x.exp()).abs() / x.exp();
            assert!(rel < 1e-6, "exp({x}): {} vs {}", exp(x), x.exp());
            assert!((tanh(x) - x.tanh()).abs() < 1e-6, "tanh({x})");
            assert!((sigmoid(x) - 1.0 / (1.0 + (-x).exp())).abs() < 1e-6);
            assert!(
                sigmoid(x) == 0.0 || sigmoid(x).is_normal(),
                "sigmoid({x}) subnormal"
            );
        }
        assert!(sigmoid(-1000.0) < 1e-12);
        assert_eq!(sigmoid(1000.0), 1.0);
    }

    /// Small products run whole; large ones split by rows or by columns
    /// across threads; each must equal the plain triple loop, with a
    /// transposed and strided operand and with accumulation.
    #[test]
    fn matmul_matches_a_plain_product_however_it_is_split() {
        for (m, k, n) in [(3, 5, 7), (1024, 40, 48), (8, 300, 1000), (64, 2, 9000)] {
            let a: Vec<f32> = (0..m * k)
                .map(|i| ((i * 13 % 29) as f32 - 14.0) / 16.0)
                .collect();
            // b is stored transposed: b[p, j] at bt[j * k + p].
            let bt: Vec<f32> = (0..n * k)
                .map(|i| ((i * 7 % 17) as f32 - 8.0) / 8.0)
                .collect();
            // c rows are 3 wider than n, and hold 1.0 before accumulating.
            let row = n + 3;
            let mut c = vec![1.0; m * row];
            matmul((m, k, n), &mut c, row, true, &a, (k, 1), &bt, (1, k));
            for i in (0..m).step_by(m.div_ceil(7)) {
                for j in (0..n).step_by(n.div_ceil(11)) {
                    let expected: f32 =
                        1.0 + (0..k).map(|p| a[i * k + p] * bt[j * k + p]).sum::<f32>();
                    let got = c[i * row + j];
                    assert!(
                        (got - expected).abs() < 1e-3,
                        "{m}x{k}x{n} [{i},{j}]: {got} vs {expected}"
                    );
                }
                assert_eq!(c[i * row + n], 1.0, "padding written");
            }
        }
    }

    #[test]
    fn half_matrix_product_matches_f32_on_every_shape_and_batch() {
        for (rows, cols) in [(1, 1), (3, 7), (4, 8), (13, 37), (64, 256)] {
            let w: Vec<f32> = (0..rows * cols)
                .map(|i| ((i * 7 % 11) as f32 - 5.0) / 8.0)
                .collect();
            let matrix = HalfMatrix::new(&w, rows, cols);
            let x: Vec<f32> = (0..3 * rows).map(|i| (i % 5) as f32 - 2.0).collect();
            let mut batch = vec![1.0; 3 * cols];
            matrix.accumulate_batch(&x, &mut batch);
            for (b, y) in batch.chunks_exact(cols).enumerate() {
                let x = &x[b * rows..(b + 1) * rows];
                // Batching never changes a vector's result, to the bit.
                let mut alone = vec![1.0; cols];
                matrix.accumulate_batch(x, &mut alone);
                assert_eq!(y, alone.as_slice());
                for (j, &yv) in y.iter().enumerate() {
                    // These weights are exact in f16, so the sums match exactly.
                    let expected: f32 =
                        1.0 + (0..rows).map(|r| x[r] * w[r * cols + j]).sum::<f32>();
                    assert!(
                        (yv - expected).abs() < 1e-4,
                        "{rows}x{cols} col {j}: {yv} vs {expected}"
                    );
                }
            }
        }
    }
}

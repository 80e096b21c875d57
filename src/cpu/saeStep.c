// saeStep.c — the TopK SGD step of src/core/sae/train.ts in WebAssembly SIMD128 (issue #15, deliverable 1).
// Built by scripts/build-wasm.sh into saeStep.wasm and saeStepWasm.ts (base64 + this file's SHA-256, which
// test/cpu/wasmBuild.test.ts compares so a stale binary fails CI). No libc: freestanding, one linear memory.
//
// Twin: src/core (the specification, unchanged). Every kernel below names the function it must match;
// test/cpu/kernels.test.ts compares them on edge sizes (1, odd, tile ± 1), ties and k = dSae.
// Layout (the reference's): x, xHat, e [batch, dIn] row-major; wEnc, wDec [dSae, dIn] latent-major;
// z [batch, dSae]; idx, val [batch, k] slots (EMPTY_SLOT / 0 where AuxK has fewer candidates).
// Arithmetic is f32 (the reference accumulates in f64): results agree to ~1e-6 relative per step.
//
// Why sparse: the reference's backward forms g_t·wDec_i for every latent (src/core/sae/loss.ts, a dense
// B·dSae·dIn product); TopK needs it for the k active latents only. The one dense product left is the
// encoder GEMM z = (x − bDec)·wEncᵀ + bEnc (B·dSae·dIn multiply-adds), register-blocked below.

#include <wasm_simd128.h>
#include <stdint.h>

typedef unsigned int u32;
#define EMPTY_SLOT 0xffffffffu
#define EXPORT(name) __attribute__((export_name(#name)))

// ---- memory: a bump allocator over the linear memory (a trainer allocates once, then never grows it,
// so the JS views onto its buffers stay valid) ----
extern unsigned char __heap_base;
static uintptr_t heapTop = 0;

/** bytes → a 16-byte-aligned, zeroed block; 0 when the memory cannot grow. */
EXPORT(wb_alloc) void *wb_alloc(u32 bytes) {
  if (!heapTop) heapTop = (uintptr_t)&__heap_base;
  uintptr_t p = (heapTop + 15) & ~(uintptr_t)15;
  uintptr_t end = p + bytes;
  uintptr_t have = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    if (__builtin_wasm_memory_grow(0, (end - have + 65535u) / 65536u) == (__SIZE_TYPE__)-1) return 0;
  }
  heapTop = end;
  for (unsigned char *q = (unsigned char *)p; q < (unsigned char *)end; q++) *q = 0;
  return (void *)p;
}

/** Frees everything allocated (tests reuse one instance). */
EXPORT(wb_reset) void wb_reset(void) { heapTop = (uintptr_t)&__heap_base; }

// ---- encoder GEMM: z = (x − bDec)·wEncᵀ + bEnc (twin: sae.ts encodePre) ----
// wEnc is packed into panels of NR = 8 latents, d-major: panel[p][d][l] = wEnc[p·8 + l][d] (zero past dSae),
// so the micro-kernel (MR = 4 rows × 8 latents: 8 f32x4 accumulators) loads two vectors per d and
// broadcasts one x value per row: no horizontal sums. One panel (8·dIn floats, 25 KB at dIn 784) stays in L1
// while every row block streams past it.
#define NR 8
#define MR 4

/** Floats in the packed encoder of dSae × dIn. */
EXPORT(wb_packed_len) u32 wb_packed_len(u32 dSae, u32 dIn) { return ((dSae + NR - 1) / NR) * NR * dIn; }

/** packed ← panels of wEnc [dSae, dIn] (see above). */
EXPORT(wb_pack_enc) void wb_pack_enc(const float *wEnc, u32 dSae, u32 dIn, float *packed) {
  u32 panels = (dSae + NR - 1) / NR;
  for (u32 p = 0; p < panels; p++) {
    float *out = packed + (uintptr_t)p * NR * dIn;
    for (u32 l = 0; l < NR; l++) {
      u32 i = p * NR + l;
      if (i < dSae) {
        const float *w = wEnc + (uintptr_t)i * dIn;
        for (u32 d = 0; d < dIn; d++) out[d * NR + l] = w[d];
      } else {
        for (u32 d = 0; d < dIn; d++) out[d * NR + l] = 0.0f;
      }
    }
  }
}

/**
 * z [batch, dSae] = xc·wEncᵀ + bEnc with xc = x − bDec written to xc [batch, dIn] (the backward reuses it).
 * packed: wb_pack_enc of wEnc.
 */
EXPORT(wb_encode) void wb_encode(const float *x, const float *bDec, const float *packed, const float *bEnc, u32 batch, u32 dIn, u32 dSae, float *xc, float *z) {
  for (u32 t = 0; t < batch; t++) {
    const float *xr = x + (uintptr_t)t * dIn;
    float *cr = xc + (uintptr_t)t * dIn;
    u32 d = 0;
    for (; d + 4 <= dIn; d += 4) wasm_v128_store(cr + d, wasm_f32x4_sub(wasm_v128_load(xr + d), wasm_v128_load(bDec + d)));
    for (; d < dIn; d++) cr[d] = xr[d] - bDec[d];
  }
  u32 panels = (dSae + NR - 1) / NR;
  for (u32 p = 0; p < panels; p++) {
    const float *w = packed + (uintptr_t)p * NR * dIn;
    u32 i0 = p * NR;
    u32 nl = dSae - i0 < NR ? dSae - i0 : NR;
    float bias[NR];
    for (u32 l = 0; l < NR; l++) bias[l] = l < nl ? bEnc[i0 + l] : 0.0f;
    v128_t b0 = wasm_v128_load(bias), b1 = wasm_v128_load(bias + 4);
    u32 t = 0;
    for (; t + MR <= batch; t += MR) {
      const float *a0 = xc + (uintptr_t)t * dIn, *a1 = a0 + dIn, *a2 = a1 + dIn, *a3 = a2 + dIn;
      v128_t c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
      for (u32 d = 0; d < dIn; d++) {
        v128_t w0 = wasm_v128_load(w + d * NR), w1 = wasm_v128_load(w + d * NR + 4);
        v128_t x0 = wasm_v128_load32_splat(a0 + d);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, w0));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, w1));
        v128_t x1 = wasm_v128_load32_splat(a1 + d);
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, w0));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, w1));
        v128_t x2 = wasm_v128_load32_splat(a2 + d);
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, w0));
        c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, w1));
        v128_t x3 = wasm_v128_load32_splat(a3 + d);
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, w0));
        c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, w1));
      }
      float out[MR][NR];
      wasm_v128_store(out[0], c00); wasm_v128_store(out[0] + 4, c01);
      wasm_v128_store(out[1], c10); wasm_v128_store(out[1] + 4, c11);
      wasm_v128_store(out[2], c20); wasm_v128_store(out[2] + 4, c21);
      wasm_v128_store(out[3], c30); wasm_v128_store(out[3] + 4, c31);
      for (u32 r = 0; r < MR; r++)
        for (u32 l = 0; l < nl; l++) z[(uintptr_t)(t + r) * dSae + i0 + l] = out[r][l];
    }
    for (; t < batch; t++) {
      const float *a0 = xc + (uintptr_t)t * dIn;
      v128_t c00 = b0, c01 = b1;
      for (u32 d = 0; d < dIn; d++) {
        v128_t x0 = wasm_v128_load32_splat(a0 + d);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, wasm_v128_load(w + d * NR)));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, wasm_v128_load(w + d * NR + 4)));
      }
      float out[NR];
      wasm_v128_store(out, c00); wasm_v128_store(out + 4, c01);
      for (u32 l = 0; l < nl; l++) z[(uintptr_t)t * dSae + i0 + l] = out[l];
    }
  }
}

// ---- TopK (twin: sae.ts topkRow / topkCodes; sparse.ts topkSlots for the masked AuxK form) ----

/**
 * Per row of z [batch, n]: the k largest entries, value desc, ties → the lower index (the reference's
 * insertion rule exactly), val = max(0, z). allowed [n] (0 = no mask) keeps only latents with allowed ≠ 0;
 * slots past the candidates are EMPTY_SLOT / 0. Once k are held, four values at a time are compared with
 * the k-th (one SIMD compare) and skipped together when none beats it: the same rule, `v > kth`.
 */
EXPORT(wb_topk) void wb_topk(const float *z, u32 batch, u32 n, u32 k, const unsigned char *allowed, u32 *idx, float *val) {
  for (u32 t = 0; t < batch; t++) {
    const float *row = z + (uintptr_t)t * n;
    u32 *top = idx + (uintptr_t)t * k;
    u32 len = 0;
    u32 j = 0;
    while (j < n) {
      if (len == k && !allowed && j + 4 <= n) {
        v128_t kth = wasm_f32x4_splat(row[top[k - 1]]);
        if (!wasm_v128_any_true(wasm_f32x4_gt(wasm_v128_load(row + j), kth))) {
          j += 4;
          continue;
        }
      }
      if (allowed && !allowed[j]) {
        j++;
        continue;
      }
      float v = row[j];
      if (len == k && !(v > row[top[k - 1]])) {
        j++;
        continue;
      }
      u32 p = len == k ? k - 1 : len;
      if (len < k) len++;
      while (p > 0 && row[top[p - 1]] < v) {
        top[p] = top[p - 1];
        p--;
      }
      top[p] = j;
      j++;
    }
    float *vr = val + (uintptr_t)t * k;
    for (u32 s = 0; s < k; s++) {
      if (s < len) {
        float v = row[top[s]];
        vr[s] = v > 0.0f ? v : 0.0f;
      } else {
        top[s] = EMPTY_SLOT;
        vr[s] = 0.0f;
      }
    }
  }
}

// ---- sparse decode (twin: sparse.ts decodeSparse; sae.ts decode) ----

/** out [batch, dIn] = bias + Σ_s val[t, s]·wDec[idx[t, s]] (bias 0 = none: AuxK); empty slots add nothing. */
EXPORT(wb_decode) void wb_decode(const u32 *idx, const float *val, const float *wDec, const float *bias, u32 batch, u32 dIn, u32 dSae, u32 k, float *out) {
  for (u32 t = 0; t < batch; t++) {
    float *o = out + (uintptr_t)t * dIn;
    for (u32 d = 0; d < dIn; d++) o[d] = bias ? bias[d] : 0.0f;
    for (u32 s = 0; s < k; s++) {
      u32 i = idx[(uintptr_t)t * k + s];
      float c = val[(uintptr_t)t * k + s];
      if (i >= dSae || c == 0.0f) continue;
      const float *w = wDec + (uintptr_t)i * dIn;
      v128_t cv = wasm_f32x4_splat(c);
      u32 d = 0;
      for (; d + 4 <= dIn; d += 4) wasm_v128_store(o + d, wasm_f32x4_add(wasm_v128_load(o + d), wasm_f32x4_mul(cv, wasm_v128_load(w + d))));
      for (; d < dIn; d++) o[d] += c * w[d];
    }
  }
}

static float dot(const float *a, const float *b, u32 n) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  u32 d = 0;
  for (; d + 4 <= n; d += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + d), wasm_v128_load(b + d)));
  float s = wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) + wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3);
  for (; d < n; d++) s += a[d] * b[d];
  return s;
}

/** y += c·x over n floats. */
static void axpy(float c, const float *x, float *y, u32 n) {
  v128_t cv = wasm_f32x4_splat(c);
  u32 d = 0;
  for (; d + 4 <= n; d += 4) wasm_v128_store(y + d, wasm_f32x4_add(wasm_v128_load(y + d), wasm_f32x4_mul(cv, wasm_v128_load(x + d))));
  for (; d < n; d++) y[d] += c * x[d];
}

/** Σ a² in f64 (per-row f32 SIMD partials; the reference sums in f64 throughout). */
static double sumsq(const float *a, uintptr_t n) {
  double total = 0;
  uintptr_t d = 0;
  while (d < n) {
    uintptr_t end = d + 4096 < n ? d + 4096 : n;
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (; d + 4 <= end; d += 4) {
      v128_t v = wasm_v128_load(a + d);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(v, v));
    }
    total += (double)wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) + wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3);
    for (; d < end; d++) total += (double)a[d] * a[d];
  }
  return total;
}

// ---- sparse backward (twin: loss.ts lossAndGrads for topk/batchtopk codes; sparse.ts decodeBackwardSparse,
// segmentGrad). Only the active latents' decoder rows are read or written. ----

/**
 * One term of the decoder side. gOut [batch, dIn] = ∂L/∂(decoded output), already scaled (main: (2/B)·e;
 * AuxK: α·scale·(2/B)·(ê − e)). For every slot with val > 0:
 *   gVal[t, s] = gOut_t · wDec_i                     (∂L/∂z at the slot: ReLU passes it)
 *   gWDec_i  += val·gOut_t                           (touched[i] ← 1)
 * Slots with val ≤ 0 or empty get gVal 0.
 */
EXPORT(wb_decode_backward) void wb_decode_backward(const u32 *idx, const float *val, const float *wDec, const float *gOut, u32 batch, u32 dIn, u32 dSae, u32 k, float *gVal, float *gWDec, unsigned char *touched) {
  for (u32 t = 0; t < batch; t++) {
    const float *g = gOut + (uintptr_t)t * dIn;
    for (u32 s = 0; s < k; s++) {
      uintptr_t q = (uintptr_t)t * k + s;
      u32 i = idx[q];
      float c = val[q];
      if (i >= dSae || !(c > 0.0f)) {
        gVal[q] = 0.0f;
        continue;
      }
      gVal[q] = dot(g, wDec + (uintptr_t)i * dIn, dIn);
      axpy(c, g, gWDec + (uintptr_t)i * dIn, dIn);
      touched[i] = 1;
    }
  }
}

/**
 * The encoder side, z = wEnc·xc + bEnc with xc = x − bDec: for every slot with gVal ≠ 0,
 *   gBEnc_i += g;  gWEnc_i += g·xc_t;  gBDec −= g·wEnc_i       (touched[i] ← 1)
 */
EXPORT(wb_encode_backward) void wb_encode_backward(const u32 *idx, const float *gVal, const float *xc, const float *wEnc, u32 batch, u32 dIn, u32 dSae, u32 k, float *gWEnc, float *gBEnc, float *gBDec, unsigned char *touched) {
  for (u32 t = 0; t < batch; t++) {
    for (u32 s = 0; s < k; s++) {
      uintptr_t q = (uintptr_t)t * k + s;
      u32 i = idx[q];
      float g = gVal[q];
      if (i >= dSae || g == 0.0f) continue;
      gBEnc[i] += g;
      axpy(g, xc + (uintptr_t)t * dIn, gWEnc + (uintptr_t)i * dIn, dIn);
      axpy(-g, wEnc + (uintptr_t)i * dIn, gBDec, dIn);
      touched[i] = 1;
    }
  }
}

// ---- optimiser (twin: optim.ts projectDecoderGrad, clipGradNorm, adamStep, normalizeRows) ----

/** For each touched latent: gDec_i −= (gDec_i·w_i / ‖w_i‖²)·w_i (untouched rows have gDec_i = 0: unchanged). */
EXPORT(wb_project) void wb_project(const float *wDec, float *gDec, const unsigned char *touched, u32 dSae, u32 dIn) {
  for (u32 i = 0; i < dSae; i++) {
    if (touched && !touched[i]) continue;
    const float *w = wDec + (uintptr_t)i * dIn;
    float *g = gDec + (uintptr_t)i * dIn;
    float nn = dot(w, w, dIn);
    if (nn == 0.0f) continue;
    axpy(-(dot(g, w, dIn) / nn), w, g, dIn);
  }
}

static void scale(float *a, uintptr_t n, float c) {
  v128_t cv = wasm_f32x4_splat(c);
  uintptr_t d = 0;
  for (; d + 4 <= n; d += 4) wasm_v128_store(a + d, wasm_f32x4_mul(wasm_v128_load(a + d), cv));
  for (; d < n; d++) a[d] *= c;
}

/**
 * The global gradient norm over wEnc, bEnc, wDec, bDec (rows of wEnc / wDec outside `touched` are zero and
 * skipped; touched 0 = all rows); when maxNorm > 0 and the norm exceeds it, every gradient is scaled by
 * maxNorm/norm. Returns the norm before clipping.
 */
EXPORT(wb_clip) double wb_clip(float *gWEnc, float *gBEnc, float *gWDec, float *gBDec, const unsigned char *touched, u32 dSae, u32 dIn, double maxNorm) {
  double s = sumsq(gBEnc, dSae) + sumsq(gBDec, dIn);
  for (u32 i = 0; i < dSae; i++) {
    if (touched && !touched[i]) continue;
    s += sumsq(gWEnc + (uintptr_t)i * dIn, dIn) + sumsq(gWDec + (uintptr_t)i * dIn, dIn);
  }
  double norm = __builtin_sqrt(s);
  if (maxNorm > 0 && norm > maxNorm) {
    float c = (float)(maxNorm / norm);
    scale(gBEnc, dSae, c);
    scale(gBDec, dIn, c);
    for (u32 i = 0; i < dSae; i++) {
      if (touched && !touched[i]) continue;
      scale(gWEnc + (uintptr_t)i * dIn, dIn, c);
      scale(gWDec + (uintptr_t)i * dIn, dIn, c);
    }
  }
  return norm;
}

/**
 * Bias-corrected Adam on n values (every value, gradient zero or not: the reference's dense Adam, so a
 * latent's momentum moves it after it stops firing): m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − lr·(m/c1)/(√(v/c2) + ε), c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ.
 */
EXPORT(wb_adam) void wb_adam(float *p, const float *g, float *m, float *v, u32 n, double lr, double beta1, double beta2, double eps, double c1, double c2) {
  // The hyperparameters are f64 as in the reference: 1 − β2 in f32 (1 − 0.999f) would be 5e-5 off.
  v128_t b1 = wasm_f32x4_splat((float)beta1), a1 = wasm_f32x4_splat((float)(1.0 - beta1));
  v128_t b2 = wasm_f32x4_splat((float)beta2), a2 = wasm_f32x4_splat((float)(1.0 - beta2));
  v128_t ic1 = wasm_f32x4_splat((float)(1.0 / c1)), ic2 = wasm_f32x4_splat((float)(1.0 / c2));
  v128_t lrv = wasm_f32x4_splat((float)lr), ev = wasm_f32x4_splat((float)eps);
  u32 i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(b1, wasm_v128_load(m + i)), wasm_f32x4_mul(a1, gi));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(b2, wasm_v128_load(v + i)), wasm_f32x4_mul(a2, wasm_f32x4_mul(gi, gi)));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    v128_t den = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(vi, ic2)), ev);
    wasm_v128_store(p + i, wasm_f32x4_sub(wasm_v128_load(p + i), wasm_f32x4_div(wasm_f32x4_mul(lrv, wasm_f32x4_mul(mi, ic1)), den)));
  }
  for (; i < n; i++) {
    double gi = g[i];
    m[i] = (float)(beta1 * m[i] + (1.0 - beta1) * gi);
    v[i] = (float)(beta2 * v[i] + (1.0 - beta2) * gi * gi);
    p[i] -= (float)(lr * (m[i] / c1) / (__builtin_sqrt(v[i] / c2) + eps));
  }
}

/** Each row of w [rows, cols] to unit L2 norm; zero rows stay zero. */
EXPORT(wb_normalize) void wb_normalize(float *w, u32 rows, u32 cols) {
  for (u32 i = 0; i < rows; i++) {
    float *r = w + (uintptr_t)i * cols;
    double s = sumsq(r, cols);
    if (s == 0) continue;
    scale(r, cols, (float)(1.0 / __builtin_sqrt(s)));
  }
}

// ---- firing statistics (twin: firing.ts updateFiring, deadMask) ----

/**
 * From this step's slots (a latent fires on a row when its val > 0; TopK holds a latent at most once per row):
 * firingCounts[i] += n_i; tokensSinceFired[i] = n_i > 0 ? 0 : + batch. counts [dSae] u32 scratch. Returns Σ n_i.
 */
EXPORT(wb_firing) u32 wb_firing(const u32 *idx, const float *val, u32 batch, u32 dSae, u32 k, u32 *counts, double *firingCounts, double *tokensSinceFired) {
  for (u32 i = 0; i < dSae; i++) counts[i] = 0;
  u32 active = 0;
  for (uintptr_t q = 0; q < (uintptr_t)batch * k; q++)
    if (idx[q] < dSae && val[q] > 0.0f) {
      counts[idx[q]]++;
      active++;
    }
  for (u32 i = 0; i < dSae; i++) {
    firingCounts[i] += counts[i];
    tokensSinceFired[i] = counts[i] > 0 ? 0 : tokensSinceFired[i] + batch;
  }
  return active;
}

/** dead[i] = tokensSinceFired[i] ≥ window; returns how many. */
EXPORT(wb_dead) u32 wb_dead(const double *tokensSinceFired, u32 dSae, double window, unsigned char *dead) {
  u32 n = 0;
  for (u32 i = 0; i < dSae; i++) {
    dead[i] = tokensSinceFired[i] >= window;
    n += dead[i];
  }
  return n;
}

// ---- the whole step (twin: train.ts createTrainer's trainStep for arch topk, topkSelect relu) ----

/** The buffers of one SAE's step, allocated by wb_setup; JS reads the pointers with wb_ptr. */
enum {
  P_X, P_XC, P_Z, P_PACKED, P_WENC, P_BENC, P_WDEC, P_BDEC,
  P_GWENC, P_GBENC, P_GWDEC, P_GBDEC,
  P_MWENC, P_MBENC, P_MWDEC, P_MBDEC, P_VWENC, P_VBENC, P_VWDEC, P_VBDEC,
  P_IDX, P_VAL, P_GVAL, P_AIDX, P_AVAL, P_AGVAL, P_XHAT, P_E, P_EHAT,
  P_TOUCHED, P_DEAD, P_COUNTS, P_FIRING, P_SINCE, P_STATS, P_COUNT
};
static void *ptrs[P_COUNT];
static u32 S_dIn, S_dSae, S_k, S_batch, S_kAux;

EXPORT(wb_ptr) void *wb_ptr(u32 which) { return which < P_COUNT ? ptrs[which] : 0; }

/** kAux: the config's (unclamped). Allocates every buffer of a step; returns 0 when the memory cannot grow (JS names the sizes). */
EXPORT(wb_setup) int wb_setup(u32 dIn, u32 dSae, u32 k, u32 batch, u32 kAux) {
  S_dIn = dIn, S_dSae = dSae, S_k = k, S_batch = batch, S_kAux = kAux;
  uintptr_t W = (uintptr_t)dSae * dIn * 4, X = (uintptr_t)batch * dIn * 4;
  // AuxK selects at most min(kAux, nDead) ≤ min(kAux, dSae) latents; kAux itself (dIn/2 by default, which may
  // exceed dSae) still sets the scale min(nDead/kAux, 1) as in loss.ts.
  u32 auxSlots = kAux < dSae ? kAux : dSae;
  if (auxSlots == 0) auxSlots = 1;
  u32 sizes[P_COUNT] = {
    [P_X] = X, [P_XC] = X, [P_Z] = batch * dSae * 4, [P_PACKED] = wb_packed_len(dSae, dIn) * 4,
    [P_WENC] = W, [P_BENC] = dSae * 4, [P_WDEC] = W, [P_BDEC] = dIn * 4,
    [P_GWENC] = W, [P_GBENC] = dSae * 4, [P_GWDEC] = W, [P_GBDEC] = dIn * 4,
    [P_MWENC] = W, [P_MBENC] = dSae * 4, [P_MWDEC] = W, [P_MBDEC] = dIn * 4,
    [P_VWENC] = W, [P_VBENC] = dSae * 4, [P_VWDEC] = W, [P_VBDEC] = dIn * 4,
    [P_IDX] = batch * k * 4, [P_VAL] = batch * k * 4, [P_GVAL] = batch * k * 4,
    [P_AIDX] = batch * auxSlots * 4, [P_AVAL] = batch * auxSlots * 4, [P_AGVAL] = batch * auxSlots * 4,
    [P_XHAT] = X, [P_E] = X, [P_EHAT] = X,
    [P_TOUCHED] = dSae, [P_DEAD] = dSae, [P_COUNTS] = dSae * 4, [P_FIRING] = dSae * 8, [P_SINCE] = dSae * 8, [P_STATS] = 8 * 8,
  };
  for (u32 j = 0; j < P_COUNT; j++) {
    ptrs[j] = wb_alloc(sizes[j]);
    if (!ptrs[j]) return 0;
  }
  return 1;
}

static void zero(void *a, uintptr_t bytes) { __builtin_memset(a, 0, bytes); }

/**
 * One step on the batch already in P_X (scaled rows), with the dead mask of the previous step's statistics.
 * Writes stats [loss, mse, auxLoss, active, nDead, totalVariance, gradNorm] to P_STATS.
 * auxCoeff α (0 = off); c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ: Adam's bias corrections for this step's t (JS computes them in f64).
 */
EXPORT(wb_step) void wb_step(double lr, double beta1, double beta2, double eps, double c1, double c2, double clipNorm, double auxCoeff, double deadWindow) {
  const u32 B = S_batch, dIn = S_dIn, dSae = S_dSae, k = S_k;
  float *x = ptrs[P_X], *xc = ptrs[P_XC], *z = ptrs[P_Z], *xHat = ptrs[P_XHAT], *e = ptrs[P_E];
  float *wEnc = ptrs[P_WENC], *bEnc = ptrs[P_BENC], *wDec = ptrs[P_WDEC], *bDec = ptrs[P_BDEC];
  float *gWEnc = ptrs[P_GWENC], *gBEnc = ptrs[P_GBENC], *gWDec = ptrs[P_GWDEC], *gBDec = ptrs[P_GBDEC];
  u32 *idx = ptrs[P_IDX];
  float *val = ptrs[P_VAL], *gVal = ptrs[P_GVAL];
  unsigned char *touched = ptrs[P_TOUCHED], *dead = ptrs[P_DEAD];
  double *since = ptrs[P_SINCE], *stats = ptrs[P_STATS];
  const uintptr_t X = (uintptr_t)B * dIn;

  u32 nDeadBefore = wb_dead(since, dSae, deadWindow, dead);
  wb_pack_enc(wEnc, dSae, dIn, ptrs[P_PACKED]);
  wb_encode(x, bDec, ptrs[P_PACKED], bEnc, B, dIn, dSae, xc, z);
  wb_topk(z, B, dSae, k, 0, idx, val);
  wb_decode(idx, val, wDec, bDec, B, dIn, dSae, k, xHat);
  for (uintptr_t j = 0; j < X; j++) e[j] = xHat[j] - x[j];
  double mse = sumsq(e, X) / B;

  // AuxK (loss.ts): the dead latents' top-kAux of z reconstruct the detached residual x − x̂, without bDec.
  double auxLoss = 0, auxScale = 0;
  u32 kAux = 0;
  if (auxCoeff > 0 && nDeadBefore > 0) {
    kAux = S_kAux < nDeadBefore ? S_kAux : nDeadBefore;
    auxScale = (double)nDeadBefore / S_kAux < 1 ? (double)nDeadBefore / S_kAux : 1;
    float *eHat = ptrs[P_EHAT];
    wb_topk(z, B, dSae, kAux, dead, ptrs[P_AIDX], ptrs[P_AVAL]);
    wb_decode(ptrs[P_AIDX], ptrs[P_AVAL], wDec, 0, B, dIn, dSae, kAux, eHat);
    for (uintptr_t j = 0; j < X; j++) eHat[j] += e[j]; // ê − (x − x̂)
    auxLoss = auxScale * sumsq(eHat, X) / B;
  }

  // Backward: ∂L/∂x̂ = (2/B)·e (in xHat's buffer, no longer needed); bDec's decoder part is its column sum.
  zero(gWEnc, (uintptr_t)dSae * dIn * 4);
  zero(gWDec, (uintptr_t)dSae * dIn * 4);
  zero(gBEnc, dSae * 4);
  zero(gBDec, dIn * 4);
  zero(touched, dSae);
  float *gOut = xHat;
  const float c2B = 2.0f / (float)B;
  for (uintptr_t j = 0; j < X; j++) gOut[j] = c2B * e[j];
  for (u32 t = 0; t < B; t++) axpy(1.0f, gOut + (uintptr_t)t * dIn, gBDec, dIn);
  wb_decode_backward(idx, val, wDec, gOut, B, dIn, dSae, k, gVal, gWDec, touched);
  if (kAux > 0) {
    float *h = ptrs[P_EHAT];
    scale(h, X, (float)(auxCoeff * auxScale * 2.0 / B));
    wb_decode_backward(ptrs[P_AIDX], ptrs[P_AVAL], wDec, h, B, dIn, dSae, kAux, ptrs[P_AGVAL], gWDec, touched);
    wb_encode_backward(ptrs[P_AIDX], ptrs[P_AGVAL], xc, wEnc, B, dIn, dSae, kAux, gWEnc, gBEnc, gBDec, touched);
  }
  wb_encode_backward(idx, gVal, xc, wEnc, B, dIn, dSae, k, gWEnc, gBEnc, gBDec, touched);

  wb_project(wDec, gWDec, touched, dSae, dIn);
  double gradNorm = wb_clip(gWEnc, gBEnc, gWDec, gBDec, touched, dSae, dIn, clipNorm);
  wb_adam(wEnc, gWEnc, ptrs[P_MWENC], ptrs[P_VWENC], dSae * dIn, lr, beta1, beta2, eps, c1, c2);
  wb_adam(bEnc, gBEnc, ptrs[P_MBENC], ptrs[P_VBENC], dSae, lr, beta1, beta2, eps, c1, c2);
  wb_adam(wDec, gWDec, ptrs[P_MWDEC], ptrs[P_VWDEC], dSae * dIn, lr, beta1, beta2, eps, c1, c2);
  wb_adam(bDec, gBDec, ptrs[P_MBDEC], ptrs[P_VBDEC], dIn, lr, beta1, beta2, eps, c1, c2);
  wb_normalize(wDec, dSae, dIn);

  u32 active = wb_firing(idx, val, B, dSae, k, ptrs[P_COUNTS], ptrs[P_FIRING], since);
  u32 nDead = wb_dead(since, dSae, deadWindow, dead);

  // Σ_t ‖x_t − μ‖² (train.ts batchVariance), f64 like the reference: the explained variance's denominator.
  double tv = 0;
  for (u32 d = 0; d < dIn; d++) {
    double mu = 0;
    for (u32 r = 0; r < B; r++) mu += x[(uintptr_t)r * dIn + d];
    mu /= B;
    for (u32 r = 0; r < B; r++) {
      double q = x[(uintptr_t)r * dIn + d] - mu;
      tv += q * q;
    }
  }
  stats[0] = mse + auxCoeff * auxLoss;
  stats[1] = mse;
  stats[2] = auxLoss;
  stats[3] = active;
  stats[4] = nDead;
  stats[5] = tv;
  stats[6] = gradNorm;
}

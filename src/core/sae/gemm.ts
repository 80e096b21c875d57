// The reference for the encoder GEMM kernels (shaders/encode.wgsl, shaders/encodeBias.wgsl): an "NT"
// matmul with a bias and the member-folded effective encoder bias. Plain loops over Float32Array with
// f64 accumulation, rounded once to f32. Imports nothing outside src/core.
//
// Shapes: x [batch, dIn]; wEnc [N, dIn] latent-major with N = M·dSae; bEnc, bEff [N]; bDec [M, dIn].

/**
 * out[r, c] = Σ_i a[r, i]·b[c, i] + bias[c]: both operands contiguous along `inner` ("NT").
 * a: [rows, inner], b: [cols, inner], bias: [cols] → out: [rows, cols].
 */
export function matmulNT(a: Float32Array, b: Float32Array, bias: Float32Array, rows: number, cols: number, inner: number): Float32Array {
  if (a.length < rows * inner || b.length < cols * inner || bias.length < cols) {
    throw new Error(`matmulNT: a has ${a.length} values (need rows ${rows}·inner ${inner}), b ${b.length} (need cols ${cols}·inner ${inner}), bias ${bias.length} (need ${cols})`);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const a0 = r * inner;
    for (let c = 0; c < cols; c++) {
      const b0 = c * inner;
      let acc = 0;
      for (let i = 0; i < inner; i++) acc += a[a0 + i] * b[b0 + i];
      out[r * cols + c] = acc + bias[c];
    }
  }
  return out;
}

/**
 * bEff[m] = bEnc[m] − Σ_d wEnc[m, d]·bDec[member(m), d], member(m) = ⌊m / dSae⌋, for m < N = M·dSae.
 * Then x·wEncᵀ + bEff = (x − bDec_j)·wEncᵀ + bEnc for every member j (see encodePreMembers).
 * wEnc: [N, dIn], bEnc: [N], bDec: [M, dIn] → bEff: [N].
 */
export function effectiveBias(wEnc: Float32Array, bEnc: Float32Array, bDec: Float32Array, members: number, dSae: number, dIn: number): Float32Array {
  const n = members * dSae;
  if (wEnc.length < n * dIn || bEnc.length < n || bDec.length < members * dIn) {
    throw new Error(`effectiveBias: members ${members}, dSae ${dSae}, dIn ${dIn} need wEnc ${n * dIn}, bEnc ${n}, bDec ${members * dIn} values; got ${wEnc.length}, ${bEnc.length}, ${bDec.length}`);
  }
  const bEff = new Float32Array(n);
  for (let m = 0; m < n; m++) {
    const b0 = Math.floor(m / dSae) * dIn;
    let acc = 0;
    for (let d = 0; d < dIn; d++) acc += wEnc[m * dIn + d] * bDec[b0 + d];
    bEff[m] = bEnc[m] - acc;
  }
  return bEff;
}

/**
 * z[b, j·dSae + i] = (x[b] − bDec[j])·wEnc[j·dSae + i] + bEnc[j·dSae + i]: the pre-activations of M
 * members side by side, each exactly as encodePre (sae.ts) computes one SAE.
 * x: [batch, dIn], wEnc: [N, dIn], bEnc: [N], bDec: [M, dIn] → z: [batch, N], N = M·dSae.
 */
export function encodePreMembers(x: Float32Array, wEnc: Float32Array, bEnc: Float32Array, bDec: Float32Array, batch: number, members: number, dSae: number, dIn: number): Float32Array {
  const n = members * dSae;
  const z = new Float32Array(batch * n);
  const xc = new Float64Array(dIn);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < members; j++) {
      for (let d = 0; d < dIn; d++) xc[d] = x[b * dIn + d] - bDec[j * dIn + d];
      for (let i = 0; i < dSae; i++) {
        const m = j * dSae + i;
        let acc = bEnc[m];
        for (let d = 0; d < dIn; d++) acc += wEnc[m * dIn + d] * xc[d];
        z[b * n + m] = acc;
      }
    }
  }
  return z;
}

// Token sampling over one row of logits: greedy, temperature, top-k and top-p, from a seeded
// generator per request, with the logprob of the chosen token under the sampling policy.

/**
 * sfc32, seeded through splitmix32: small, fast, and good enough for sampling. Each request
 * owns one, so a seed reproduces its tokens whatever else shares the batch.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
}

export interface SamplerParams {
  /** 0 means greedy. */
  temperature: number;
  /** 1 keeps the whole distribution. */
  topP: number;
  /** 0 keeps every token. */
  topK: number;
}

export interface Sampled {
  id: number;
  /** log_softmax(logits / T) at `id`, over the whole vocabulary; T = 1 when greedy. */
  logprob: number;
}

/** Index of the largest value in row [off, off + n); the first one on ties. */
export function argmax(x: Float32Array, off: number, n: number): number {
  let best = off;
  let bv = x[off];
  for (let i = off + 1, end = off + n; i < end; i++) {
    if (x[i] > bv) {
      bv = x[i];
      best = i;
    }
  }
  return best - off;
}

/** log Σ exp(x[i] / t) over the row, computed stably. */
export function logSumExp(x: Float32Array, off: number, n: number, t = 1): number {
  let m = -Infinity;
  for (let i = off, end = off + n; i < end; i++) if (x[i] > m) m = x[i];
  if (m === -Infinity) return -Infinity;
  const inv = 1 / t;
  let s = 0;
  for (let i = off, end = off + n; i < end; i++) s += Math.exp((x[i] - m) * inv);
  return m * inv + Math.log(s);
}

/** Indices of the k largest values of the row (any order), by a bounded min-heap. */
function topKIndices(x: Float32Array, off: number, n: number, k: number): number[] {
  const heap: number[] = [];
  const less = (i: number, j: number) => x[off + heap[i]] < x[off + heap[j]] || (x[off + heap[i]] === x[off + heap[j]] && heap[i] > heap[j]);
  const swap = (i: number, j: number) => {
    const t = heap[i];
    heap[i] = heap[j];
    heap[j] = t;
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let v = 0; v < n; v++) {
    if (heap.length < k) {
      heap.push(v);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!less(i, p)) break;
        swap(i, p);
        i = p;
      }
    } else {
      const root = heap[0];
      const xv = x[off + v];
      const xr = x[off + root];
      if (xv > xr || (xv === xr && v < root)) {
        heap[0] = v;
        down(0);
      }
    }
  }
  return heap;
}

/**
 * The tokens top-k and top-p leave to sample from, as Hugging Face's warpers do: top-k
 * first, then the smallest head of what remains (renormalised) whose mass reaches top_p;
 * ties at the cut stay in. Null when neither truncates. `t` is the temperature (> 0).
 */
export function keptTokens(logits: Float32Array, off: number, vocab: number, p: SamplerParams, lse = logSumExp(logits, off, vocab, p.temperature)): number[] | null {
  const t = p.temperature;
  const logp = (v: number) => logits[off + v] / t - lse;
  const k = p.topK > 0 && p.topK < vocab ? Math.floor(p.topK) : 0;
  const nucleus = p.topP > 0 && p.topP < 1;
  if (!k && !nucleus) return null;
  let cand: number[];
  // The mass top-p is measured against: the top-k tokens' after top-k, else the whole
  // distribution's (1), not just the candidates' below.
  let total = 1;
  if (k) {
    // In token order, like the rest of the vocabulary: in the heap's order a change of a
    // logit's last bit (another batch, another CPU) could reorder the walk and turn the draw.
    cand = topKIndices(logits, off, vocab, k).sort((a, b) => a - b);
    if (nucleus) total = cand.reduce((a, v) => a + Math.exp(logp(v)), 0);
  } else {
    // Any token of the nucleus has more than 1 - p at or below it, spread over at most
    // `vocab` tokens, so it lies above (1 - p) / vocab: only those need sorting.
    const bar = Math.log((1 - p.topP) / vocab);
    cand = [];
    for (let v = 0; v < vocab; v++) if (logp(v) >= bar) cand.push(v);
  }
  if (!nucleus) return cand;
  const lps = Float64Array.from(cand, logp).sort();
  let cut = lps.length ? lps[0] : -Infinity;
  let acc = 0;
  for (let i = lps.length - 1; i >= 0; i--) {
    acc += Math.exp(lps[i]);
    if (acc >= p.topP * total) {
      cut = lps[i];
      break;
    }
  }
  return cand.filter((v) => logp(v) >= cut);
}

/**
 * Samples one token from row `row` of a [rows, vocab] logits buffer. The logprob is taken
 * before top-k/top-p truncation, so it is the policy's full-distribution logprob that
 * importance ratios in RL need.
 */
export function sampleRow(logits: Float32Array, row: number, vocab: number, p: SamplerParams, rng: Rng): Sampled {
  const off = row * vocab;
  if (!(p.temperature > 0)) {
    const id = argmax(logits, off, vocab);
    return { id, logprob: logits[off + id] - logSumExp(logits, off, vocab) };
  }
  const t = p.temperature;
  const lse = logSumExp(logits, off, vocab, t);
  const logp = (v: number) => logits[off + v] / t - lse;
  const u = rng.next();
  const kept = keptTokens(logits, off, vocab, p, lse);
  if (!kept) {
    // Inverse CDF over the whole vocabulary.
    let target = u;
    for (let v = 0; v < vocab; v++) {
      target -= Math.exp(logp(v));
      if (target < 0) return { id: v, logprob: logp(v) };
    }
    const id = argmax(logits, off, vocab);
    return { id, logprob: logp(id) };
  }
  let mass = 0;
  for (const v of kept) mass += Math.exp(logp(v));
  let target = u * mass;
  for (const v of kept) {
    target -= Math.exp(logp(v));
    if (target < 0) return { id: v, logprob: logp(v) };
  }
  const last = kept[kept.length - 1];
  return { id: last, logprob: logp(last) };
}

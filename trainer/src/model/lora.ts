// A LoRA adapter on the LM head (Hu et al. 2021):
//
//   logits = W h + (alpha / r) · B A h,    A ∈ R^{r×d}, B ∈ R^{V×r}
//
// W is the frozen head inside the ONNX model; the adapter adds its delta to the model's
// logits from `last_hidden_state` h. A starts random and B at zero, so training starts from
// the base model exactly (as PEFT initialises it).
import { Rng } from './sampling';

export class LoraHead {
  readonly A: Float32Array;
  readonly B: Float32Array;
  readonly scale: number;

  constructor(
    readonly hidden: number,
    readonly vocab: number,
    readonly rank: number,
    readonly alpha: number,
    seed = 0,
  ) {
    this.A = new Float32Array(rank * hidden);
    this.B = new Float32Array(vocab * rank);
    this.scale = alpha / rank;
    // Kaiming-uniform with a = sqrt(5), PEFT's default for A: bound = 1 / sqrt(d).
    const rng = new Rng(seed);
    const bound = 1 / Math.sqrt(hidden);
    for (let i = 0; i < this.A.length; i++) this.A[i] = (2 * rng.next() - 1) * bound;
  }

  /** v = A h for `rows` rows of h ([rows, d]) → [rows, r]. */
  project(h: Float32Array, rows: number, out = new Float32Array(rows * this.rank)): Float32Array {
    const { A, rank, hidden: d } = this;
    for (let t = 0; t < rows; t++) {
      const ho = t * d;
      for (let k = 0; k < rank; k++) {
        let s = 0;
        const ao = k * d;
        for (let j = 0; j < d; j++) s += A[ao + j] * h[ho + j];
        out[t * rank + k] = s;
      }
    }
    return out;
  }

  /** logits += scale · B v, in place, for `rows` rows. */
  addDelta(v: Float32Array, logits: Float32Array, rows: number): void {
    const { B, rank, vocab: V, scale } = this;
    for (let t = 0; t < rows; t++) {
      const lo = t * V;
      const vo = t * rank;
      for (let i = 0; i < V; i++) {
        let s = 0;
        const bo = i * rank;
        for (let k = 0; k < rank; k++) s += B[bo + k] * v[vo + k];
        logits[lo + i] += scale * s;
      }
    }
  }

  /** The engine's logit hook: adds the adapter's delta to freshly computed logits. */
  readonly hook = (hidden: Float32Array, logits: Float32Array, rows: number): void => {
    if (this.isZero()) return;
    this.addDelta(this.project(hidden, rows), logits, rows);
  };

  private isZero(): boolean {
    for (let i = 0; i < this.B.length; i++) if (this.B[i] !== 0) return false;
    return true;
  }

  copyFrom(A: Float32Array, B: Float32Array): void {
    if (A.length !== this.A.length || B.length !== this.B.length) throw new Error('adapter shapes differ');
    this.A.set(A);
    this.B.set(B);
  }
}

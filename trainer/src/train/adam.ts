// Adam (Kingma & Ba 2015) with global-norm gradient clipping, over the adapter's tensors.

export interface AdamState {
  step: number;
  m: Float64Array[];
  v: Float64Array[];
}

export class Adam {
  state: AdamState;

  constructor(
    private params: Float32Array[],
    public lr: number,
    private beta1 = 0.9,
    private beta2 = 0.999,
    private eps = 1e-8,
  ) {
    this.state = { step: 0, m: params.map((p) => new Float64Array(p.length)), v: params.map((p) => new Float64Array(p.length)) };
  }

  /** Clips the gradients to `maxNorm` in place and returns their norm before clipping. */
  static clip(grads: Float64Array[], maxNorm: number): number {
    let sq = 0;
    for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
    const norm = Math.sqrt(sq);
    if (norm > maxNorm && norm > 0) {
      const f = maxNorm / norm;
      for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= f;
    }
    return norm;
  }

  step(grads: Float64Array[]): void {
    const s = this.state;
    s.step++;
    const bc1 = 1 - this.beta1 ** s.step;
    const bc2 = 1 - this.beta2 ** s.step;
    this.params.forEach((p, j) => {
      const g = grads[j];
      const m = s.m[j];
      const v = s.v[j];
      for (let i = 0; i < p.length; i++) {
        m[i] = this.beta1 * m[i] + (1 - this.beta1) * g[i];
        v[i] = this.beta2 * v[i] + (1 - this.beta2) * g[i] * g[i];
        p[i] -= (this.lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + this.eps);
      }
    });
  }
}

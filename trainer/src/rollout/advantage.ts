// Advantages from the rewards of one group of samples of the same task.
//
// GRPO (Shao et al. 2024):  A_i = (r_i − mean(r)) / (std(r) + ε), or without the division
// when scale_by_std is false (Dr. GRPO, Liu et al. 2025). The std is the population one (the
// formula as written) or the sample one (TRL and verl, torch.std's default); ε = 1e-4 keeps
// groups whose rewards differ only by rounding from being blown up to ±1.
// RLOO (Ahmadian et al. 2024): A_i = r_i − mean_{j≠i}(r_j) = n/(n−1) · (r_i − mean(r)).

export interface AdvantageOptions {
  type: 'grpo' | 'rloo';
  scaleByStd: boolean;
  /** Which std divides GRPO advantages; population when absent. */
  std?: 'population' | 'sample';
}

export const ADV_EPS = 1e-4;

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Standard deviation: population (divides by n) or sample (divides by n − 1). */
export function std(xs: number[], kind: 'population' | 'sample' = 'population'): number {
  const m = mean(xs);
  const n = kind === 'sample' ? xs.length - 1 : xs.length;
  return n > 0 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / n) : 0;
}

export function groupAdvantages(rewards: number[], opts: AdvantageOptions): number[] {
  const n = rewards.length;
  if (n < 2) return rewards.map(() => 0);
  const m = mean(rewards);
  if (opts.type === 'rloo') return rewards.map((r) => (n / (n - 1)) * (r - m));
  const s = opts.scaleByStd ? std(rewards, opts.std) + ADV_EPS : 1;
  return rewards.map((r) => (r - m) / s);
}

/** True when every reward of the group is the same: the group teaches nothing. */
export function zeroVariance(rewards: number[]): boolean {
  return rewards.every((r) => Math.abs(r - rewards[0]) < 1e-12);
}

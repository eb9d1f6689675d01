// Advantages from the rewards of one group of samples of the same task.
//
// GRPO (Shao et al. 2024):  A_i = (r_i − mean(r)) / (std(r) + ε), or without the division
// when scale_by_std is false (Dr. GRPO, Liu et al. 2025).
// RLOO (Ahmadian et al. 2024): A_i = r_i − mean_{j≠i}(r_j) = n/(n−1) · (r_i − mean(r)).

export interface AdvantageOptions {
  type: 'grpo' | 'rloo';
  scaleByStd: boolean;
}

const EPS = 1e-6;

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Population standard deviation, as GRPO implementations use. */
export function std(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
}

export function groupAdvantages(rewards: number[], opts: AdvantageOptions): number[] {
  const n = rewards.length;
  if (n < 2) return rewards.map(() => 0);
  const m = mean(rewards);
  if (opts.type === 'rloo') return rewards.map((r) => (n / (n - 1)) * (r - m));
  const s = opts.scaleByStd ? std(rewards) + EPS : 1;
  return rewards.map((r) => (r - m) / s);
}

/** True when every reward of the group is the same: the group teaches nothing. */
export function zeroVariance(rewards: number[]): boolean {
  return rewards.every((r) => Math.abs(r - rewards[0]) < 1e-12);
}

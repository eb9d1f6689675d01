// Evaluation estimators.
//
// pass@k, unbiased (Chen et al. 2021): with n samples of which c are correct,
//   pass@k = 1 − C(n − c, k) / C(n, k) = 1 − Π_{i = n−c+1}^{n} (1 − k / i)
// mean@n: the fraction of correct samples. maj@k: the most frequent answer among the first
// k samples is correct.

export function passAtK(n: number, c: number, k: number): number {
  if (k > n) throw new Error(`pass@${k} needs at least ${k} samples, got ${n}`);
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

export function meanAtN(correct: boolean[]): number {
  return correct.length ? correct.filter(Boolean).length / correct.length : 0;
}

/** Ties go to the answer seen first; samples with no answer do not vote. */
export function majorityAtK(answers: (string | null)[], correct: boolean[], k: number): boolean {
  const counts = new Map<string, { n: number; first: number; correct: boolean }>();
  answers.slice(0, k).forEach((a, i) => {
    if (a === null) return;
    const e = counts.get(a);
    if (e) e.n++;
    else counts.set(a, { n: 1, first: i, correct: correct[i] });
  });
  let best: { n: number; first: number; correct: boolean } | undefined;
  for (const e of counts.values()) if (!best || e.n > best.n || (e.n === best.n && e.first < best.first)) best = e;
  return best?.correct ?? false;
}

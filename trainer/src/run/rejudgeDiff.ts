// What a re-judge changed, rollout by rollout and in sum: the CLI prints it, `--json` carries
// it to the editor, whose viewer shows the same summary.

export interface RejudgeChange {
  id: string;
  group_id: string;
  step: number;
  reward: [number, number];
  success: [boolean, boolean];
  advantage: [number | null, number | null];
  judge_error?: string;
}

export interface RejudgeSummary {
  judge: string;
  /** Rollouts in the run. */
  total: number;
  /** Rollouts scored again (all, or those named with `--ids`). */
  rejudged: number;
  /** Rollouts whose reward, success or advantage moved. */
  changed: number;
  rewards_changed: number;
  /** Rollouts whose success flipped, with their new verdict. */
  flipped: { id: string; success: boolean }[];
  /** Rollouts whose advantage moved (their group's rewards changed), and by how much. */
  advantages: { moved: number; mean_abs_delta: number; max_abs_delta: number };
  judge_errors: number;
  /** The revision under `rejudge/` that keeps the run as it was, when the result was written. */
  revision?: string;
}

const EPS = 1e-9;

export function sameNumber(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) < EPS;
}

export function summarizeChanges(changes: RejudgeChange[], o: { judge: string; total: number; rejudged: number; revision?: string }): RejudgeSummary {
  const deltas = changes.filter((c) => !sameNumber(c.advantage[0], c.advantage[1])).map((c) => Math.abs((c.advantage[1] ?? 0) - (c.advantage[0] ?? 0)));
  return {
    judge: o.judge,
    total: o.total,
    rejudged: o.rejudged,
    changed: changes.length,
    rewards_changed: changes.filter((c) => !sameNumber(c.reward[0], c.reward[1])).length,
    flipped: changes.filter((c) => c.success[0] !== c.success[1]).map((c) => ({ id: c.id, success: c.success[1] })),
    advantages: {
      moved: deltas.length,
      mean_abs_delta: deltas.length ? deltas.reduce((a, b) => a + b, 0) / deltas.length : 0,
      max_abs_delta: Math.max(0, ...deltas),
    },
    judge_errors: changes.filter((c) => c.judge_error).length,
    ...(o.revision ? { revision: o.revision } : {}),
  };
}

/** One line in words: "3 of 16 rewards changed; 2 rollouts flipped success (1 now correct, 1 now wrong); …". */
export function describeSummary(s: RejudgeSummary): string {
  const up = s.flipped.filter((f) => f.success).length;
  const parts = [
    `${s.rewards_changed} of ${s.rejudged} reward${s.rejudged === 1 ? '' : 's'} changed`,
    s.flipped.length ? `${s.flipped.length} rollout${s.flipped.length === 1 ? '' : 's'} flipped success (${up} now correct, ${s.flipped.length - up} now wrong)` : 'no rollout flipped success',
    s.advantages.moved
      ? `group advantages moved in ${s.advantages.moved} rollout${s.advantages.moved === 1 ? '' : 's'} (mean |Δ| ${s.advantages.mean_abs_delta.toFixed(3)}, max ${s.advantages.max_abs_delta.toFixed(3)})`
      : 'no group advantage moved',
  ];
  if (s.judge_errors) parts.push(`${s.judge_errors} judge error${s.judge_errors === 1 ? '' : 's'}`);
  return parts.join('; ');
}

/** The summary, then one line per changed rollout (the first `limit`). */
export function formatChanges(changes: RejudgeChange[], summary: RejudgeSummary, limit = 200): string {
  const lines = [`${changes.length} of ${summary.total} rollouts changed with ${summary.judge}: ${describeSummary(summary)}`];
  const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3));
  for (const c of changes.slice(0, limit)) {
    const parts = [`${c.id}`, `reward ${fmt(c.reward[0])} → ${fmt(c.reward[1])}`];
    if (c.success[0] !== c.success[1]) parts.push(`success ${c.success[0]} → ${c.success[1]}`);
    if (!sameNumber(c.advantage[0], c.advantage[1])) parts.push(`advantage ${fmt(c.advantage[0])} → ${fmt(c.advantage[1])}`);
    if (c.judge_error) parts.push(`judge error: ${c.judge_error}`);
    lines.push('  ' + parts.join('  '));
  }
  if (changes.length > limit) lines.push(`  … ${changes.length - limit} more (use --json for all)`);
  return lines.join('\n');
}

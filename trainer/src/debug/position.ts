// Where a held rollout is, in words and in steps: shared by the trainer's bridge and the
// extension's debug adapter (pure functions, no Node APIs).
import type { Position, RolloutView } from './protocol';

/** Whether a rollout stepping from `from` has completed one turn at `now`. */
export function reachedStep(from: Position, now: Position): boolean {
  if (from.at === 'judge') return now.at === 'judged';
  if (from.at === 'judged') return false;
  if (now.at === 'judge' || now.at === 'judged') return true;
  const fromTurn = from.turn;
  return now.at === 'turn' && now.turn > fromTurn;
}

export function describePosition(p: Position): string {
  switch (p.at) {
    case 'turn':
      return `turn ${p.turn} (before sampling)`;
    case 'sampled':
      return `turn ${p.turn} (sampled)`;
    case 'tool':
      return `turn ${p.turn}: ${p.call.name}(…)`;
    case 'tool_result':
      return `turn ${p.turn}: ${p.call.name} returned${p.error ? ' an error' : ''}`;
    case 'judge':
      return 'the judge';
    case 'judged':
      return 'the reward';
  }
}

export function threadName(v: Pick<RolloutView, 'phase' | 'step' | 'task_id' | 'sample'>): string {
  return `${v.phase === 'debug' ? '' : `${v.phase} step ${v.step} · `}${v.task_id} #${v.sample}`;
}

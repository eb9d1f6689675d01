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

/** The rollout first: the Call Stack view cuts a thread's name from the right to fit its state. */
export function threadName(v: Pick<RolloutView, 'phase' | 'step' | 'task_id' | 'sample'>): string {
  return `${v.task_id} #${v.sample}${v.phase === 'debug' ? '' : ` · ${v.phase} step ${v.step}`}`;
}

/** Where a held rollout is, in a few words: the Call Stack view shows it, in capitals, beside the thread. */
export function shortPosition(p: Position | null | undefined): string {
  if (!p) return 'start';
  switch (p.at) {
    case 'turn':
      return `turn ${p.turn}`;
    case 'sampled':
      return `turn ${p.turn} sampled`;
    case 'tool':
      return `${p.call.name}()`;
    case 'tool_result':
      return `${p.call.name} returned`;
    case 'judge':
      return 'judge';
    case 'judged':
      return 'reward';
  }
}

/**
 * A stop's description: the breakpoints hit, or why and where it paused ("pause · turn 0").
 * The full position is in the stack frame and the hover; this is a thread's state label.
 */
export function stopDescription(reason: string, p: Position | null | undefined, breakpoints?: string[]): string {
  if (breakpoints?.length) return breakpoints.join(', ');
  return `${reason} · ${shortPosition(p)}`;
}

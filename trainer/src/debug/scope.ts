// The names a condition or a debug-console expression can read, and their values for a
// rollout at a given place. Values that do not exist yet there (`reward` before the judge,
// `args` outside a tool call) are "not known yet" rather than null, so a condition that
// needs them is simply false until they exist.
import { FLAGS } from '../run/events';
import { NotYetKnown, type Scope, type Value } from './expr';
import type { Position, RolloutView } from './protocol';

export const SCOPE_NAMES: readonly string[] = [
  'rollout_id',
  'step',
  'phase',
  'task_id',
  'group_id',
  'sample',
  'question',
  'reference',
  'at',
  'turn',
  'turns',
  'role',
  'content',
  'tool_calls',
  'tool',
  'args',
  'result',
  'flags',
  ...FLAGS,
  'error',
  'reward',
  'success',
  'parts',
  'final_answer',
  'task',
];

const json = (v: unknown): Value => (v === undefined ? null : (JSON.parse(JSON.stringify(v)) as Value));

export function scopeOf(view: RolloutView, position: Position | null = view.position): Scope {
  const last = view.turns[view.turns.length - 1];
  const tool = position && (position.at === 'tool' || position.at === 'tool_result') ? position : undefined;
  const judged = position?.at === 'judged' ? view.judged : undefined;
  const where = position ? `at ${position.at}` : 'before the first turn';
  const values: Record<string, () => Value> = {
    rollout_id: () => view.id,
    step: () => view.step,
    phase: () => view.phase,
    task_id: () => view.task_id,
    group_id: () => view.group_id,
    sample: () => view.sample,
    question: () => view.question,
    reference: () => view.reference,
    at: () => position?.at ?? null,
    turn: () => {
      if (position && 'turn' in position) return position.turn;
      if (last) return last.index;
      throw new NotYetKnown('turn', where);
    },
    turns: () => view.turns.length,
    role: () => {
      if (position?.at === 'turn' || !last) throw new NotYetKnown('role', where);
      return last.role;
    },
    content: () => {
      if (!last || position?.at === 'turn') throw new NotYetKnown('content', where);
      return last.message.content;
    },
    tool_calls: () => view.tool_calls,
    tool: () => {
      if (!tool) throw new NotYetKnown('tool', where);
      return tool.call.name;
    },
    args: () => {
      if (!tool) throw new NotYetKnown('args', where);
      return json(tool.call.arguments);
    },
    result: () => {
      if (tool?.at !== 'tool_result') throw new NotYetKnown('result', where);
      return tool.content;
    },
    flags: () => [...view.flags],
    error: () => view.error?.message ?? null,
    reward: () => need(judged, 'reward', where).reward,
    success: () => need(judged, 'success', where).success,
    parts: () => json(need(judged, 'parts', where).parts),
    // What the judge receives is known from the judge stop on.
    final_answer: () => needInput(view, 'final_answer', where).final_answer,
    task: () => json(needInput(view, 'task', where).task),
  };
  for (const f of FLAGS) values[f] = () => view.flags.includes(f);
  return (name) => {
    const get = values[name];
    if (!get) throw new Error(`unknown name "${name}"`);
    return get();
  };
}

function needInput(view: RolloutView, name: string, where: string): NonNullable<RolloutView['judge_input']> {
  if (!view.judge_input) throw new NotYetKnown(name, `${where}; it is known from the judge stop on`);
  return view.judge_input;
}

function need<T>(v: T | undefined, name: string, where: string): T {
  if (v === undefined) throw new NotYetKnown(name, `${where}; it is known once the judge has run`);
  return v;
}

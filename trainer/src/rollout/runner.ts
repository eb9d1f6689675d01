// Runs many rollouts at once (`rollout.parallel`), judges each, computes group advantages
// as groups complete, and writes events and rollout rows as it goes. A failing workflow or
// judge is recorded on its rollout; the others carry on.
import type { JudgeInput } from '../judges/types';
import type { Flag, Message, RolloutRecord } from '../run/events';
import { groupAdvantages, zeroVariance } from './advantage';
import type { TuneConfig } from '../config/types';
import type { RolloutEnv } from './env';
import { score, toolCallsWithResults } from './score';
import { RolloutSession, type RolloutSpec } from './session';

export interface RunOptions {
  /** Compute advantages per group (training); otherwise they are left null. */
  advantages?: boolean;
  /** Write rows to rollouts.jsonl (evaluation keeps its rows in eval/ files instead). */
  write?: boolean;
  onFinished?(record: RolloutRecord): void;
}

export async function runRollouts(env: RolloutEnv, specs: RolloutSpec[], opts: RunOptions = {}): Promise<RolloutRecord[]> {
  const records: RolloutRecord[] = new Array(specs.length);
  const groups = new Map<string, number[]>();
  specs.forEach((s, i) => groups.set(s.groupId, [...(groups.get(s.groupId) ?? []), i]));
  const remaining = new Map([...groups].map(([g, idx]) => [g, idx.length]));

  const finishGroup = (groupId: string) => {
    const idx = groups.get(groupId)!;
    const group = idx.map((i) => records[i]);
    if (opts.advantages) assignAdvantages(env.config.algorithm, group);
    if (opts.write !== false) for (const r of group) env.writer.rollout(r);
  };

  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      records[i] = await runOne(env, specs[i]);
      opts.onFinished?.(records[i]);
      const g = specs[i].groupId;
      const left = remaining.get(g)! - 1;
      remaining.set(g, left);
      if (left === 0) finishGroup(g);
    }
  };
  await Promise.all(Array.from({ length: Math.min(env.config.rollout.parallel, specs.length) }, worker));
  return records;
}

/**
 * GRPO or RLOO within each group. With `group_by_role`, each role's turns are also normalised
 * among that role's turns in the group; a judge can score roles apart with parts named
 * `role:<name>`, and otherwise every role shares the rollout's reward.
 */
export function assignAdvantages(a: TuneConfig['algorithm'], group: RolloutRecord[]): void {
  const opts = { type: a.type, scaleByStd: a.scale_by_std, std: a.adv_std };
  const rewards = group.map((r) => r.reward);
  if (a.drop_zero_variance && zeroVariance(rewards)) {
    for (const r of group) {
      r.advantage = null;
      delete r.role_advantages;
    }
    return;
  }
  const adv = groupAdvantages(rewards, opts);
  group.forEach((r, i) => (r.advantage = adv[i]));
  if (!a.group_by_role) return;
  const roles = new Set(group.flatMap((r) => r.turns.map((t) => t.role)));
  for (const role of roles) {
    const members = group.filter((r) => r.turns.some((t) => t.role === role));
    const roleAdv = groupAdvantages(members.map((r) => r.parts[`role:${role}`] ?? r.reward), opts);
    members.forEach((r, i) => (r.role_advantages = { ...r.role_advantages, [role]: roleAdv[i] }));
  }
}

export async function runOne(env: RolloutEnv, spec: RolloutSpec): Promise<RolloutRecord> {
  const { writer, config } = env;
  const session = new RolloutSession(env, spec);
  writer.emit({ type: 'rollout_started', rollout_id: spec.id, step: spec.step, phase: spec.phase, task_id: spec.task.id, group_id: spec.groupId, sample: spec.sample, question: spec.task.question, reference: spec.task.reference, ...(spec.task.source ? { source: spec.task.source } : {}) });

  let messages: Message[] = [];
  let finalAnswer: string | null = null;
  let error: RolloutRecord['error'];
  try {
    const result = await env.runWorkflow(session);
    if (!result || !Array.isArray(result.messages)) throw new Error('the workflow must return { messages: Message[] }');
    messages = result.messages;
    finalAnswer = result.final_answer ?? lastAnswer(messages);
  } catch (e) {
    const err = e as Error & { reason?: string; userStack?: string };
    session.flags.add(err.reason === 'timeout' || err.name === 'TimeoutError' ? 'timeout' : 'workflow_error');
    error = { message: err.message, stack: err.userStack ?? err.stack, source: 'workflow' };
    messages = session.transcript();
    writer.emit({ type: 'workflow_error', rollout_id: spec.id, message: err.message, ...(error.stack ? { stack: error.stack } : {}) });
  }
  if (!error && session.turns.length >= config.rollout.max_turns && endsWithToolActivity(messages)) session.flags.add('max_turns');
  // Turns map onto the assistant messages in order.
  let k = 0;
  messages.forEach((m, i) => {
    if (m.role === 'assistant' && k < session.turns.length) session.turns[k++].message_index = i;
  });

  const input: JudgeInput = {
    task: { id: spec.task.id, question: spec.task.question, reference: spec.task.reference, features: spec.task.features },
    final_answer: finalAnswer,
    messages,
    turns: session.turns.map(({ prompt_ids: _p, ...t }) => t),
    tool_calls: toolCallsWithResults(messages),
    flags: [...session.flags],
  };
  await env.hooks.beforeJudge?.(session, input);
  const judgeStarted = Date.now();
  const scored = await score(env.judge, config, input);
  const judgeMs = Date.now() - judgeStarted;
  await env.hooks.afterJudge?.(session, scored);
  if (scored.error) {
    session.flags.add('judge_error');
    error ??= { ...scored.error, source: 'judge' };
    writer.emit({ type: 'judge_error', rollout_id: spec.id, ...scored.error });
  }
  const flags = [...session.flags] as Flag[];

  const tokens = session.turns.reduce((a, t) => ({ prompt: a.prompt + t.prompt_tokens, completion: a.completion + t.completion_tokens }), { prompt: 0, completion: 0 });
  const duration = Date.now() - session.started;
  const record: RolloutRecord = {
    id: spec.id,
    step: spec.step,
    phase: spec.phase,
    task_id: spec.task.id,
    ...(spec.task.source ? { source: spec.task.source } : {}),
    group_id: spec.groupId,
    sample: spec.sample,
    question: spec.task.question,
    reference: spec.task.reference,
    messages,
    turns: session.turns,
    tool_calls: session.toolCalls,
    final_answer: finalAnswer,
    reward: scored.reward,
    parts: scored.parts,
    success: scored.success,
    advantage: null,
    tokens,
    flags,
    ...(scored.judge ? { judge: scored.judge } : {}),
    ...(error ? { error } : {}),
    timings: { started: session.started, duration_ms: duration, model_ms: session.modelMs, tool_ms: session.toolMs, judge_ms: judgeMs },
  };
  writer.emit({
    type: 'rollout_finished',
    rollout_id: spec.id,
    step: spec.step,
    phase: spec.phase,
    task_id: spec.task.id,
    group_id: spec.groupId,
    sample: spec.sample,
    reward: record.reward,
    parts: record.parts,
    success: record.success,
    flags,
    turns: session.turns.length,
    tool_calls: session.toolCalls,
    tokens,
    duration_ms: duration,
    final_answer: finalAnswer,
  });
  return record;
}

/** The text of the last assistant message that is not only a tool call. */
export function lastAnswer(messages: Message[]): string | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'assistant' && m.content.trim()) return m.content;
  }
  return null;
}

function endsWithToolActivity(messages: Message[]): boolean {
  const last = messages[messages.length - 1];
  return !last || last.role === 'tool' || (last.role === 'assistant' && (last.tool_calls?.length ?? 0) > 0);
}

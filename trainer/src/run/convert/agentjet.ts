// AgentJet (AgentScope Tuner) trajectories: with `save_trajectory_as_json_file` on, AgentJet
// writes `<log dir>/ctx_trackers/<train|eval>/step_<N>/<task_id>.json`:
//   {"task_id": …, "task_tag": "success" | "failure" | "half_success",
//    "reward_structure": {raw_reward, raw_step_reward, step_reward_arr, step_advantage,
//                         step_advantage_simple, success_rate, madness, description,
//                         metadata, reward_stats?},
//    "traj": [[message, …], …]}
// `traj` holds one context per model call group (the timeline), each a list of OpenAI-format
// messages (`tool_calls[].function.{name, arguments}`, `role: "tool"` with `tool_call_id`);
// AgentScope block content is accepted too.
import type { Message, Phase, RolloutRecord, TurnRecord } from '../events';
import { fromChatMessage } from './chat';

export interface AgentJetTrajectory {
  task_id: string;
  task_tag?: string;
  reward_structure: Record<string, unknown>;
  traj: unknown[][];
}

export function isAgentJetTrajectory(v: unknown): v is AgentJetTrajectory {
  const t = v as AgentJetTrajectory;
  return !!t && typeof t === 'object' && Array.isArray(t.traj) && !!t.reward_structure && typeof t.reward_structure === 'object';
}

const same = (a: Message, b: Message) => a.role === b.role && a.content === b.content;

/**
 * Flattens the timeline: each context usually extends the previous one, so only the part
 * after their common prefix is new. Contexts of other agents are appended whole.
 */
export function flattenTimeline(traj: unknown[][]): Message[] {
  const out: Message[] = [];
  for (const context of traj) {
    if (!Array.isArray(context)) continue;
    const msgs = context.map(fromChatMessage);
    let k = 0;
    while (k < msgs.length && k < out.length && same(msgs[k], out[k])) k++;
    out.push(...msgs.slice(k));
  }
  return out;
}

const num = (v: unknown, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

export function convertAgentJet(t: AgentJetTrajectory, opts: { step: number; phase: Phase; sample: number }): RolloutRecord {
  const rs = t.reward_structure;
  const messages = flattenTimeline(t.traj);
  const turns: TurnRecord[] = [];
  messages.forEach((m, i) => {
    if (m.role === 'assistant') turns.push({ index: turns.length, role: 'agent', message_index: i, prompt_tokens: 0, completion_tokens: 0, flags: [], duration_ms: 0 });
  });
  const parts: Record<string, number> = { raw_reward: num(rs.raw_reward) };
  if (num(rs.madness)) parts.madness = num(rs.madness);
  const stats = rs.reward_stats && typeof rs.reward_stats === 'object' ? (rs.reward_stats as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(stats)) if (typeof v === 'number' && Number.isFinite(v)) parts[k] = v;
  const adv = Array.isArray(rs.step_advantage) && typeof rs.step_advantage[0] === 'number' ? (rs.step_advantage[0] as number) : null;
  const task = String(t.task_id);
  const lastAssistant = [...messages].reverse().find((m) => m.role === 'assistant');
  return {
    id: `s${opts.step}-${opts.phase}-${task}-${opts.sample}`,
    step: opts.step,
    phase: opts.phase,
    task_id: task,
    group_id: `s${opts.step}-${task}`,
    sample: opts.sample,
    question: messages.find((m) => m.role === 'user')?.content ?? '',
    reference: '',
    messages,
    turns,
    tool_calls: messages.reduce((n, m) => n + (m.tool_calls?.length ?? 0), 0),
    final_answer: lastAssistant && !lastAssistant.tool_calls?.length ? lastAssistant.content : null,
    reward: num(rs.raw_reward),
    parts,
    success: t.task_tag === 'success' || num(rs.success_rate) >= 1,
    advantage: adv,
    tokens: { prompt: 0, completion: 0 },
    flags: [],
    judge: { details: { task_tag: t.task_tag, ...rs } },
    timings: { started: 0, duration_ms: 0, model_ms: 0, tool_ms: 0, judge_ms: 0 },
  };
}

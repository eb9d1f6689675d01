// verl's rollout dumps: with `trainer.rollout_data_dir` (and `trainer.validation_data_dir`)
// set, verl's PPO trainer writes `<dir>/<global_step>.jsonl` each step, one line per sample:
//   {"input": <decoded prompt>, "output": <decoded response>, "gts": <ground truth>,
//    "score": <sequence reward>, "step": <global step>, ...reward_extra_info}
// where reward_extra_info holds whatever the reward function returned besides the score
// (`acc`, `pred`, …). Older verl versions have no `gts`. Samples of one prompt are adjacent
// (the batch is repeated with interleave) and share the prompt text; `uid`, when present,
// names the prompt.
import { createHash } from 'node:crypto';
import type { Message, Phase, RolloutRecord, TurnRecord } from '../events';
import { splitChatText, splitResponse } from './chat';

export interface VerlRow {
  input: string;
  output: string;
  score: number;
  step?: number;
  gts?: unknown;
  [extra: string]: unknown;
}

export function isVerlRow(v: unknown): v is VerlRow {
  const r = v as VerlRow;
  return !!r && typeof r === 'object' && typeof r.input === 'string' && typeof r.output === 'string' && typeof r.score === 'number';
}

const shortHash = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 10);
const RESERVED = new Set(['input', 'output', 'gts', 'score', 'step', 'uid', 'acc', 'pred', 'request_id', 'data_source']);

/**
 * Converts the rows of one dump file (one step). `fallbackStep` comes from the file name for
 * rows without `step`.
 */
export function convertVerlRows(rows: VerlRow[], opts: { fallbackStep: number; phase: Phase }): RolloutRecord[] {
  const samples = new Map<string, number>();
  return rows.map((row) => {
    const step = typeof row.step === 'number' ? row.step : opts.fallbackStep;
    const task = typeof row.uid === 'string' ? row.uid : `p${shortHash(row.input)}`;
    const group = `s${step}-${task}`;
    const sample = samples.get(group) ?? 0;
    samples.set(group, sample + 1);

    const prompt = splitChatText(row.input);
    const response = splitResponse(row.output);
    const messages: Message[] = [...prompt, ...response];
    const turns: TurnRecord[] = [];
    messages.forEach((m, i) => {
      if (m.role === 'assistant' && i >= prompt.length) {
        turns.push({ index: turns.length, role: 'agent', message_index: i, prompt_tokens: 0, completion_tokens: 0, flags: [], duration_ms: 0 });
      }
    });
    const parts: Record<string, number> = { score: row.score };
    for (const [k, v] of Object.entries(row)) if (!RESERVED.has(k) && typeof v === 'number' && Number.isFinite(v)) parts[k] = v;
    const acc = row.acc;
    const success = typeof acc === 'boolean' ? acc : typeof acc === 'number' ? acc > 0 : row.score > 0;
    const question = [...prompt].reverse().find((m) => m.role === 'user')?.content ?? row.input;
    return {
      id: `s${step}-${opts.phase}-${task}-${sample}`,
      step,
      phase: opts.phase,
      task_id: task,
      group_id: group,
      sample,
      question,
      reference: row.gts === undefined || row.gts === null ? '' : typeof row.gts === 'string' ? row.gts : JSON.stringify(row.gts),
      messages,
      turns,
      tool_calls: response.reduce((n, m) => n + (m.tool_calls?.length ?? 0), 0),
      final_answer: typeof row.pred === 'string' ? row.pred : typeof row.pred === 'number' ? String(row.pred) : null,
      reward: row.score,
      parts,
      success,
      advantage: null,
      tokens: { prompt: 0, completion: 0 },
      flags: [],
      judge: { details: Object.fromEntries(Object.entries(row).filter(([k]) => !['input', 'output'].includes(k))) },
      timings: { started: 0, duration_ms: 0, model_ms: 0, tool_ms: 0, judge_ms: 0 },
    };
  });
}

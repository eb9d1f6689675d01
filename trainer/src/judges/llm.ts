// `builtin:llm_judge`: a model grades the final answer against the reference with a rubric
// prompt, and may be combined with the rule-based `math` judge:
//
//   mode: llm            the model grades every answer
//   mode: math_then_llm  the math rule decides; the model grades only when the rule cannot
//                        (no answer could be extracted, the two could not be compared, or the
//                        answer is in words where the reference has digits)
//   mode: math_or_llm    correct when the rule says so; otherwise the model gets a second look
//
// The grader is an OpenAI-compatible server (`backend: openai`, with `base_url` and `model`)
// or a local ONNX model (`backend: onnx`, `model` a folder or `builtin:` ref, optional
// LoRA-head `adapter`). Its reasoning and verdict go into the judge details.
import { isAbsolute, resolve } from 'node:path';
import { OnnxChatBackend } from '../model/backend';
import { OpenAIChatBackend } from '../model/openai';
import type { ChatBackend, ChatResult } from '../model/types';
import type { Message } from '../run/events';
import { loadAdapter } from '../model/adapter';
import { LoraHead } from '../model/lora';
import { answerText } from './answer';
import { checkMath } from './math';
import type { JudgeInput, JudgeResult, Verdict } from './types';

export const LLM_JUDGE_MODES = ['llm', 'math_then_llm', 'math_or_llm'] as const;
export type LlmJudgeMode = (typeof LLM_JUDGE_MODES)[number];

export interface LlmJudgeOptions {
  mode?: LlmJudgeMode;
  backend?: 'openai' | 'onnx';
  /** The server's model name (openai), or a model folder or `builtin:` ref (onnx). */
  model?: string;
  base_url?: string;
  api_key_env?: string;
  /** A LoRA-head checkpoint applied to a local grader. */
  adapter?: string;
  /** The grading prompt; {question}, {reference} and {answer} are filled in. */
  rubric?: string;
  system_prompt?: string;
  temperature?: number;
  max_tokens?: number;
  timeout_s?: number;
  max_retries?: number;
  concurrency?: number;
  seed?: number;
  /** Passed to the math rule. */
  tolerance?: number;
  round_match?: boolean;
}

export interface JudgeContext {
  /** The config's folder: relative `model` and `adapter` paths resolve against it. */
  dir?: string;
}

export const DEFAULT_RUBRIC = `You are grading the final answer to a math problem against the reference answer.

Problem:
{question}

Reference answer:
{reference}

Final answer to grade:
{answer}

The answer is correct when it states the same value as the reference, whatever its form (fractions, decimals, units, thousands separators, rounding that keeps the value). Explain your decision in one or two sentences, then end with a line that is exactly "VERDICT: CORRECT" or "VERDICT: INCORRECT".`;

/** The grader's decision read from its text; `correct` is null when it gave none. */
export interface GraderVerdict {
  correct: boolean | null;
  /** The words the verdict was read from. */
  evidence: string | null;
}

const POSITIVE = new Set(['correct', 'right', 'yes', 'true', 'pass', 'passed', 'equivalent', 'accept', 'accepted', 'valid']);
const NEGATIVE = new Set(['incorrect', 'wrong', 'no', 'false', 'fail', 'failed', 'reject', 'rejected', 'invalid', 'inequivalent']);

function word(w: string): boolean | null {
  const k = w.trim().toLowerCase();
  return POSITIVE.has(k) ? true : NEGATIVE.has(k) ? false : null;
}

/** The first verdict word of a phrase, negated by a "not" before it: "the answer is not correct". */
function phrase(text: string): boolean | null {
  const bare = text.trim().replace(/[.!]+$/, '');
  if (bare === '0' || bare === '1') return bare === '1';
  const words = text.toLowerCase().replace(/n't\b/g, ' not').match(/[a-z]+/g) ?? [];
  for (let i = 0; i < words.length; i++) {
    const v = word(words[i]);
    if (v !== null) return words[i - 1] === 'not' ? !v : v;
  }
  return null;
}

/**
 * Reads a verdict the way graders write one, most explicit first: `VERDICT: X` (or
 * `Final verdict`, `Grade`, `Judgement`), `[[X]]`, `\boxed{X}`, a JSON object with
 * `verdict`/`correct`/`is_correct`/`score`, then a lone final word. The last explicit
 * statement wins, so a grader that reconsiders is read by its conclusion.
 */
export function parseVerdict(text: string): GraderVerdict {
  const clean = text.replace(/\*\*|__|`/g, '');
  const labelled = [...clean.matchAll(/\b(?:final\s+)?(?:verdict|grade|judge?ment|decision|evaluation)\s*[:=\-]\s*([^\n]*)/gi)];
  for (const m of labelled.reverse()) {
    const v = phrase(m[1].slice(0, 80));
    if (v !== null) return { correct: v, evidence: m[0].trim() };
  }
  const marked = [...clean.matchAll(/\[\[\s*([A-Za-z_ ]+?)\s*\]\]|\\boxed\{\s*\\?(?:text\{)?\s*([A-Za-z_ ]+?)\s*\}?\s*\}/g)];
  for (const m of marked.reverse()) {
    const v = phrase(m[1] ?? m[2]);
    if (v !== null) return { correct: v, evidence: m[0] };
  }
  for (const m of [...clean.matchAll(/\{[^{}]*\}/g)].reverse()) {
    try {
      const j = JSON.parse(m[0]) as Record<string, unknown>;
      for (const key of ['verdict', 'correct', 'is_correct', 'grade', 'score', 'result']) {
        const x = j[key];
        const v = typeof x === 'boolean' ? x : typeof x === 'number' ? (x === 1 ? true : x === 0 ? false : null) : typeof x === 'string' ? phrase(x) : null;
        if (v !== null) return { correct: v, evidence: m[0] };
      }
    } catch {
      // not JSON: keep looking
    }
  }
  // A last line that is just the verdict: "Correct." / "INCORRECT" / "No".
  const lines = clean.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1]?.replace(/^(?:answer|so|therefore|thus)\s*[:,]?\s*/i, '').replace(/[.!]+$/, '');
  if (last !== undefined && /^[A-Za-z' ]{1,20}$/.test(last)) {
    const v = phrase(last);
    if (v !== null) return { correct: v, evidence: lines[lines.length - 1] };
  }
  return { correct: null, evidence: null };
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(question|reference|answer)\}/g, (_, k: string) => values[k]);
}

/** The conversation the grader is given: the optional system prompt and the filled-in rubric. */
export function graderMessages(o: Pick<LlmJudgeOptions, 'rubric' | 'system_prompt'>, task: { question: string; reference: string }, answer: string): Message[] {
  const prompt = fill(o.rubric ?? DEFAULT_RUBRIC, { question: task.question, reference: task.reference, answer });
  return [...(o.system_prompt ? [{ role: 'system' as const, content: o.system_prompt }] : []), { role: 'user', content: prompt }];
}

// One grader per distinct setting, shared by every judge made with it (rollouts judge in parallel).
const graders = new Map<string, Promise<ChatBackend>>();

function graderKey(o: LlmJudgeOptions, ctx: JudgeContext): string {
  return JSON.stringify([o.backend, o.model, o.base_url, o.api_key_env, o.adapter, o.timeout_s, o.max_retries, o.concurrency, ctx.dir]);
}

function backendKind(o: LlmJudgeOptions): 'openai' | 'onnx' {
  if (o.backend !== undefined && o.backend !== 'openai' && o.backend !== 'onnx') throw new Error(`judge.options.backend: expected "openai" or "onnx", got ${JSON.stringify(o.backend)}`);
  return o.backend ?? (o.base_url ? 'openai' : 'onnx');
}

async function openGrader(o: LlmJudgeOptions, ctx: JudgeContext): Promise<ChatBackend> {
  if (backendKind(o) === 'openai') {
    if (!o.base_url) throw new Error('judge.options.base_url: the openai grader needs the server URL, e.g. http://127.0.0.1:8000/v1');
    if (!o.model) throw new Error('judge.options.model: the openai grader needs the model name the server knows');
    return OpenAIChatBackend.fromConfig({
      base_url: o.base_url,
      model: o.model,
      api_key_env: o.api_key_env ?? 'OPENAI_API_KEY',
      ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
      ...(o.timeout_s !== undefined ? { timeout_s: o.timeout_s } : {}),
      ...(o.max_retries !== undefined ? { max_retries: o.max_retries } : {}),
      logprobs: false,
    });
  }
  const local = await OnnxChatBackend.open(o.model ?? 'builtin:tiny-math', { ...(ctx.dir ? { cwd: ctx.dir } : {}), maxBatch: o.concurrency ?? 16 });
  if (o.adapter) {
    const dir = isAbsolute(o.adapter) ? o.adapter : resolve(ctx.dir ?? process.cwd(), o.adapter);
    const { vocab, hiddenSize } = local.engine.layout;
    const a = loadAdapter(dir, { vocab, hidden: hiddenSize });
    const lora = new LoraHead(hiddenSize, vocab, a.rank, a.alpha);
    lora.copyFrom(a.A, a.B);
    local.engine.logitHook = lora.hook;
  }
  return local;
}

function grader(o: LlmJudgeOptions, ctx: JudgeContext): Promise<ChatBackend> {
  const key = graderKey(o, ctx);
  let g = graders.get(key);
  if (!g) {
    g = openGrader(o, ctx);
    // A grader that failed to open is tried again by the next rollout.
    g.catch(() => graders.delete(key));
    graders.set(key, g);
  }
  return g;
}

/** Closes every grader opened so far (local models hold a worker thread). */
export async function closeGraders(): Promise<void> {
  const all = [...graders.values()];
  graders.clear();
  await Promise.all(all.map((g) => g.then((b) => b.close()).catch(() => undefined)));
}

function checkOptions(o: LlmJudgeOptions): LlmJudgeMode {
  const mode = o.mode ?? 'math_then_llm';
  if (!LLM_JUDGE_MODES.includes(mode)) throw new Error(`judge.options.mode: expected one of ${LLM_JUDGE_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  if (o.rubric !== undefined && (typeof o.rubric !== 'string' || !o.rubric.includes('{answer}'))) {
    throw new Error('judge.options.rubric: the rubric prompt must contain {answer} (and usually {question} and {reference})');
  }
  backendKind(o);
  return mode;
}

/**
 * The rule cannot decide: nothing to compare, no common form, or an answer in words only
 * ("seventy-five") against a reference with digits, which the rule would read as algebra.
 */
function undecided(v: Verdict): boolean {
  if (v.undecided || v.method === 'no_answer' || v.method === 'no_reference' || v.method === 'none') return true;
  return /\d/.test(v.gold.extracted ?? '') && !/\d/.test(v.pred.extracted ?? '');
}

export interface LlmJudgeDetails {
  mode: LlmJudgeMode;
  decided_by: 'math' | 'llm';
  rule?: Verdict;
  grader?: {
    model: string;
    verdict: 'correct' | 'incorrect';
    evidence: string;
    reasoning: string;
    prompt_tokens: number;
    completion_tokens: number;
  };
}

export function llmJudge(options: LlmJudgeOptions = {}, ctx: JudgeContext = {}): (input: JudgeInput) => Promise<JudgeResult> {
  checkOptions(options);
  return async (input) => {
    const o = { ...options, ...(input.options as LlmJudgeOptions | undefined) };
    const mode = checkOptions(o);
    const answer = answerText(input);
    const result = (correct: boolean, details: LlmJudgeDetails): JudgeResult => ({ reward: correct ? 1 : 0, is_success: correct, parts: { answer: correct ? 1 : 0 }, details });

    let rule: Verdict | undefined;
    if (mode !== 'llm') {
      rule = checkMath(input.task.reference, answer, { tolerance: o.tolerance, round_match: o.round_match });
      if (mode === 'math_then_llm' && !undecided(rule)) return result(rule.correct, { mode, decided_by: 'math', rule });
      if (mode === 'math_or_llm' && rule.correct) return result(true, { mode, decided_by: 'math', rule });
    }
    // No answer at all is wrong without asking anyone.
    if (answer === null || answer.trim() === '') return result(false, { mode, decided_by: 'math', ...(rule ? { rule } : {}) });

    const backend = await grader(o, ctx);
    const r: ChatResult = await backend.chat({
      messages: graderMessages(o, input.task, answer),
      sampling: { temperature: o.temperature ?? 0, top_p: 1, top_k: 0, max_new_tokens: o.max_tokens ?? 512, stop: [], seed: o.seed ?? 0 },
    });
    const v = parseVerdict(r.text);
    if (v.correct === null) {
      throw new Error(`the grader (${backend.name}) gave no verdict${r.finish_reason === 'length' ? ` within max_tokens ${o.max_tokens ?? 512}` : ''}; it wrote: ${JSON.stringify(r.text.slice(0, 300))}`);
    }
    return result(v.correct, {
      mode,
      decided_by: 'llm',
      ...(rule ? { rule } : {}),
      grader: {
        model: backend.name,
        verdict: v.correct ? 'correct' : 'incorrect',
        evidence: v.evidence!,
        reasoning: r.text,
        prompt_tokens: r.prompt_tokens,
        completion_tokens: r.completion_tokens,
      },
    });
  };
}

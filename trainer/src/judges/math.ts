// `builtin:math`: extracts the final answer (last \boxed{}, ####, "the answer is", the last
// display math, the last number), prepares both sides (notation stripped, plain math spelt as
// LaTeX), parses them into answer trees and compares them (docs/judges.md). Every verdict says
// what was extracted and how, the normal forms, and which comparison decided and why.
// Options: `tolerance` (relative, default 1e-6), `round_match` (default false), `budget_s`
// (per verdict, default 2), `undecided_reward` (default 0).
import { answerText } from './answer';
import { compareAnswers, type CompareOptions, type Decision } from './math/compare';
import { OutOfTime } from './math/evaluate';
import { extractAnswer } from './math/extract';
import { normalizeAnswer } from './math/normalize';
import { decimalComma, prepare, type Prepared } from './math/prepare';
import { parseLatex, showAnswer, Unreadable, warmParser, type Answer } from './math/tree';
import type { JudgeInput, JudgeResult, Verdict } from './types';

export interface MathJudgeOptions {
  tolerance?: number;
  round_match?: boolean;
  /** Seconds one verdict may take; past it the verdict is undecided. */
  budget_s?: number;
  /** Reward for an undecided verdict. */
  undecided_reward?: number;
}

type Extracted = ReturnType<typeof extractAnswer>;

/** The verdict when the reference or the answer has nothing to compare. */
export function unanswered(g: Extracted, p: Extracted): Verdict {
  return {
    correct: false,
    method: g ? 'no_answer' : 'no_reference',
    why: g ? 'no answer was found in the prediction' : 'the reference is empty',
    gold: { extracted: g?.text ?? null, normalized: null, from: g?.method ?? null },
    pred: { extracted: p?.text ?? null, normalized: null, from: p?.method ?? null },
  };
}

/** A plain number as word problems write it (`1,234`, `$18.50`, `7 apples`): the fast path. */
function plainValue(text: string): { value: number; percent: boolean; decimal: boolean } | null {
  if (text.length > 60 || /[\\{}^_=<>!()|:]/.test(text) || (text.includes(',') && decimalComma(text) !== text)) return null;
  const n = normalizeAnswer(text);
  if (!/^-?(?:\d+\.?\d*|\.\d+)$/.test(n.text)) return null;
  return { value: Number(n.text), percent: n.percent, decimal: n.text.includes('.') };
}

function numberVerdict(g: { value: number; percent: boolean; decimal: boolean }, p: { value: number; percent: boolean; decimal: boolean }, o: CompareOptions): Decision {
  return compareAnswers({ kind: 'expr', e: g.value }, { kind: 'expr', e: p.value }, { ...o, goldPercent: g.percent, predPercent: p.percent });
}

interface Side {
  prepared: Prepared;
  tree?: Answer;
}

function read(text: string): Side | Decision {
  const prepared = prepare(text);
  if (prepared.malformed) return { outcome: 'undecided', method: 'undecided', why: `cannot read ${JSON.stringify(text.slice(0, 60))}: ${prepared.malformed}` };
  if (prepared.words !== undefined || prepared.time) return { prepared };
  try {
    return { prepared, tree: parseLatex(prepared.latex) };
  } catch (e) {
    if (e instanceof Unreadable) return { outcome: 'undecided', method: 'undecided', why: `cannot read ${JSON.stringify(prepared.latex.slice(0, 60))}: ${e.message}` };
    throw e;
  }
}

function normalForm(s: Side | Decision): string | null {
  if ('outcome' in s) return null;
  const pct = s.prepared.percent ? '%' : '';
  if (s.prepared.words !== undefined) return s.prepared.words;
  if (s.prepared.time) return `${String(Math.floor(s.prepared.time.minutes / 60)).padStart(2, '0')}:${String(s.prepared.time.minutes % 60).padStart(2, '0')}`;
  return s.tree ? showAnswer(s.tree) + pct : s.prepared.latex;
}

function compareSides(g: Side, p: Side, o: CompareOptions): Decision {
  const [gp, pp] = [g.prepared, p.prepared];
  if (gp.latex.replace(/\s+/g, '') === pp.latex.replace(/\s+/g, '') && gp.percent === pp.percent) return { outcome: 'equal', method: 'string', why: 'the same text once notation is removed' };
  if (gp.words !== undefined || pp.words !== undefined) {
    // A choice letter against the same letter written bare: `\text{(A)}` and `a`.
    const bare = (p: Prepared) => p.words ?? p.latex.replace(/^\((.)\)$/, '$1').toLowerCase();
    const same = bare(gp) === bare(pp) && (gp.words?.length === 1 || pp.words?.length === 1 || (gp.words !== undefined && pp.words !== undefined));
    return { outcome: same ? 'equal' : 'different', method: 'text', why: same ? `both say "${gp.words}"` : `"${gp.words ?? gp.latex}" against "${pp.words ?? pp.latex}"` };
  }
  if (gp.time || pp.time) {
    if (!gp.time || !pp.time) return { outcome: 'different', method: 'time', why: 'a time of day against something else' };
    if (gp.time.minutes === pp.time.minutes) return { outcome: 'equal', method: 'time', why: 'the same time of day' };
    if (Math.abs(gp.time.minutes - pp.time.minutes) === 720 && !(gp.time.half && pp.time.half)) return { outcome: 'undecided', method: 'undecided', why: 'the same clock time; AM or PM is unclear' };
    return { outcome: 'different', method: 'time', why: 'different times of day' };
  }
  return compareAnswers(g.tree!, p.tree!, { ...o, goldPercent: gp.percent, predPercent: pp.percent });
}

/** One reference against one answer text. */
export function checkMath(gold: string, pred: string | null, options: MathJudgeOptions = {}): Verdict {
  const g = extractAnswer(gold, { fallback: 'whole', answerLines: true });
  const p = extractAnswer(pred, { fallback: 'last_number', answerLines: true });
  if (!g || !p) return unanswered(g, p);
  const budgetMs = (options.budget_s ?? 2) * 1000;
  const o: CompareOptions = { tolerance: options.tolerance ?? 1e-6, roundMatch: options.round_match ?? false, deadline: { at: Date.now() + budgetMs } };
  const verdict = (d: Decision, gn: string | null, pn: string | null, steps?: { gold: string[]; pred: string[] }): Verdict => ({
    correct: d.outcome === 'equal',
    ...(d.outcome === 'undecided' ? { undecided: true } : {}),
    method: d.method,
    why: d.why,
    gold: { extracted: g.text, normalized: gn, from: g.method },
    pred: { extracted: p.text, normalized: pn, from: p.method },
    ...(steps ? { steps } : {}),
  });
  const gv = plainValue(g.text);
  const pv = gv && plainValue(p.text);
  if (gv && pv) return verdict(numberVerdict(gv, pv, o), String(gv.value) + (gv.percent ? '%' : ''), String(pv.value) + (pv.percent ? '%' : ''));
  let gs: Side | Decision | undefined;
  let ps: Side | Decision | undefined;
  // Loading the parser is start-up cost, not this verdict's.
  warmParser();
  o.deadline.at = Date.now() + budgetMs;
  try {
    gs = read(g.text);
    ps = read(p.text);
    const steps = { gold: 'prepared' in gs ? gs.prepared.steps : [], pred: 'prepared' in ps ? ps.prepared.steps : [] };
    if ('outcome' in gs) return verdict(gs, null, normalForm(ps), steps);
    if ('outcome' in ps) return verdict(ps, normalForm(gs), null, steps);
    return verdict(compareSides(gs, ps, o), normalForm(gs), normalForm(ps), steps);
  } catch (e) {
    if (e instanceof OutOfTime) return verdict({ outcome: 'undecided', method: 'undecided', why: `out of time (budget ${options.budget_s ?? 2} s)` }, gs ? normalForm(gs) : null, ps ? normalForm(ps) : null);
    if (e instanceof RangeError) return verdict({ outcome: 'undecided', method: 'undecided', why: 'too deeply nested to read' }, null, null);
    throw e;
  }
}

export function verdictResult(v: Verdict, undecidedReward = 0): JudgeResult {
  const answer = v.correct ? 1 : v.undecided ? undecidedReward : 0;
  return { reward: answer, is_success: v.correct, parts: { answer }, details: v };
}

export function mathJudge(options: MathJudgeOptions = {}): (input: JudgeInput) => JudgeResult {
  // The parser takes about a second to load: pay it when the judge is made, not in the first verdict.
  warmParser();
  return (input) => {
    const o = { ...options, ...(input.options as MathJudgeOptions) };
    return verdictResult(checkMath(input.task.reference, answerText(input), o), o.undecided_reward ?? 0);
  };
}

// `agent-tune verify [--judge REF] [--explain]`: JSON lines `{gold, pred}` on stdin, one JSON
// verdict a line on stdout with the extracted and normalised answers and the comparison that
// decided. `--explain` adds, for a built-in judge, the rule that found each answer, the clean-up
// steps and the reason in words, as `explain`. A quick way to check what a judge makes of
// answers before a run depends on it.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Output } from './output';
import { parseRef } from '../config/load';
import { builtinChecker } from '../judges/registry';
import type { JudgeInput, Verdict } from '../judges/types';
import { UserCodeHost } from '../user/host';
import { EXIT } from './output';

export interface VerifyOptions {
  judge: string;
  /** `judge.options`, as JSON text. */
  options?: string;
  /** Per-line limit for a user judge, in seconds. */
  timeout?: number;
  /** Add each verdict's explanation. */
  explain?: boolean;
}

export interface VerifySummary {
  lines: number;
  correct: number;
  invalid: number;
  /** Verdicts the judge could not settle (counted as not correct). */
  undecided?: number;
}

type Judge = (gold: string, pred: string | null, line: number, extra: Record<string, unknown>) => Promise<Record<string, unknown>>;

function parseOptions(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`--options: not JSON: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('--options: expected a JSON object, for example {"tolerance": 0.001}');
  return v as Record<string, unknown>;
}

/** A built-in verdict as a verify line; with `explain`, each side's extraction, clean-up and normal form, and why. */
export function verdictLine(v: Verdict, explain = false): Record<string, unknown> {
  return {
    correct: v.correct,
    ...(v.undecided ? { undecided: true } : {}),
    method: v.method,
    extracted: { gold: v.gold.extracted, pred: v.pred.extracted },
    normalized: { gold: v.gold.normalized, pred: v.pred.normalized },
    found_by: { gold: v.gold.from, pred: v.pred.from },
    ...(explain
      ? {
          explain: {
            gold: { extracted: v.gold.extracted, rule: v.gold.from, cleanup: v.steps?.gold ?? [], normal_form: v.gold.normalized },
            pred: { extracted: v.pred.extracted, rule: v.pred.from, cleanup: v.steps?.pred ?? [], normal_form: v.pred.normalized },
            decided_by: v.method,
            why: v.why ?? null,
          },
        }
      : {}),
  };
}

async function makeVerifier(ref: string, options: Record<string, unknown>, timeoutMs: number, explain: boolean): Promise<{ judge: Judge; close(): Promise<void> }> {
  const code = parseRef(process.cwd(), ref);
  if (code.builtin) {
    const check = builtinChecker(code.builtin);
    return {
      judge: async (gold, pred) => verdictLine(check(gold, pred, options), explain),
      close: async () => {},
    };
  }
  // A user judge sees each pair as a one-turn rollout whose final answer is `pred`.
  const host = new UserCodeHost();
  try {
    await host.inspect(code, 'judge');
  } catch (e) {
    await host.close();
    throw e;
  }
  return {
    judge: async (gold, pred, line, extra) => {
      const input: JudgeInput = {
        task: { id: typeof extra.id === 'string' ? extra.id : `line-${line}`, question: typeof extra.question === 'string' ? extra.question : '', reference: gold, features: {} },
        final_answer: pred,
        messages: pred === null ? [] : [{ role: 'assistant', content: pred }],
        turns: [],
        tool_calls: [],
        flags: [],
        options,
      };
      try {
        const r = await host.judge(code, input, timeoutMs);
        return { correct: Boolean(r.is_success), reward: r.reward, ...(r.parts ? { parts: r.parts } : {}), ...(r.details === undefined ? {} : { details: r.details }) };
      } catch (e) {
        return { correct: false, judge_error: (e as Error).message };
      }
    },
    close: () => host.close(),
  };
}

/** Reads pairs from `input` and writes one verdict a line to `output`; bad lines are reported in place. */
export async function verifyStream(input: Readable, output: Writable, opts: VerifyOptions): Promise<VerifySummary> {
  const verifier = await makeVerifier(opts.judge, parseOptions(opts.options), (opts.timeout ?? 30) * 1000, Boolean(opts.explain));
  const summary: VerifySummary = { lines: 0, correct: 0, invalid: 0, undecided: 0 };
  const write = (v: unknown) => output.write(JSON.stringify(v) + '\n');
  try {
    let line = 0;
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      if (!text.trim()) continue;
      summary.lines++;
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(text);
        if (!row || typeof row !== 'object' || Array.isArray(row)) throw new Error('expected an object {"gold": ..., "pred": ...}');
      } catch (e) {
        summary.invalid++;
        write({ line, error: `line ${line}: not a JSON object: ${(e as Error).message}` });
        continue;
      }
      const { gold, pred } = row;
      const asText = (v: unknown) => (typeof v === 'number' ? String(v) : v);
      const g = asText(gold);
      const p = asText(pred);
      if (typeof g !== 'string' || (p !== null && typeof p !== 'string')) {
        summary.invalid++;
        write({ line, error: `line ${line}: ${typeof g !== 'string' ? '"gold"' : '"pred"'} must be a string or a number` });
        continue;
      }
      const verdict = await verifier.judge(g, p as string | null, line, row);
      if (verdict.correct) summary.correct++;
      if (verdict.undecided) summary.undecided!++;
      write({ line, ...(row.id !== undefined ? { id: row.id } : {}), gold: g, pred: p, ...verdict });
    }
  } finally {
    await verifier.close();
  }
  return summary;
}

export function registerVerify(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('verify')
    .description('read {"gold", "pred"} JSON lines on stdin; print one verdict a line with the extracted and normalised answers and the comparison that decided')
    .option('--judge <ref>', 'builtin:math, builtin:gsm8k, builtin:exact_match, or a defineJudge export such as ./judge.ts#judge', 'builtin:math')
    .option('--options <json>', 'judge options as JSON, for example \'{"tolerance": 0.001}\'')
    .option('--timeout <s>', 'limit per line for a user judge, in seconds', Number, 30)
    .option('--explain', 'add each verdict\'s explanation: the rule that found each answer, the clean-up steps, the normal forms and why the comparison decided')
    .action(async (opts: VerifyOptions) => {
      const o = out();
      const summary = await verifyStream(process.stdin, process.stdout, opts);
      const undecided = summary.undecided ?? 0;
      o.info(
        `${summary.lines} checked: ${summary.correct} correct, ${summary.lines - summary.correct - summary.invalid - undecided} wrong${undecided ? `, ${undecided} undecided` : ''}${summary.invalid ? `, ${summary.invalid} invalid` : ''}`,
      );
      setExit(summary.invalid ? EXIT.invalid : EXIT.ok);
    });
}

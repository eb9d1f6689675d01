// `agent-tune rejudge RUN_DIR [--judge REF]`: re-scores stored rollouts with the current (or
// another) judge and shows which rewards changed and how their groups' advantages move.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from './output';
import { ConfigError, parseRef, type LoadedConfig } from '../config/load';
import { validateConfigText } from '../config/validate';
import { RUN_FILES, type RolloutRecord, type RunEvent } from '../run/events';
import { foldRun, type RunState } from '../run/fold';
import { readAll } from '../run/reader';
import { makeJudge } from '../rollout/env';
import { assignAdvantages } from '../rollout/runner';
import { judgeInputOf, lacksToolErrors, score } from '../rollout/score';
import { UserCodeHost } from '../user/host';
import { EXIT } from './output';

export interface RejudgeChange {
  id: string;
  group_id: string;
  step: number;
  reward: [number, number];
  success: [boolean, boolean];
  advantage: [number | null, number | null];
  judge_error?: string;
}

export function registerRejudge(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('rejudge')
    .description('re-score the rollouts of a run with an edited judge; shows changed rewards and advantages')
    .argument('<run-dir>', 'a run directory')
    .option('--judge <ref>', 'judge reference (relative to the current folder), for example ./judge.ts#judge; the run\'s judge by default')
    .option('--write', 'also write the re-scored rollouts to rejudged-<time>.jsonl in the run directory')
    .action(async (runDir: string, opts: { judge?: string; write?: boolean }) => {
      const o = out();
      let bar: ReturnType<Output['progress']> | undefined;
      const result = await rejudge(resolve(runDir), opts.judge, (done, total) => (bar ??= o.progress(total, 'judging')).update(done));
      bar?.done();
      for (const note of result.notes) o.info(note);
      if (opts.write) {
        const file = join(runDir, `rejudged-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}.jsonl`);
        writeFileSync(file, result.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
        o.info(`wrote ${file}`);
      }
      if (o.json) for (const c of result.changes) o.result(c, () => '');
      o.result({ rollouts: result.records.length, changed: result.changes.length, judge: result.judgeRef }, () => formatChanges(result.changes, result.records.length, result.judgeRef));
      setExit(EXIT.ok);
    });
}

export async function rejudge(
  runDir: string,
  judgeOverride?: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ records: RolloutRecord[]; changes: RejudgeChange[]; judgeRef: string; notes: string[] }> {
  const loaded = storedConfig(runDir);
  const stored = (await readAll<RolloutRecord>(join(runDir, RUN_FILES.rollouts))).records.map((r) => r.value);
  if (stored.length === 0) throw new Error(`${join(runDir, RUN_FILES.rollouts)} holds no rollouts`);
  const notes: string[] = [];
  const old = stored.filter((r) => lacksToolErrors(r.messages)).length;
  if (old) {
    notes.push(
      `${join(runDir, RUN_FILES.rollouts)}: ${old} rollout(s) were recorded without the tools' own error reports; their tool_error part and partial credit fall back to each rollout's tool_error flag`,
    );
  }
  const refText = judgeOverride ?? loaded.config.judge.ref;
  const ref = judgeOverride ? parseRef(process.cwd(), judgeOverride) : parseRef(loaded.dir, refText);
  let host: UserCodeHost | undefined;
  try {
    const judge = await makeJudge(loaded.config, ref, refText, () => (host ??= new UserCodeHost({ isolation: loaded.config.judge.isolation })), loaded.dir);
    const records = stored.map((r) => ({ ...r, flags: [...r.flags] }));
    let done = 0;
    await Promise.all(
      records.map(async (r) => {
        const s = await score(judge, loaded.config, judgeInputOf(r));
        r.reward = s.reward;
        r.parts = s.parts;
        r.success = s.success;
        r.flags = r.flags.filter((f) => f !== 'judge_error');
        if (s.error) r.flags.push('judge_error');
        if (s.judge) r.judge = s.judge;
        else delete r.judge;
        onProgress?.(++done, records.length);
      }),
    );
    // Advantages move for whole groups; recompute them where training computed them.
    const groups = new Map<string, number[]>();
    records.forEach((r, i) => {
      if (r.phase !== 'train' && r.phase !== 'debug') return;
      const key = `${r.step}|${r.group_id}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    for (const idx of groups.values()) assignAdvantages(loaded.config.algorithm, idx.map((i) => records[i]));
    const changes: RejudgeChange[] = [];
    records.forEach((r, i) => {
      const old = stored[i];
      const moved = r.reward !== old.reward || r.success !== old.success || !sameAdvantage(r.advantage, old.advantage);
      if (moved) {
        changes.push({
          id: r.id,
          group_id: r.group_id,
          step: r.step,
          reward: [old.reward, r.reward],
          success: [old.success, r.success],
          advantage: [old.advantage, r.advantage],
          ...(r.judge?.error ? { judge_error: r.judge.error } : {}),
        });
      }
    });
    return { records, changes, judgeRef: refText, notes };
  } finally {
    await host?.close();
  }
}

function sameAdvantage(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) < 1e-9;
}

/** The config the run started from; its refs resolve against the original config's folder. */
function storedConfig(runDir: string): LoadedConfig {
  const file = join(runDir, RUN_FILES.config);
  if (!existsSync(file)) throw new Error(`${runDir} is not a run directory: it has no ${RUN_FILES.config}`);
  const text = readFileSync(file, 'utf8');
  const result = validateConfigText(text, file);
  if (!result.config) throw new ConfigError(result.issues);
  const run: RunState = {};
  const events = join(runDir, RUN_FILES.events);
  if (existsSync(events)) {
    const first = readFileSync(events, 'utf8').split('\n', 1)[0];
    try {
      foldRun(run, JSON.parse(first) as RunEvent);
    } catch {
      // a torn first line: fall back to the run directory
    }
  }
  const original = run.config_file;
  const dir = original && existsSync(dirname(original)) ? dirname(original) : runDir;
  return { file: original ?? file, dir, text, config: result.config, warnings: [] };
}

function formatChanges(changes: RejudgeChange[], total: number, judgeRef: string): string {
  const lines = [`${changes.length} of ${total} rollouts changed with ${judgeRef}`];
  const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3));
  for (const c of changes.slice(0, 200)) {
    const parts = [`${c.id}`, `reward ${fmt(c.reward[0])} → ${fmt(c.reward[1])}`];
    if (c.success[0] !== c.success[1]) parts.push(`success ${c.success[0]} → ${c.success[1]}`);
    if (!sameAdvantage(c.advantage[0], c.advantage[1])) parts.push(`advantage ${fmt(c.advantage[0])} → ${fmt(c.advantage[1])}`);
    if (c.judge_error) parts.push(`judge error: ${c.judge_error}`);
    lines.push('  ' + parts.join('  '));
  }
  if (changes.length > 200) lines.push(`  … ${changes.length - 200} more (use --json for all)`);
  return lines.join('\n');
}

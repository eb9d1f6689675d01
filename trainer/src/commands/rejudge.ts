// `agent-tune rejudge RUN_DIR [--judge REF] [--ids A,B] [--write] [--undo [REV]]`: re-scores
// stored rollouts with the current (or another) judge, shows which rewards changed and how
// their groups' advantages move, and with --write changes the run (run/revision.ts keeps the
// old files so it can be undone).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from './output';
import { ConfigError, parseRef, type LoadedConfig } from '../config/load';
import { validateConfigText } from '../config/validate';
import { RUN_FILES, type RolloutRecord, type RunEvent } from '../run/events';
import { foldRun, runStatus, type RunState } from '../run/fold';
import { formatChanges, sameNumber, summarizeChanges, type RejudgeChange } from '../run/rejudgeDiff';
import { listRevisions, recoverRun, undoRevision } from '../run/revision';
import { writeRejudged } from './rejudgeWrite';
import { readAll } from '../run/reader';
import { makeJudge } from '../rollout/env';
import { assignAdvantages } from '../rollout/runner';
import { judgeInputOf, lacksToolErrors, score } from '../rollout/score';
import { UserCodeHost } from '../user/host';
import { EXIT } from './output';

export type { RejudgeChange } from '../run/rejudgeDiff';

export interface RejudgeOptions {
  /** Judge reference relative to the current folder; the run's judge by default. */
  judge?: string;
  /** Re-score only these rollouts; their groups' advantages are recomputed. */
  ids?: string[];
  onProgress?: (done: number, total: number) => void;
}

export function registerRejudge(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('rejudge')
    .description('re-score the rollouts of a run with an edited judge; shows changed rewards and advantages, and with --write changes the run (undo with --undo)')
    .argument('<run-dir>', 'a run directory')
    .option('--judge <ref>', 'judge reference (relative to the current folder), for example ./judge.ts#judge; the run\'s judge by default')
    .option('--ids <ids>', 'comma-separated rollout ids to re-judge (default: every rollout)')
    .option('--write', 'write the new rewards, advantages and step metrics into the run, keeping the old files under rejudge/<time>/')
    .option('--undo [revision]', 'put back the files a --write replaced (the latest revision, or the one named)')
    .option('--revisions', 'list the revisions kept under rejudge/')
    .option('--recover', 'only finish what an interrupted --write or --undo left (every rejudge does this first)')
    .action(async (runDir: string, opts: { judge?: string; ids?: string; write?: boolean; undo?: string | boolean; revisions?: boolean; recover?: boolean }) => {
      const o = out();
      const dir = resolve(runDir);
      const restored = recoverRun(dir);
      if (restored) o.info(`an interrupted re-judge left a journal: restored revision ${restored}`);
      if (opts.recover) {
        o.result({ recovered: restored ?? null }, () => (restored ? `restored ${restored}` : 'nothing to recover'));
        return setExit(EXIT.ok);
      }
      if (opts.revisions) {
        const all = listRevisions(dir);
        o.result({ revisions: all }, () => (all.length ? all.map((r) => `${r.name}  ${r.judge}  ${r.changed} changed${r.ids ? `  ids ${r.ids.join(',')}` : ''}`).join('\n') : 'no revisions'));
        return setExit(EXIT.ok);
      }
      if (opts.undo !== undefined) {
        assertNotRunning(dir);
        const rev = undoRevision(dir, typeof opts.undo === 'string' ? opts.undo : undefined);
        o.result({ undone: rev.name }, () => `restored the run as it was before revision ${rev.name} (${rev.judge})`);
        return setExit(EXIT.ok);
      }
      if (opts.write) assertNotRunning(dir);
      const ids = opts.ids?.split(',').map((s) => s.trim()).filter(Boolean);
      // --json: progress as `{"progress":{stage,done,total}}` lines, for the editor's notification.
      let last = 0;
      const progress = (stage: string, done: number, total: number) => {
        const now = Date.now();
        if (o.json && (done === 0 || done === total || now - last >= 100)) {
          last = now;
          o.result({ progress: { stage, done, total } }, () => '');
        }
      };
      let bar: ReturnType<Output['progress']> | undefined;
      const result = await rejudge(dir, {
        judge: opts.judge,
        ids,
        onProgress: (done, total) => {
          progress('judging', done, total);
          (bar ??= o.progress(total, 'judging')).update(done);
        },
      });
      bar?.done();
      for (const note of result.notes) o.info(note);
      let revision: string | undefined;
      if (opts.write && result.changes.length) {
        const changed = new Set(result.changes.map((c) => c.id));
        revision = writeRejudged(dir, result.records, changed, { judge: result.judgeRef, ...(ids ? { ids } : {}), changed: changed.size }, (stage) => progress(stage, stage === 'done' ? 1 : 0, 1));
        o.info(`wrote the run; the old files are kept in ${join(dir, RUN_FILES.rejudge, revision)} (undo: agent-tune rejudge ${runDir} --undo)`);
      }
      const summary = summarizeChanges(result.changes, { judge: result.judgeRef, total: result.records.length, rejudged: result.rejudged, revision });
      if (o.json) for (const c of result.changes) o.result(c, () => '');
      o.result({ rollouts: result.records.length, changed: result.changes.length, judge: result.judgeRef, written: !!opts.write, summary }, () => formatChanges(result.changes, summary));
      setExit(EXIT.ok);
    });
}

/** A run still being written must not be rewritten under its trainer. */
function assertNotRunning(runDir: string): void {
  const run: RunState = {};
  const events = join(runDir, RUN_FILES.events);
  if (existsSync(events)) {
    for (const line of readFileSync(events, 'utf8').split('\n')) {
      if (!line.startsWith('{"type":"run_')) continue;
      try {
        foldRun(run, JSON.parse(line) as RunEvent);
      } catch {
        // a torn last line
      }
    }
  }
  if (runStatus(run) === 'running') throw new Error(`${events}: the run is still running (pid ${run.pid}); re-judge it into the run after it ends, or without --write to only see the changes`);
}

export async function rejudge(
  runDir: string,
  opts: RejudgeOptions = {},
): Promise<{ records: RolloutRecord[]; changes: RejudgeChange[]; judgeRef: string; notes: string[]; rejudged: number }> {
  const { judge: judgeOverride, onProgress } = opts;
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
    const only = opts.ids ? new Set(opts.ids) : null;
    const unknown = opts.ids?.filter((id) => !records.some((r) => r.id === id)) ?? [];
    if (unknown.length) throw new Error(`${join(runDir, RUN_FILES.rollouts)}: no rollout with id ${unknown.join(', ')}`);
    const chosen = only ? records.filter((r) => only.has(r.id)) : records;
    let done = 0;
    onProgress?.(0, chosen.length);
    await Promise.all(
      chosen.map(async (r) => {
        const s = await score(judge, loaded.config, judgeInputOf(r));
        r.reward = s.reward;
        r.parts = s.parts;
        r.success = s.success;
        r.flags = r.flags.filter((f) => f !== 'judge_error');
        if (s.error) r.flags.push('judge_error');
        if (s.judge) r.judge = s.judge;
        else delete r.judge;
        onProgress?.(++done, chosen.length);
      }),
    );
    // Advantages move for whole groups; recompute them where training computed them, in the
    // groups that hold a re-scored rollout.
    const touched = new Set(chosen.map((r) => `${r.step}|${r.group_id}`));
    const groups = new Map<string, number[]>();
    records.forEach((r, i) => {
      if (r.phase !== 'train' && r.phase !== 'debug') return;
      if (!touched.has(`${r.step}|${r.group_id}`)) return;
      const key = `${r.step}|${r.group_id}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    for (const idx of groups.values()) assignAdvantages(loaded.config.algorithm, idx.map((i) => records[i]));
    const changes: RejudgeChange[] = [];
    records.forEach((r, i) => {
      const old = stored[i];
      const moved = r.reward !== old.reward || r.success !== old.success || !sameNumber(r.advantage, old.advantage);
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
    return { records, changes, judgeRef: refText, notes, rejudged: chosen.length };
  } finally {
    await host?.close();
  }
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

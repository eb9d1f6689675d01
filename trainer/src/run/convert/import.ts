// Imports a foreign dump into a run directory of our format, so the viewer (and anything else
// that reads runs) treats it like any run. Lines or files that cannot be read are reported as
// `log` warnings in the new run and in the result; they never stop the import.
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { readJsonl, type JsonlProblem } from '../reader';
import { RunWriter } from '../writer';
import { RUN_FORMAT_VERSION, type Phase, type RolloutRecord } from '../events';
import { detectFormat, jsonFiles, verlFiles, type SourceKind } from './detect';
import { convertVerlRows, isVerlRow, type VerlRow } from './verl';
import { convertAgentJet, isAgentJetTrajectory } from './agentjet';

export interface ImportResult {
  dir: string;
  kind: SourceKind;
  rollouts: number;
  problems: string[];
}

/** Marks a folder as written by `importRun`, which may therefore replace it. */
export const IMPORT_MARKER = 'imported.json';

export async function importRun(source: string, outDir: string, opts: { phase?: Phase } = {}): Promise<ImportResult> {
  const found = await detectFormat(source);
  if (!found) throw new Error(`${source}: not a run, a verl rollout dump or AgentJet trajectory JSON`);
  if (found.kind === 'run') return { dir: source, kind: 'run', rollouts: 0, problems: [] };
  if (existsSync(outDir)) {
    if (!existsSync(join(outDir, IMPORT_MARKER))) throw new Error(`${outDir} exists and was not written by an import; not replacing it`);
    await rm(outDir, { recursive: true, force: true });
  }
  const w = new RunWriter(outDir);
  const problems: string[] = [];
  let count = 0;
  try {
    await writeFile(join(outDir, IMPORT_MARKER), JSON.stringify({ source, kind: found.kind, imported: new Date().toISOString() }, null, 2) + '\n');
    w.emit({ type: 'run_started', format: RUN_FORMAT_VERSION, run_id: basename(outDir), name: `${basename(source)} (${found.kind})`, mode: 'train', config_file: source, pid: 0 });
    const add = (r: RolloutRecord) => {
      w.rollout(r);
      count++;
    };
    if (found.kind === 'verl') await importVerl(source, opts.phase, add, problems);
    else await importAgentJet(source, opts.phase, add, problems);
    for (const p of problems.slice(0, 200)) w.emit({ type: 'log', level: 'warn', message: p });
    w.emit({ type: 'log', level: 'info', message: `imported ${count} rollouts from ${source} (${found.label})` });
    w.emit({ type: 'run_finished', duration_ms: 0 });
  } finally {
    w.close();
  }
  return { dir: outDir, kind: found.kind, rollouts: count, problems };
}

const phaseOf = (path: string, given?: Phase): Phase => given ?? (path.split(sep).some((s) => /^(eval|val|validation)/i.test(s)) ? 'eval' : 'train');

async function importVerl(source: string, phase: Phase | undefined, add: (r: RolloutRecord) => void, problems: string[]): Promise<void> {
  const files = (await stat(source)).isFile() ? [source] : await verlFiles(source);
  for (const file of files) {
    const jsonProblems: JsonlProblem[] = [];
    const rows: VerlRow[] = [];
    for await (const batch of readJsonl<unknown>(file, {}, jsonProblems)) {
      for (const { value } of batch) {
        if (isVerlRow(value)) rows.push(value);
        else problems.push(`${file}: a line lacks string \`input\`/\`output\` or numeric \`score\`; skipped`);
      }
    }
    for (const p of jsonProblems) problems.push(`${file}:${p.line}: ${p.message}`);
    const fallbackStep = parseInt(basename(file)) || 0;
    for (const r of convertVerlRows(rows, { fallbackStep, phase: phaseOf(dirname(file), phase) })) add(r);
  }
}

async function importAgentJet(source: string, phase: Phase | undefined, add: (r: RolloutRecord) => void, problems: string[]): Promise<void> {
  const files = (await stat(source)).isFile() ? [source] : await jsonFiles(source);
  const samples = new Map<string, number>();
  for (const file of files) {
    const items: unknown[] = [];
    if (file.endsWith('.jsonl')) {
      const jsonProblems: JsonlProblem[] = [];
      for await (const batch of readJsonl<unknown>(file, {}, jsonProblems)) for (const { value } of batch) items.push(value);
      for (const p of jsonProblems) problems.push(`${file}:${p.line}: ${p.message}`);
    } else {
      try {
        const v = JSON.parse(await readFile(file, 'utf8')) as unknown;
        items.push(...(Array.isArray(v) ? v : [v]));
      } catch (e) {
        problems.push(`${file}: not valid JSON: ${(e as Error).message}`);
        continue;
      }
    }
    const stepMatch = /(?:^|[\\/])step_(\d+)(?:[\\/]|$)/.exec(file);
    for (const item of items) {
      if (!isAgentJetTrajectory(item)) {
        problems.push(`${file}: not an AgentJet trajectory (needs \`traj\` and \`reward_structure\`); skipped`);
        continue;
      }
      const rec = item as unknown as { step?: unknown };
      const step = typeof rec.step === 'number' ? rec.step : stepMatch ? Number(stepMatch[1]) : 0;
      const key = `${step}/${item.task_id}`;
      const sample = samples.get(key) ?? 0;
      samples.set(key, sample + 1);
      add(convertAgentJet(item, { step, phase: phaseOf(dirname(file), phase), sample }));
    }
  }
}

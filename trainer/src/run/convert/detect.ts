// Tells what a path holds: an Agent Tune run, or a foreign dump one of the importers reads.
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILES } from '../events';
import { isVerlRow } from './verl';
import { isAgentJetTrajectory } from './agentjet';

export type SourceKind = 'run' | 'verl' | 'agentjet';

export interface Detected {
  kind: SourceKind;
  label: string;
}

const LABELS: Record<SourceKind, string> = {
  run: 'an Agent Tune run',
  verl: 'a verl rollout dump (rollout_data_dir)',
  agentjet: 'AgentJet trajectory JSON',
};

const detected = (kind: SourceKind): Detected => ({ kind, label: LABELS[kind] });

/** The first line of a file, at most 4 MiB of it. */
export async function firstLine(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 22);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, bytesRead);
    const nl = text.indexOf('\n');
    return nl < 0 ? text : text.slice(0, nl);
  } finally {
    await fh.close();
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function detectFile(file: string): Promise<Detected | null> {
  if (file.endsWith('.jsonl')) {
    const v = parse(await firstLine(file));
    if (isVerlRow(v)) return detected('verl');
    if (isAgentJetTrajectory(v)) return detected('agentjet');
    return null;
  }
  if (file.endsWith('.json')) {
    const s = await stat(file);
    if (s.size > 256 << 20) return null;
    const { readFile } = await import('node:fs/promises');
    const v = parse(await readFile(file, 'utf8'));
    if (isAgentJetTrajectory(v) || (Array.isArray(v) && isAgentJetTrajectory(v[0]))) return detected('agentjet');
  }
  return null;
}

/** Verl dump files in a folder: `<step>.jsonl`, in step order. */
export async function verlFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => /^\d+\.jsonl$/.test(n)).sort((a, b) => parseInt(a) - parseInt(b)).map((n) => join(dir, n));
}

/** JSON files under a folder, a few levels deep, in path order. */
export async function jsonFiles(dir: string, depth = 4): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))) {
    const p = join(dir, e.name);
    if (e.isDirectory() && depth > 0) out.push(...(await jsonFiles(p, depth - 1)));
    else if (e.isFile() && /\.jsonl?$/.test(e.name)) out.push(p);
  }
  return out;
}

export async function detectFormat(path: string): Promise<Detected | null> {
  const s = await stat(path);
  if (s.isFile()) return detectFile(path);
  const names = await readdir(path);
  if (names.includes(RUN_FILES.events) || names.includes(RUN_FILES.rollouts)) return detected('run');
  const verl = await verlFiles(path);
  if (verl.length && (await detectFile(verl[0]))?.kind === 'verl') return detected('verl');
  for (const f of (await jsonFiles(path)).slice(0, 20)) {
    const d = await detectFile(f);
    if (d) return d;
  }
  return null;
}

// "Agent Tune: Report a Problem": one text file with what a maintainer needs to reproduce a
// debugger or trainer problem: versions, the run's provenance and last events, and the latest
// DAP trace (`trace: true`). No vscode import, so a test can build a report directly.
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILES } from '../../trainer/src/run/constants';

export interface ReportInput {
  /** Name → version: the extension, VS Code, the trainer, Node, the platform. */
  versions: Record<string, string>;
  /** The run the problem happened in, if any. */
  runDir?: string;
  /** The DAP trace to include; the newest file of `traceDir` when absent. */
  traceFile?: string;
  traceDir?: string;
}

/** The most of a trace or the events kept: their ends, where the problem shows. */
const TRACE_BYTES = 2 << 20;
const EVENT_LINES = 50;

export async function buildReport(input: ReportInput): Promise<string> {
  const out: string[] = ['# Agent Tune problem report', '', `created ${new Date().toISOString()}`, '', '## Versions', ''];
  for (const [k, v] of Object.entries(input.versions)) out.push(`- ${k}: ${v}`);
  out.push('', '## Run', '');
  if (input.runDir) {
    out.push(`folder: ${input.runDir}`, '', '### provenance.json', '', fence(await readFile(join(input.runDir, RUN_FILES.provenance), 'utf8').catch((e: Error) => `(not readable: ${e.message})`)));
    const events = await tailOf(join(input.runDir, RUN_FILES.events), 1 << 20).catch((e: Error) => `(not readable: ${e.message})`);
    out.push('', `### the last ${EVENT_LINES} events`, '', fence(events.split('\n').filter(Boolean).slice(-EVENT_LINES).join('\n')));
  } else out.push('(no run)');
  out.push('', '## Debug Adapter Protocol trace', '');
  const trace = input.traceFile ?? (input.traceDir ? await newest(input.traceDir) : undefined);
  if (trace) {
    const size = (await stat(trace).catch(() => null))?.size ?? 0;
    out.push(`file: ${trace}${size > TRACE_BYTES ? ` (its last ${TRACE_BYTES} of ${size} bytes)` : ''}`, '', fence(await tailOf(trace, TRACE_BYTES).catch((e: Error) => `(not readable: ${e.message})`)));
  } else out.push('(none: add "trace": true to the launch configuration, reproduce the problem, then report it)');
  return out.join('\n') + '\n';
}

async function newest(dir: string): Promise<string | undefined> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.log'));
  const dated = await Promise.all(names.map(async (n) => ({ file: join(dir, n), t: (await stat(join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
  return dated.sort((a, b) => b.t - a.t)[0]?.file;
}

async function tailOf(file: string, bytes: number): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const len = Math.min(size, bytes);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

function fence(text: string): string {
  const ticks = '`'.repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return `${ticks}\n${text.replace(/\n$/, '')}\n${ticks}`;
}

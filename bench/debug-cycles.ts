// `npm run bench:debug`: the debugger's start-up cost and its clean-up.
//
//  1. Time from the DAP launch request to the first finished rollout, under the agent-tune
//     debug adapter (dist/debugAdapter.js, agent-level debugging), against the peer measured
//     in the same run: `agent-tune debug` on the same config without a debugger.
//  2. Start/stop cycles (default 50): each starts a session, waits until rollouts are held at
//     entry (even cycles, ended with terminate) or a python tool process runs (odd cycles,
//     ended with disconnect), then ends it; afterwards every process any cycle started must be
//     gone. Exits non-zero on any orphan.
//
// Options: --cycles N (50), --runs N (3 timing runs each side).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendants } from '../src/debug/processTree';
import { Client } from '../test/dap/client';
import { liveProcesses, waitFor } from '../test/dap/processes';
import { mathWorkspace, repoRoot, type Workspace } from '../test/dap/workspace';

const arg = (flag: string, fallback: number) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CYCLES = arg('--cycles', 50);
const RUNS = arg('--runs', 3);
const CLI = join(repoRoot, 'trainer', 'bin', 'agent-tune.js');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function firstRunDir(parent: string): string | undefined {
  if (!existsSync(parent)) return undefined;
  const dirs = readdirSync(parent);
  return dirs.length ? join(parent, dirs[0]) : undefined;
}

function hasFinishedRollout(runDir: string | undefined): boolean {
  if (!runDir || !existsSync(join(runDir, 'events.jsonl'))) return false;
  return readFileSync(join(runDir, 'events.jsonl'), 'utf8').includes('"type":"rollout_finished"');
}

/** The peer: the CLI alone, until events.jsonl holds a rollout_finished. */
async function plainFirstRollout(ws: Workspace): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'agent-tune-bench-runs-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'debug', ws.config, '--tasks', '1', '--output-dir', out], { stdio: 'ignore' });
  await waitFor('a finished rollout (plain CLI)', () => hasFinishedRollout(firstRunDir(out)), 120_000);
  const ms = performance.now() - t0;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return ms;
}

async function session(launch: Record<string, unknown>): Promise<{ dc: Client; runDir: string }> {
  const dc = new Client();
  await dc.start();
  await dc.initializeRequest({ adapterID: 'agent-tune', clientID: 'bench', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
  const launched = dc.launchRequest(launch as never);
  await dc.configurationDoneRequest();
  await launched;
  const runDir = ((await dc.next('agentTune.run')).body as { runDir: string }).runDir;
  return { dc, runDir };
}

/** Under the debugger: from the launch request to the first thread (rollout) that exits. */
async function debuggedFirstRollout(ws: Workspace): Promise<number> {
  const t0 = performance.now();
  const { dc } = await session({ config: ws.config, tasks: 1, debugUserCode: false });
  await dc.next('thread', (e) => (e.body as { reason: string }).reason === 'exited', 120_000);
  const ms = performance.now() - t0;
  await dc.terminateRequest();
  await dc.stop();
  return ms;
}

function pidOf(runDir: string): number {
  return JSON.parse(readFileSync(join(runDir, 'events.jsonl'), 'utf8').split('\n')[0]).pid;
}

async function main(): Promise<number> {
  const ws = mathWorkspace({ 'rollout.group_size': 2, 'rollout.parallel': 2 });
  const py = mathWorkspace(
    {
      'workflow.ref': './python-workflow.ts#workflow',
      'workflow.options': { code: 'import time\ntime.sleep(120)\n' },
      tools: [{ ref: 'builtin:python', timeout_s: 120 }],
      'rollout.group_size': 2,
      'rollout.parallel': 2,
    },
    { 'python-workflow.ts': join(repoRoot, 'test', 'dap', 'fixtures', 'python-workflow.ts') },
  );
  try {
    console.log(`launch → first rollout_finished (median of ${RUNS}, builtin:tiny-math, 1 task × group_size 2)`);
    const plain: number[] = [];
    const debugged: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      plain.push(await plainFirstRollout(ws));
      debugged.push(await debuggedFirstRollout(ws));
    }
    const p = median(plain);
    const d = median(debugged);
    console.log(`  agent-tune debug, no debugger (peer): ${p.toFixed(0)} ms   [${plain.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`  agent-tune debug adapter:             ${d.toFixed(0)} ms   [${debugged.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`  ratio debugger / peer: ${(d / p).toFixed(2)}`);

    console.log(`\n${CYCLES} start/stop cycles`);
    const started = new Set<number>();
    let pythonCycles = 0;
    const t0 = performance.now();
    for (let i = 0; i < CYCLES; i++) {
      const python = i % 2 === 1;
      const { dc, runDir } = await session(python ? { config: py.config, tasks: 1, debugUserCode: false } : { config: ws.config, tasks: 1, stopOnEntry: true, debugUserCode: false });
      const pid = pidOf(runDir);
      if (python) {
        await waitFor('a python process', () => liveProcesses().some((p) => descendants(pid).includes(p.pid) && /python/.test(p.cmdline)), 60_000);
        pythonCycles++;
      } else {
        await dc.stopped((e) => e.body.reason === 'entry');
      }
      started.add(pid);
      for (const d of descendants(pid)) started.add(d);
      if (python) await dc.disconnectRequest({ terminateDebuggee: true });
      else await dc.terminateRequest();
      await dc.stop();
    }
    const seconds = (performance.now() - t0) / 1000;
    const live = new Set(liveProcesses().map((p) => p.pid));
    const orphans = [...started].filter((p) => live.has(p));
    const strays = liveProcesses().filter((p) => p.cmdline.includes(ws.dir) || p.cmdline.includes(py.dir));
    console.log(`  ${CYCLES} cycles (${pythonCycles} with a python tool process running) in ${seconds.toFixed(1)} s, ${started.size} processes started`);
    console.log(`  orphans: ${orphans.length + strays.length}`);
    return orphans.length + strays.length === 0 ? 0 : 1;
  } finally {
    ws.remove();
    py.remove();
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);

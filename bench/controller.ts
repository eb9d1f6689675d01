// `npm run bench:controller [-- --rollouts N --parallel N --rounds N --in-flight N]`:
// 1. Overhead: the same rollouts (same ids, so the same seeds and the same tokens) run by
//    our runtime straight against `agent-tune serve`, and by `agent-tune controller`'s loop
//    through the gateway stand-in in front of that server (claim, proxy, events, reward,
//    finish, model version). Rounds alternate; the median ratio of wall time is reported.
// 2. Memory: one controller holding --in-flight rollouts at once (a model that answers only
//    when all of them wait), two waves in a row; peak heap and RSS against the idle process.
// The gateway and the held model run in a child process (bench/controller-peer.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../trainer/src/config/load';
import { Controller } from '../trainer/src/controller/controller';
import { gatewayEnv } from '../trainer/src/controller/env';
import { GatewayClient } from '../trainer/src/controller/gateway';
import { OpenAIChatBackend } from '../trainer/src/model/openai';
import { createEnv } from '../trainer/src/rollout/env';
import { runRollouts } from '../trainer/src/rollout/runner';
import type { RolloutSpec } from '../trainer/src/rollout/session';
import { startRun } from '../trainer/src/run/start';
import { taskFromInput } from '../trainer/src/controller/input';

const { values: args } = parseArgs({
  options: {
    rollouts: { type: 'string', default: '24' },
    parallel: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    'in-flight': { type: 'string', default: '1000' },
  },
});
const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'trainer', 'bin', 'agent-tune.js');
const children: ChildProcess[] = [];

function firstLine(child: ChildProcess, what: string): Promise<Record<string, string | null>> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(JSON.parse(buf.slice(0, i)));
    });
    child.on('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready`)));
  });
}

async function peer(o: { model: string; hold?: number }): Promise<{ gateway: string; model: string | null }> {
  const child = spawn(process.execPath, ['-r', 'esbuild-register', join(__dirname, 'controller-peer.ts'), '--model', o.model, '--hold', String(o.hold ?? 0)], { stdio: ['pipe', 'pipe', 'inherit'], cwd: ROOT });
  children.push(child);
  return (await firstLine(child, 'the gateway stand-in')) as { gateway: string; model: string | null };
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}`);
}

async function terminalCount(gateway: string): Promise<number> {
  const res = await fetch(`${gateway}/api/rollouts/terminal?limit=1`);
  return ((await res.json()) as { total_terminal: number }).total_terminal;
}

function config(dir: string, parallel: number): string {
  writeFileSync(join(dir, 'judge.ts'), readFileSync(join(ROOT, 'examples/math-agent/judge.ts'), 'utf8'));
  const file = join(dir, 'bench.tune.yaml');
  writeFileSync(
    file,
    `name: bench-controller
model: { backend: onnx, path: builtin:tiny-math, sampling: { temperature: 1.0, max_new_tokens: 64 } }
tasks: { train: { path: builtin:arith/train, fields: { features: [difficulty] } } }
workflow: { ref: builtin:react }
tools: [{ ref: builtin:calculator }]
judge: { ref: ./judge.ts#judge }
rollout: { group_size: 2, parallel: ${parallel}, max_turns: 3 }
`,
  );
  return file;
}

/** Runs a controller until the gateway has `total` terminal rollouts; calls `sample` as it goes. */
async function controlled(file: string, gateway: string, parallel: number, total: number, out: string, sample?: () => void): Promise<{ seconds: number; tokens: number }> {
  const loaded = loadConfig(file);
  const writer = startRun(loaded, 'train', out);
  const env = await gatewayEnv(loaded, writer);
  const stopping = new AbortController();
  const controller = new Controller({ gateway: new GatewayClient({ url: gateway, signal: stopping.signal }), env, writer, parallel, name: 'bench', pollMs: 20, log: () => undefined });
  let tokens = 0;
  const started = performance.now();
  const done = controller.run();
  const before = await terminalCount(gateway);
  writer.onEvent((e) => {
    if (e.type === 'rollout_finished') tokens += e.tokens.completion;
  });
  while ((await terminalCount(gateway)) - before < total) {
    sample?.();
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  controller.stop();
  await done;
  stopping.abort();
  await env.close();
  writer.close();
  return { seconds, tokens };
}

async function overhead(dir: string): Promise<void> {
  const n = Number(args.rollouts);
  const parallel = Number(args.parallel);
  const serve = spawn(process.execPath, [BIN, '--json', 'serve', 'builtin:tiny-math', '--port', '0', '--quiet', '--name', 'bench'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(serve);
  const served = (await firstLine(serve, 'agent-tune serve')) as { url: string };
  const { gateway } = await peer({ model: 'bench' });
  await post(`${gateway}/api/models`, [{ model: 'bench', endpoint: served.url, version: 0 }]);
  const file = config(dir, parallel);
  const loaded = loadConfig(file);
  const rows = readFileSync(join(ROOT, 'trainer/tasks/arith/train.jsonl'), 'utf8').split('\n').slice(0, n).map((l) => JSON.parse(l) as Record<string, unknown>);

  const local = async (round: number) => {
    const writer = startRun(loaded, 'debug', join(dir, 'local'));
    const backend = new OpenAIChatBackend({ baseUrl: served.url, model: 'bench', concurrency: parallel });
    const env = await createEnv(loaded, { writer, backend });
    const specs: RolloutSpec[] = rows.map((row, i) => {
      const task = taskFromInput(row, loaded.config, true);
      return { id: `r${round}-${i}`, step: 0, phase: 'train', task, groupId: task.id, sample: 0 };
    });
    const started = performance.now();
    const records = await runRollouts(env, specs);
    const seconds = (performance.now() - started) / 1000;
    await env.close();
    writer.close();
    return { seconds, tokens: records.reduce((a, r) => a + r.tokens.completion, 0) };
  };
  const viaGateway = async (round: number) => {
    await post(`${gateway}/api/rollouts`, rows.map((input, i) => ({ rollout_id: `r${round}-${i}`, input, is_train: true })));
    return controlled(file, gateway, parallel, n, join(dir, 'controller'));
  };

  await local(-1); // warm-up: the server's sessions and our workers
  const ratios: number[] = [];
  for (let round = 0; round < Number(args.rounds); round++) {
    let l: { seconds: number; tokens: number };
    let g: { seconds: number; tokens: number };
    if (round % 2 === 0) {
      l = await local(round);
      g = await viaGateway(round);
    } else {
      g = await viaGateway(round);
      l = await local(round);
    }
    const same = l.tokens === g.tokens ? 'same tokens' : `tokens differ: ${l.tokens} vs ${g.tokens}`;
    ratios.push(g.seconds / l.seconds);
    console.log(`round ${round + 1}: local ${((l.seconds / n) * 1000).toFixed(0)} ms/rollout, controller ${((g.seconds / n) * 1000).toFixed(0)} ms/rollout, ratio ${(g.seconds / l.seconds).toFixed(3)} (${same})`);
  }
  ratios.sort((a, b) => a - b);
  const median = ratios[Math.floor(ratios.length / 2)];
  console.log(`controller overhead per rollout: ${((median - 1) * 100).toFixed(1)}% (median of ${ratios.length} rounds; target <= 5%) over ${n} rollouts, ${parallel} at once`);
}

async function memory(dir: string): Promise<void> {
  const inFlight = Number(args['in-flight']);
  const { gateway, model } = await peer({ model: 'bench', hold: inFlight });
  await post(`${gateway}/api/models`, [{ model: 'bench', endpoint: model, version: 0 }]);
  const file = config(dir, inFlight);
  const rows = readFileSync(join(ROOT, 'trainer/tasks/arith/train.jsonl'), 'utf8').split('\n').slice(0, inFlight).map((l) => JSON.parse(l) as Record<string, unknown>);
  global.gc?.();
  const idle = process.memoryUsage();
  const peaks: { heap: number; rss: number }[] = [];
  for (let wave = 0; wave < 2; wave++) {
    await post(`${gateway}/api/rollouts`, rows.map((input, i) => ({ rollout_id: `m${wave}-${i}`, input, is_train: true })));
    const peak = { heap: 0, rss: 0 };
    const sample = () => {
      const m = process.memoryUsage();
      peak.heap = Math.max(peak.heap, m.heapUsed);
      peak.rss = Math.max(peak.rss, m.rss);
    };
    const t = await controlled(file, gateway, inFlight, inFlight, join(dir, 'memory'), sample);
    peaks.push(peak);
    const mb = (x: number) => (x / 2 ** 20).toFixed(0);
    console.log(`wave ${wave + 1}: ${inFlight} rollouts in flight at once, ${t.seconds.toFixed(1)} s; peak heap ${mb(peak.heap)} MB (idle ${mb(idle.heapUsed)} MB, ${((peak.heap - idle.heapUsed) / inFlight / 1024).toFixed(0)} KB a rollout), peak RSS ${mb(peak.rss)} MB (idle ${mb(idle.rss)} MB)`);
  }
  console.log(`memory bounded: the second wave's peak heap is ${(peaks[1].heap / peaks[0].heap).toFixed(2)}x the first's`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-tune-bench-controller-'));
  try {
    await overhead(dir);
    await memory(dir);
  } finally {
    for (const c of children) c.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    for (const c of children) c.kill();
    console.error(e);
    process.exit(1);
  },
);

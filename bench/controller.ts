// `npm run bench:controller [-- --model REF | --shape qwen3-tiny|qwen3-0.6b] [--rollouts N
// --parallel N --rounds N --in-flight N --only overhead|memory]`:
// 1. Overhead: the same rollouts (same ids, so the same seeds and the same tokens) run by
//    our runtime straight against `agent-tune serve` with the model (default
//    builtin:tiny-math; `--shape` builds once and uses a stand-in of a real model's shape and
//    vocabulary, .cache/standin/), and by `agent-tune controller`'s loop
//    through the gateway stand-in in front of that server (claim, proxy, events, reward,
//    finish, model version). Rounds alternate. Reported as medians over the rounds: the CPU
//    of the controller process and the model server against our runtime's process and the
//    same server, as a ratio and in ms per rollout, and the ratios of wall time. The gateway
//    stand-in's own CPU is shown apart: in a deployment it runs on the gateway's machine.
// 2. Memory: one controller holding --in-flight rollouts at once (a model that answers only
//    when all of them wait), two waves in a row; peak heap and RSS against the idle process.
// The gateway and the held model run in a child process (bench/controller-peer.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../trainer/src/config/load';
import { Controller } from '../trainer/src/controller/controller';
import { gatewayEnv } from '../trainer/src/controller/env';
import { GatewayClient } from '../trainer/src/controller/gateway';
import { agentUrls } from '../trainer/src/controller/schema';
import { OpenAIChatBackend } from '../trainer/src/model/openai';
import { createEnv } from '../trainer/src/rollout/env';
import { runRollouts } from '../trainer/src/rollout/runner';
import type { RolloutSpec } from '../trainer/src/rollout/session';
import { startRun } from '../trainer/src/rollout/start';
import { taskFromInput } from '../trainer/src/controller/input';
import type { RolloutRecord } from '../trainer/src/run/events';
import { SHAPES, standin, type Shape } from '../scripts/standin/build';

const { values: args } = parseArgs({
  options: {
    rollouts: { type: 'string', default: '96' },
    parallel: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    'in-flight': { type: 'string', default: '1000' },
    only: { type: 'string' },
    model: { type: 'string', default: 'builtin:tiny-math' },
    shape: { type: 'string' },
    /** Two more controller passes a round, with the event posts, then also the final patch, answered in-process. */
    attribute: { type: 'boolean', default: false },
  },
});
if (args.shape !== undefined && !(args.shape in SHAPES)) throw new Error(`--shape: expected one of ${Object.keys(SHAPES).join(', ')}, got ${JSON.stringify(args.shape)}`);
const ROOT = join(__dirname, '..');
/** The model served in the overhead runs: a stand-in of a real model's shape (built once, cached) or the model named. */
const MODEL = args.shape ? standin(args.shape as Shape, undefined, (s) => console.log(s)) : args.model!;
const MODEL_NAME = args.shape ? `${args.shape} stand-in (${relative(ROOT, MODEL)}, vocabulary ${SHAPES[args.shape as Shape].vocab_size})` : MODEL;
const BIN = join(ROOT, 'trainer', 'bin', 'agent-tune.js');
const children: ChildProcess[] = [];

/** CPU seconds a child process has used so far (Linux /proc; NaN elsewhere). */
function childCpu(c: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${c.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds so far of this process (the runtime or the controller), the model server and the gateway stand-in. */
interface Cpu {
  own: number;
  /** The kernel's share of `own`: system calls, socket writes to other processes on this machine included. */
  ownSys: number;
  model: number;
  gateway: number;
}
let watched: { model?: ChildProcess; gateway?: ChildProcess } = {};

function cpuNow(): Cpu {
  const own = process.cpuUsage();
  return { own: (own.user + own.system) / 1e6, ownSys: own.system / 1e6, model: watched.model ? childCpu(watched.model) : 0, gateway: watched.gateway ? childCpu(watched.gateway) : 0 };
}

function cpuSince(t0: Cpu): Cpu {
  const t = cpuNow();
  return { own: t.own - t0.own, ownSys: t.ownSys - t0.ownSys, model: t.model - t0.model, gateway: t.gateway - t0.gateway };
}

/** One pass over the rollouts: wall time, completion tokens, and the mean time of a rollout as it ran. */
interface Pass {
  seconds: number;
  tokens: number;
  rolloutMs: number;
  modelMs: number;
  cpu: Cpu;
}

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

async function peer(o: { model: string; hold?: number }): Promise<{ gateway: string; model: string | null; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-r', 'esbuild-register', join(__dirname, 'controller-peer.ts'), '--model', o.model, '--hold', String(o.hold ?? 0)], { stdio: ['pipe', 'pipe', 'inherit'], cwd: ROOT });
  children.push(child);
  return { ...((await firstLine(child, 'the gateway stand-in')) as { gateway: string; model: string | null }), child };
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}`);
}

function config(dir: string, parallel: number): string {
  writeFileSync(join(dir, 'judge.ts'), readFileSync(join(ROOT, 'examples/math-agent/judge.ts'), 'utf8'));
  const file = join(dir, 'bench.tune.yaml');
  writeFileSync(
    file,
    `name: bench-controller
model: { backend: onnx, path: ${JSON.stringify(MODEL)}, sampling: { temperature: 1.0, max_new_tokens: 64 } }
tasks: { train: { path: builtin:arith/train, fields: { features: [difficulty] } } }
workflow: { ref: builtin:react }
tools: [{ ref: builtin:calculator }]
judge: { ref: ./judge.ts#judge }
rollout: { group_size: 2, parallel: ${parallel}, max_turns: 3 }
`,
  );
  return file;
}

/**
 * For --attribute: a gateway client whose event posts (and, with `finish`, final status
 * patches) succeed at once without a request, so that what those calls cost the controller
 * process shows as the difference to a full pass. Counts the calls it skipped.
 */
class SkippingGateway extends GatewayClient {
  skipped = 0;
  constructor(
    o: ConstructorParameters<typeof GatewayClient>[0],
    private readonly skipFinish: boolean,
  ) {
    super(o);
  }
  override postEvent(): Promise<boolean> {
    this.skipped++;
    return Promise.resolve(true);
  }
  override finish(rolloutId: string, state: 'succeeded' | 'failed', errorMessage?: string): Promise<boolean> {
    if (!this.skipFinish) return super.finish(rolloutId, state, errorMessage);
    this.skipped++;
    return Promise.resolve(true);
  }
}

/** Runs a controller until the gateway has `total` terminal rollouts; calls `sample` as it goes. */
async function controlled(file: string, gateway: string, parallel: number, total: number, out: string, sample?: () => void, client?: GatewayClient): Promise<Pass> {
  const loaded = loadConfig(file);
  const writer = startRun(loaded, 'train', out);
  const env = await gatewayEnv(loaded, writer);
  const stopping = new AbortController();
  let reported = 0;
  let allReported = () => undefined as void;
  const finished = new Promise<void>((resolve) => (allReported = resolve));
  const controller = new Controller({
    gateway: client ?? new GatewayClient({ url: gateway, signal: stopping.signal }),
    env,
    writer,
    parallel,
    name: 'bench',
    pollMs: 1000,
    log: () => undefined,
    onReported: () => {
      if (++reported === total) allReported();
    },
  });
  let tokens = 0;
  let rolloutMs = 0;
  writer.onEvent((e) => {
    if (e.type === 'rollout_finished') {
      tokens += e.tokens.completion;
      rolloutMs += e.duration_ms;
    }
  });
  const sampler = sample ? setInterval(sample, 50) : undefined;
  const cpu0 = cpuNow();
  const started = performance.now();
  const done = controller.run();
  await finished;
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSince(cpu0);
  controller.stop();
  await done;
  stopping.abort();
  await env.close();
  writer.close();
  const rows = readFileSync(join(writer.dir, 'rollouts.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RolloutRecord);
  return { seconds, cpu, tokens, rolloutMs: rolloutMs / total, modelMs: rows.reduce((a, r) => a + r.timings.model_ms, 0) / rows.length };
}

async function overhead(dir: string): Promise<void> {
  const n = Number(args.rollouts);
  const parallel = Number(args.parallel);
  console.log(`model: ${MODEL_NAME}, served by agent-tune serve; ${n} rollouts, ${parallel} at once, ${args.rounds} rounds`);
  const serve = spawn(process.execPath, [BIN, '--json', 'serve', MODEL, '--port', '0', '--quiet', '--name', 'bench'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(serve);
  const served = (await firstLine(serve, 'agent-tune serve')) as { url: string };
  const { gateway, child } = await peer({ model: 'bench' });
  watched = { model: serve, gateway: child };
  await post(`${gateway}/api/models`, [{ model: 'bench', endpoint: served.url, version: 0 }]);
  const file = config(dir, parallel);
  const loaded = loadConfig(file);
  const rows = readFileSync(join(ROOT, 'trainer/tasks/arith/train.jsonl'), 'utf8').split('\n').slice(0, n).map((l) => JSON.parse(l) as Record<string, unknown>);

  /** Our runtime alone, straight to the server or through one gateway rollout's proxy URL. */
  const local = async (round: number, throughGateway = false) => {
    const writer = startRun(loaded, 'debug', join(dir, 'local'));
    let baseUrl = served.url;
    if (throughGateway) {
      await post(`${gateway}/api/rollouts`, [{ rollout_id: `proxy-${round}`, input: {} }]);
      baseUrl = agentUrls(gateway, `proxy-${round}`, 'local', true).openai;
    }
    const backend = new OpenAIChatBackend({ baseUrl, model: 'bench', concurrency: parallel });
    const env = await createEnv(loaded, { writer, backend });
    const specs: RolloutSpec[] = rows.map((row, i) => {
      const task = taskFromInput(row, loaded.config, true);
      return { id: `r${round}-${i}`, step: 0, phase: 'train', task, groupId: task.id, sample: 0 };
    });
    const cpu0 = cpuNow();
    const started = performance.now();
    const records = await runRollouts(env, specs);
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSince(cpu0);
    await env.close();
    writer.close();
    // The proxy pass's rollout is no work for the controller's pass: left queued, it would be claimed and counted there.
    if (throughGateway) await fetch(`${gateway}/api/rollouts/proxy-${round}`, { method: 'DELETE' }).then((r) => r.body?.cancel());
    return {
      seconds,
      cpu,
      tokens: records.reduce((a, r) => a + r.tokens.completion, 0),
      rolloutMs: records.reduce((a, r) => a + r.timings.duration_ms, 0) / records.length,
      modelMs: records.reduce((a, r) => a + r.timings.model_ms, 0) / records.length,
    };
  };
  const viaGateway = async (round: number) => {
    await post(`${gateway}/api/rollouts`, rows.map((input, i) => ({ rollout_id: `r${round}-${i}`, input, is_train: true })));
    return controlled(file, gateway, parallel, n, join(dir, 'controller'));
  };
  /** The controller's pass again on the same rollout ids (so the same tokens), with some calls skipped; the rollouts are removed after. */
  const skipping = async (round: number, skipFinish: boolean) => {
    const ids = rows.map((_, i) => `r${round}-${i}`);
    const remove = () => Promise.all(ids.map((id) => fetch(`${gateway}/api/rollouts/${id}`, { method: 'DELETE' }).then((r) => r.body?.cancel())));
    await remove();
    await post(`${gateway}/api/rollouts`, rows.map((input, i) => ({ rollout_id: ids[i], input, is_train: true })));
    const client = new SkippingGateway({ url: gateway }, skipFinish);
    const pass = await controlled(file, gateway, parallel, n, join(dir, 'controller'), undefined, client);
    await remove();
    return { pass, skipped: client.skipped / n };
  };
  /** Per round with --attribute, controller process CPU ms per rollout: full, without event posts, without those and the final patch; calls skipped a rollout. */
  const attributed: { full: number; noEvents: number; noFinish: number; local: number; events: number }[] = [];

  // Warm-up of both paths: the server's sessions, our workers, the connections and the JIT (a controller runs for hours).
  await local(-1);
  await viaGateway(-1);
  const total: number[] = [];
  const own: number[] = [];
  const cpuRatio: number[] = [];
  /** Per round, CPU ms per rollout: the bench process and the model server, in each pass; the stand-in in the controller's. */
  const split: Record<'localOwn' | 'localModel' | 'ctlOwn' | 'ctlModel' | 'gateway', number[]> = { localOwn: [], localModel: [], ctlOwn: [], ctlModel: [], gateway: [] };
  const ms = (seconds: number) => (seconds / n) * 1000;
  const show = (what: string, p: Pass) =>
    `${what} ${ms(p.seconds).toFixed(0)} ms/rollout wall, ${ms(p.cpu.own + p.cpu.model).toFixed(1)} ms CPU (${ms(p.cpu.own).toFixed(1)} this process of which ${ms(p.cpu.ownSys).toFixed(1)} system, ${ms(p.cpu.model).toFixed(1)} model server; each rollout ${p.rolloutMs.toFixed(0)} ms, model ${p.modelMs.toFixed(0)} ms)`;
  for (let round = 0; round < Number(args.rounds); round++) {
    const passes: Record<string, Pass> = {};
    const order = round % 2 === 0 ? ['local', 'proxy', 'controller'] : ['controller', 'proxy', 'local'];
    for (const what of order) passes[what] = what === 'controller' ? await viaGateway(round) : await local(what === 'proxy' ? 1000 + round : round, what === 'proxy');
    const { local: l, proxy: p, controller: g } = passes;
    const same = l.tokens === g.tokens ? 'same tokens' : `tokens differ: ${l.tokens} vs ${g.tokens}`;
    total.push(g.seconds / l.seconds);
    own.push(g.seconds / p.seconds);
    cpuRatio.push((g.cpu.own + g.cpu.model) / (l.cpu.own + l.cpu.model));
    split.localOwn.push(ms(l.cpu.own));
    split.localModel.push(ms(l.cpu.model));
    split.ctlOwn.push(ms(g.cpu.own));
    split.ctlModel.push(ms(g.cpu.model));
    split.gateway.push(ms(g.cpu.gateway));
    console.log(`round ${round + 1}: ${show('local', l)}, ${show('local through the gateway proxy', p)}, ${show('controller', g)}; controller/local ${(g.seconds / l.seconds).toFixed(3)}, controller/proxied ${(g.seconds / p.seconds).toFixed(3)} (${same})`);
    if (args.attribute) {
      const noEvents = await skipping(round, false);
      const noFinish = await skipping(round, true);
      attributed.push({ full: ms(g.cpu.own), noEvents: ms(noEvents.pass.cpu.own), noFinish: ms(noFinish.pass.cpu.own), local: ms(l.cpu.own), events: noEvents.skipped });
      console.log(
        `round ${round + 1}, attribution: controller process ${ms(g.cpu.own).toFixed(1)} ms CPU/rollout, ${ms(noEvents.pass.cpu.own).toFixed(1)} without its ${noEvents.skipped.toFixed(2)} event posts a rollout, ${ms(noFinish.pass.cpu.own).toFixed(1)} without those and the final patch (${noEvents.pass.tokens === g.tokens && noFinish.pass.tokens === g.tokens ? 'same tokens' : 'tokens differ'})`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const pct = (x: number) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)}%`;
  const m = Object.fromEntries(Object.entries(split).map(([k, v]) => [k, median(v)])) as Record<keyof typeof split, number>;
  const diff = (a: number[], b: number[]) => median(a.map((x, i) => x - b[i]));
  console.log(`controller overhead per rollout, CPU of the controller and the model server against local (target <= 5%): ${pct(median(cpuRatio))}`);
  console.log(
    `controller cost per rollout, absolute: ${diff(split.ctlOwn, split.localOwn).toFixed(1)} ms CPU in the controller process over our runtime's own (medians ${m.ctlOwn.toFixed(1)} against ${m.localOwn.toFixed(1)} ms), ` +
      `${diff(split.ctlModel, split.localModel).toFixed(1)} ms in the model server (medians ${m.ctlModel.toFixed(1)} against ${m.localModel.toFixed(1)} ms); ` +
      `the gateway stand-in, which runs on the gateway's machine in a deployment and is not counted above, used ${m.gateway.toFixed(1)} ms`,
  );
  if (attributed.length) {
    const med = (f: (a: (typeof attributed)[number]) => number) => median(attributed.map(f));
    console.log(
      `attribution, medians over the rounds of the controller process's CPU per rollout: the event posts (${med((a) => a.events).toFixed(2)} a rollout) ${med((a) => a.full - a.noEvents).toFixed(1)} ms, ` +
        `the final patch ${med((a) => a.noEvents - a.noFinish).toFixed(1)} ms, the rest (the claim, listings, model-version reads and the controller's own work) ${med((a) => a.noFinish - a.local).toFixed(1)} ms over our runtime's own`,
    );
  }
  console.log(`wall time: controller against our runtime through the same gateway proxy ${pct(median(own))}, against our runtime straight to the server ${pct(median(total))} (the gateway hop included); medians of ${total.length} rounds, ${n} rollouts, ${parallel} at once, model ${MODEL_NAME}`);
}

async function memory(dir: string): Promise<void> {
  const inFlight = Number(args['in-flight']);
  const { gateway, model } = await peer({ model: 'bench', hold: inFlight });
  await post(`${gateway}/api/models`, [{ model: 'bench', endpoint: model, version: 0 }]);
  const file = config(dir, inFlight);
  const rows = readFileSync(join(ROOT, 'trainer/tasks/arith/train.jsonl'), 'utf8').split('\n').slice(0, inFlight).map((l) => JSON.parse(l) as Record<string, unknown>);
  global.gc?.();
  const idle = process.memoryUsage();
  const peaks: { heap: number; rss: number; after: number }[] = [];
  for (let wave = 0; wave < 2; wave++) {
    await post(`${gateway}/api/rollouts`, rows.map((input, i) => ({ rollout_id: `m${wave}-${i}`, input, is_train: true })));
    const peak = { heap: 0, rss: 0 };
    const sample = () => {
      const m = process.memoryUsage();
      peak.heap = Math.max(peak.heap, m.heapUsed);
      peak.rss = Math.max(peak.rss, m.rss);
    };
    const t = await controlled(file, gateway, inFlight, inFlight, join(dir, 'memory'), sample);
    global.gc?.();
    const after = process.memoryUsage().heapUsed;
    peaks.push({ ...peak, after });
    const mb = (x: number) => (x / 2 ** 20).toFixed(0);
    console.log(
      `wave ${wave + 1}: ${inFlight} rollouts in flight at once, ${t.seconds.toFixed(1)} s; peak heap ${mb(peak.heap)} MB (idle ${mb(idle.heapUsed)} MB, ${((peak.heap - idle.heapUsed) / inFlight / 1024).toFixed(0)} KB a rollout), peak RSS ${mb(peak.rss)} MB (idle ${mb(idle.rss)} MB); heap after the wave ${mb(after)} MB`,
    );
  }
  console.log(`memory bounded: heap kept after the second wave ${(peaks[1].after / 2 ** 20).toFixed(0)} MB, after the first ${(peaks[0].after / 2 ** 20).toFixed(0)} MB`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-tune-bench-controller-'));
  try {
    if (args.only !== 'memory') await overhead(dir);
    if (args.only !== 'overhead') await memory(dir);
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

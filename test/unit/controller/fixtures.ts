// Shared by the controller tests: the stand-in gateway in front of a real `agent-tune serve`,
// configs for the math agent, and controllers run in this process.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../trainer/src/config/load';
import { Controller, type ControllerOptions } from '../../../trainer/src/controller/controller';
import { gatewayEnv } from '../../../trainer/src/controller/env';
import { GatewayClient } from '../../../trainer/src/controller/gateway';
import type { Rollout, RolloutCreate } from '../../../trainer/src/controller/schema';
import { startRun } from '../../../trainer/src/rollout/start';
import { ROOT, tempConfig } from '../../support/cli';
import { StandInGateway } from '../../support/gateway';

export const KEY = 'agl-test-key-5d2e91';
export const MODEL_VERSION = 3;

/** The math agent's config for the gateway: react, the calculator, the example's judge (user code in a worker). */
export function mathConfig(extra = '', workflow = 'builtin:react', files: Record<string, string> = {}): string {
  return tempConfig(
    'gateway',
    `name: gateway-math
model:
  backend: onnx
  path: builtin:tiny-math
  sampling: { temperature: 1.0, max_new_tokens: 64 }
tasks:
  train: { path: builtin:arith/train, fields: { features: [difficulty] } }
workflow: { ref: ${workflow} }
tools: [{ ref: builtin:calculator }]
judge: { ref: ./judge.ts#judge }
rollout: { group_size: 4, parallel: 8, max_turns: 3 }
${extra}`,
    { 'judge.ts': readFileSync(join(ROOT, 'examples/math-agent/judge.ts'), 'utf8'), ...files },
  );
}

/** Rows of builtin:arith/train, as a trainer would send them as rollout inputs. */
export function arithRows(n: number, from = 0): Record<string, unknown>[] {
  return readFileSync(join(ROOT, 'trainer/tasks/arith/train.jsonl'), 'utf8')
    .split('\n')
    .slice(from, from + n)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** N rows × G samples, with ids given up front the way the trainer creates them. */
export function groups(rows: Record<string, unknown>[], g: number, prefix = 'r'): RolloutCreate[] {
  return rows.flatMap((input, i) => Array.from({ length: g }, (_, s) => ({ rollout_id: `${prefix}${i}-${s}`, input, is_train: true, config: { timeout_seconds: 600 }, metadata: {} })));
}

export async function standIn(servedUrl: string, modelName: string): Promise<StandInGateway> {
  const gw = new StandInGateway({ key: KEY, modelName, trainTemperature: 1 });
  await gw.start();
  await call(gw, 'POST', '/api/models', [{ model: modelName, endpoint: servedUrl, version: MODEL_VERSION }]);
  return gw;
}

/** One call to the stand-in with the key, as the trainer would make it. */
export async function call(gw: StandInGateway, method: string, path: string, body?: unknown, key = KEY): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

export interface InProcess {
  controller: Controller;
  runDir: string;
  logs: string[];
  done: Promise<unknown>;
  close(): Promise<void>;
}

/** A controller in this process on a config; `close` stops it and waits for its rollouts. */
export async function startController(gw: StandInGateway, config: string, o: Partial<ControllerOptions> & { key?: string } = {}): Promise<InProcess> {
  const loaded = loadConfig(config);
  const out = mkdtempSync(join(tmpdir(), 'agent-tune-ctl-'));
  const writer = startRun(loaded, 'train', out);
  const env = await gatewayEnv(loaded, writer);
  const logs: string[] = [];
  const stopping = new AbortController();
  const key = 'key' in o ? o.key : KEY;
  const gateway = new GatewayClient({ url: gw.url, ...(key ? { key } : {}), log: (m) => logs.push(m), backoffMs: 20, backoffMaxMs: 200, signal: stopping.signal });
  const controller = new Controller({ gateway, env, writer, parallel: 8, name: 'ctl', pollMs: 50, pausePollMs: 200, backoffMs: 20, backoffMaxMs: 200, log: (m) => logs.push(m), ...(key ? { key } : {}), ...o });
  const done = controller.run();
  return {
    controller,
    runDir: writer.dir,
    logs,
    done,
    async close() {
      controller.stop();
      await done;
      stopping.abort();
      await env.close();
      writer.close();
    },
  };
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function terminal(gw: StandInGateway): Rollout[] {
  return [...gw.rollouts.values()].filter((r) => r.status.state === 'succeeded' || r.status.state === 'failed');
}

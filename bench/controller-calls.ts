// `node -r esbuild-register bench/controller-calls.ts [-- --calls N --parallel N --gap MS]`:
// the controller process's CPU for each kind of gateway call it makes, against the gateway
// stand-in in a child process (bench/controller-peer.ts). With --gap the process sleeps that
// long between calls, as the controller does between a rollout's calls, so each answer wakes
// an idle process; `timer only` is what such a wake-up costs with no request at all.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GatewayClient } from '../trainer/src/controller/gateway';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '2000' }, parallel: { type: 'string', default: '8' }, gap: { type: 'string', default: '0' } } });

async function main(): Promise<void> {
  const n = Number(args.calls);
  const parallel = Number(args.parallel);
  const gap = Number(args.gap);
  const child = spawn(process.execPath, ['-r', 'esbuild-register', join(__dirname, 'controller-peer.ts'), '--model', 'bench'], { stdio: ['pipe', 'pipe', 'inherit'], cwd: join(__dirname, '..') });
  try {
    const line = await new Promise<string>((resolve) => {
      let buf = '';
      child.stdout!.on('data', (d) => {
        buf += d;
        const i = buf.indexOf('\n');
        if (i >= 0) resolve(buf.slice(0, i));
      });
    });
    const { gateway } = JSON.parse(line) as { gateway: string };
    const rollouts = Array.from({ length: n }, (_, i) => ({ rollout_id: `c${i}`, input: { question: 'What is 2 + 3?', answer: '5' }, is_train: true }));
    const res = await fetch(`${gateway}/api/rollouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rollouts) });
    if (!res.ok) throw new Error(`POST /api/rollouts: HTTP ${res.status}`);
    const g = new GatewayClient({ url: gateway });
    const target = (i: number) => ({ rolloutId: `c${i}`, attemptId: `bench.calls.${i}` });
    const phase = async (what: string, call: (i: number) => Promise<unknown>) => {
      const t0 = process.cpuUsage();
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          for (let i = next++; i < n; i = next++) {
            await call(i);
            if (gap > 0) await new Promise((r) => setTimeout(r, gap));
          }
        }),
      );
      const cpu = process.cpuUsage(t0);
      const us = (x: number) => ((x / n) | 0).toString().padStart(5);
      console.log(`${what.padEnd(24)} ${us(cpu.user + cpu.system)} µs CPU a call (${us(cpu.system).trim()} system), ${us((performance.now() - started) * 1000).trim()} µs wall`);
    };
    console.log(`${n} calls of each kind, ${parallel} at once${gap ? `, ${gap} ms asleep after each` : ''}:`);
    await phase('timer only', async () => undefined);
    await phase('warm-up (claim)', (i) => g.claim(`c${i}`, `bench.calls.${i}`));
    await phase('tool-call event', (i) => g.postEvent(target(i), 'agent_tune.tool_call', { turn: 1, role: 'assistant', id: 'call_1', name: 'calculator', arguments: { expression: '2 + 3' }, content: '5', duration_ms: 0.3 }));
    await phase('reward (once)', (i) => g.postEvent(target(i), 'reward', { value: 1, reason: 'correct', message: 'answer "5", reference "5"', source: 'agent' }, { once: true }));
    await phase('finish', (i) => g.finish(`c${i}`, 'succeeded'));
    await phase('read events', (i) => g.events(`c${i}`, 'model_request'));
  } finally {
    child.kill();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

// Shared by the serve tests: `agent-tune serve` as a real process, and LoRA-head adapters
// that make the tiny model write chosen text for chosen prompts (a tool call, a grader's
// verdict), so the tests see real generations through the real engine whatever the model
// has learnt.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxChatBackend } from '../../../trainer/src/model/backend';
import type { ToolSchema } from '../../../trainer/src/model/types';
import type { Message } from '../../../trainer/src/run/events';
import { loadAdapter, writeAdapter } from '../../../trainer/src/train/checkpoint';
import { LoraHead } from '../../../trainer/src/train/lora';
import { THREADS } from '../model/fixtures';
import { startCli, type CliResult } from '../../support/cli';

export const MODEL = 'builtin:tiny-math';

export interface Served {
  url: string;
  model: string;
  port: number;
  child: ChildProcess;
  done: Promise<CliResult>;
  stop(): Promise<CliResult>;
}

/** Starts `agent-tune serve` and waits until it listens. */
export async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const { child, done } = startCli(['--json', 'serve', ...args, '--threads', String(THREADS)], { env });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    void done.then((r) => reject(new Error(`agent-tune serve exited (${r.code ?? r.signal}) before listening:\n${r.stderr}`)));
  });
  const info = JSON.parse(line) as { url: string; model: string };
  return {
    url: info.url,
    model: info.model,
    port: Number(new URL(info.url).port),
    child,
    done,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return done;
    },
  };
}

export interface Script {
  messages: Message[];
  tools?: ToolSchema[];
  /** What the model should write, up to its end-of-turn token. */
  text: string;
}

/** Gauss-Jordan inverse of a symmetric positive definite matrix (n x n, row-major, float64). */
function inverse(m: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(m);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[p * n + c])) p = r;
    for (let k = 0; k < n; k++) {
      [a[c * n + k], a[p * n + k]] = [a[p * n + k], a[c * n + k]];
      [inv[c * n + k], inv[p * n + k]] = [inv[p * n + k], inv[c * n + k]];
    }
    const d = a[c * n + c];
    for (let k = 0; k < n; k++) {
      a[c * n + k] /= d;
      inv[c * n + k] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        a[r * n + k] -= f * a[c * n + k];
        inv[r * n + k] -= f * inv[c * n + k];
      }
    }
  }
  return inv;
}

/**
 * Writes a checkpoint folder whose adapter (A = I, rank = hidden size) adds to the logits at
 * each scripted position just enough to make the scripted token win by `margin`: B is the
 * ridge least-squares solution of B h_k = d_k over the scripted positions' hidden states.
 * Checks the result by generating each script greedily in-process.
 */
export async function scriptedAdapter(backend: OnnxChatBackend, scripts: Script[], margin = 30): Promise<string> {
  const { vocab: V, hiddenSize: H } = backend.engine.layout;
  const tok = backend.tokenizer;
  const end = tok.tokenId('<|im_end|>')!;
  const hs: Float64Array[] = [];
  const targets: { token: number; boost: number }[] = [];
  for (const s of scripts) {
    const prompt = tok.encode(backend.template.render(s.messages, { tools: s.tools, addGenerationPrompt: true }));
    const want = [...tok.encode(s.text), end];
    const [f] = await backend.engine.forward([[...prompt, ...want]]);
    want.forEach((t, k) => {
      const pos = prompt.length - 1 + k;
      const row = f.logits.subarray(pos * V, (pos + 1) * V);
      let max = -Infinity;
      for (const x of row) max = Math.max(max, x);
      hs.push(Float64Array.from(f.hidden.subarray(pos * H, (pos + 1) * H)));
      targets.push({ token: t, boost: max - row[t] + margin });
    });
  }
  const K = hs.length;
  if (K > H) throw new Error(`the scripts hold ${K} tokens; an adapter of this model can script at most ${H}`);
  const G = new Float64Array(K * K);
  let trace = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      let s = 0;
      for (let d = 0; d < H; d++) s += hs[i][d] * hs[j][d];
      G[i * K + j] = s;
    }
    trace += G[i * K + i];
  }
  for (let i = 0; i < K; i++) G[i * K + i] += 1e-6 * (trace / K);
  const W = inverse(G, K);
  const lora = new LoraHead(H, V, H, H);
  lora.A.fill(0);
  for (let d = 0; d < H; d++) lora.A[d * H + d] = 1;
  const B = new Float64Array(V * H);
  for (let k = 0; k < K; k++) {
    // Row of B for the scripted token: boost_k · (W H^T)[k, :]
    const { token, boost } = targets[k];
    for (let j = 0; j < K; j++) {
      const w = boost * W[k * K + j];
      for (let d = 0; d < H; d++) B[token * H + d] += w * hs[j][d];
    }
  }
  lora.B.set(B);
  const dir = mkdtempSync(join(tmpdir(), 'agent-tune-script-'));
  writeAdapter(dir, lora, MODEL);

  // The adapter must make the model write every script, or the tests would test nothing.
  const check = new LoraHead(H, V, H, H);
  const loaded = loadAdapter(dir, { vocab: V, hidden: H });
  check.copyFrom(loaded.A, loaded.B);
  const before = backend.engine.logitHook;
  backend.engine.logitHook = check.hook;
  try {
    for (const s of scripts) {
      const r = await backend.chat({ messages: s.messages, tools: s.tools, sampling: { temperature: 0, top_p: 1, top_k: 0, max_new_tokens: 200, stop: [], seed: 0 } });
      if (r.text !== s.text) throw new Error(`the scripted adapter writes ${JSON.stringify(r.text)}, not ${JSON.stringify(s.text)}`);
    }
  } finally {
    backend.engine.logitHook = before;
  }
  return dir;
}

/** Opens the tiny model in this process, for scripting adapters and comparing with the server. */
export function openLocal(): Promise<OnnxChatBackend> {
  return OnnxChatBackend.open(MODEL, { threads: THREADS, maxBatch: 32 });
}

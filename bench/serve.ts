// `npm run bench:serve [-- --model REF --clients N --rounds N --tokens N --threads N]`:
// completion tokens per second for N concurrent clients (default 32) through
// `agent-tune serve` and the `openai` backend over loopback HTTP, against the same requests
// made to the engine in-process (OnnxChatBackend). Both sides sample the same tokens (same
// prompts, same seeds), so the ratio is the cost of HTTP, JSON and the second process.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OnnxChatBackend } from '../trainer/src/model/backend';
import { OpenAIChatBackend } from '../trainer/src/model/openai';
import type { ChatBackend, ChatRequest } from '../trainer/src/model/types';
import { CALCULATOR_TOOL } from '../trainer/src/tools/schemas';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'builtin:tiny-math' },
    clients: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '4' },
    tokens: { type: 'string', default: '128' },
    temperature: { type: 'string', default: '1.5' },
    threads: { type: 'string', default: String(Math.min(4, availableParallelism())) },
  },
});
const CLIENTS = Number(args.clients);
const ROUNDS = Number(args.rounds);
const THREADS = Number(args.threads);
const ROOT = join(__dirname, '..');

const QUESTIONS = [
  'What is 7 + 5?', 'A farmer has 128 sheep and buys 45 more. How many sheep does he have now?', 'Compute 9 * 8.',
  'Tom had 3021 marbles and gave away 1187. How many are left?', 'A box holds 12 eggs. How many eggs are in 15 boxes?',
  'What is 100 - 37?', 'Sara reads 24 pages a day for 6 days, then 13 more pages. How many pages did she read?',
  'Divide 144 by 12.',
];

function request(client: number, round: number, stream: boolean): ChatRequest {
  const i = client * ROUNDS + round;
  return {
    messages: [{ role: 'user', content: `${QUESTIONS[i % QUESTIONS.length]} (${i})` }],
    tools: [CALCULATOR_TOOL],
    sampling: { temperature: Number(args.temperature), top_p: 1, top_k: 0, max_new_tokens: Number(args.tokens), stop: [], seed: i },
    ...(stream ? { onText: () => undefined } : {}),
  };
}

/** Completion tokens per second with CLIENTS clients, each making ROUNDS requests one after another. */
async function rate(backend: ChatBackend, stream = false): Promise<{ tps: number; tokens: number; seconds: number }> {
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => backend.chat(request(c, 0, stream))));
  let tokens = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let r = 0; r < ROUNDS; r++) {
        const done = await backend.chat(request(c, r, stream));
        tokens += done.completion_tokens;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { tps: tokens / seconds, tokens, seconds };
}

function startServe(): Promise<{ url: string; model: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['-r', 'esbuild-register', '-e', "require('./trainer/src/cli').main(process.argv.slice(1)).then((c) => { process.exitCode = c; })", '--', '--json', 'serve', args.model!, '--port', '0', '--threads', String(THREADS), '--max-batch', String(CLIENTS), '--quiet'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) {
        const info = JSON.parse(buf.slice(0, buf.indexOf('\n'))) as { url: string; model: string };
        resolve({ ...info, stop: () => child.kill('SIGTERM') });
      }
    });
    child.on('exit', (code) => reject(new Error(`agent-tune serve exited (${code}) before listening`)));
  });
}

async function main(): Promise<void> {
  const local = await OnnxChatBackend.open(args.model!, { threads: THREADS, maxBatch: CLIENTS });
  const inProcess = await rate(local);
  await local.close();

  const server = await startServe();
  try {
    const client = new OpenAIChatBackend({ baseUrl: server.url, model: server.model, concurrency: CLIENTS, maxRetries: 0 });
    const served = await rate(client);
    const streamed = await rate(client, true);
    if (served.tokens !== inProcess.tokens) throw new Error(`the served model sampled ${served.tokens} tokens, the engine ${inProcess.tokens}: they should agree`);

    console.log(`model ${args.model}, ${CLIENTS} concurrent clients x ${ROUNDS} requests, up to ${args.tokens} tokens at temperature ${args.temperature}, ${THREADS} intra-op thread(s)`);
    console.log(`${inProcess.tokens} completion tokens a pass (${(inProcess.tokens / (CLIENTS * ROUNDS)).toFixed(1)} a request)\n`);
    const row = (name: string, r: { tps: number; seconds: number }) => console.log(`${name.padEnd(44)}${r.tps.toFixed(0).padStart(8)} tok/s  ${r.seconds.toFixed(2).padStart(6)} s`);
    row('in-process engine (OnnxChatBackend)', inProcess);
    row('agent-tune serve + openai backend', served);
    row('agent-tune serve + openai backend, streamed', streamed);
    console.log(`\nratio served / in-process: ${(served.tps / inProcess.tps).toFixed(2)}x (streamed ${(streamed.tps / inProcess.tps).toFixed(2)}x)`);
  } finally {
    server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

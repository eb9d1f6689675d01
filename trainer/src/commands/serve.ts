// `agent-tune serve MODEL [--adapter CKPT] [--port N] [--host H]`: the local model at an
// OpenAI-compatible /v1/chat/completions, optionally with a trained LoRA-head adapter.
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from './output';
import { OnnxChatBackend } from '../model/backend';
import { GUARD_DEFAULTS, isLoopback } from '../serve/guard';
import { startServer } from '../serve/server';
import { loadAdapter } from '../train/checkpoint';
import { LoraHead } from '../train/lora';
import { EXIT } from './output';

interface ServeFlags {
  adapter?: string;
  port: number;
  host: string;
  name?: string;
  threads?: number;
  lanes?: number;
  maxBatch: number;
  kvCacheMb?: number;
  apiKeyEnv?: string;
  insecure?: boolean;
  maxConnections: number;
  bodyTimeout: number;
  quiet?: boolean;
}

function integer(what: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${what}: expected an integer of at least ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
}

/** The name clients use: the model's own name, with the adapter's when one is applied. */
function servedName(model: string, adapter?: string): string {
  const base = model.startsWith('builtin:') ? model.slice('builtin:'.length) : basename(resolve(model));
  return adapter ? `${base}+${basename(resolve(adapter))}` : base;
}

export function registerServe(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('serve a local model at an OpenAI-compatible /v1/chat/completions')
    .argument('<model>', 'a model folder or builtin:tiny-math')
    .option('--adapter <checkpoint>', 'a LoRA-head checkpoint to apply')
    .option('--port <n>', 'port to listen on (0 picks a free one)', integer('--port', 0), 8000)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--name <model>', 'the model name clients ask for (default: the folder name)')
    .option('--threads <n>', 'onnxruntime intra-op threads (default: its own choice)', integer('--threads', 1))
    .option('--lanes <n>', 'model sessions decoding side by side, sharing the threads (default: one per core for a small model)', integer('--lanes', 1))
    .option('--max-batch <n>', 'most sequences decoded together', integer('--max-batch', 1), 32)
    .option('--kv-cache-mb <n>', 'most MiB of KV cache for the sequences decoded together, reserved for prompt and max_tokens (default: no bound but --max-batch)', integer('--kv-cache-mb', 1))
    .option('--api-key-env <name>', 'require clients to send the API key held in this environment variable')
    .option('--insecure', 'serve an address other than loopback without an API key')
    .option('--max-connections <n>', 'most connections open at once; stalled ones are dropped first', integer('--max-connections', 1), GUARD_DEFAULTS.maxConnections)
    .option('--body-timeout <s>', 'seconds a client has to send its request body', integer('--body-timeout', 1), GUARD_DEFAULTS.bodyTimeoutMs / 1000)
    .option('--quiet', 'no line per request on stderr')
    .action(async (model: string, flags: ServeFlags) => {
      const o = out();
      const apiKey = flags.apiKeyEnv ? process.env[flags.apiKeyEnv] : undefined;
      if (flags.apiKeyEnv && !apiKey) throw new Error(`--api-key-env: the environment variable ${flags.apiKeyEnv} is not set`);
      if (!isLoopback(flags.host) && !apiKey) {
        if (!flags.insecure) {
          throw new Error(
            `--host ${flags.host}: anyone who can reach this address could use the model; give --api-key-env VAR to require a key, or --insecure to serve it without one`,
          );
        }
        o.error(`warning: serving ${flags.host} without an API key (--insecure): anyone who can reach it can use the model`);
      }
      const backend = await OnnxChatBackend.open(model, {
        threads: flags.threads, lanes: flags.lanes, maxBatch: flags.maxBatch,
        ...(flags.kvCacheMb ? { kvCacheBytes: flags.kvCacheMb * 2 ** 20 } : {}),
      });
      try {
        if (flags.adapter) {
          const { vocab, hiddenSize } = backend.engine.layout;
          const a = loadAdapter(flags.adapter, { vocab, hidden: hiddenSize });
          const lora = new LoraHead(hiddenSize, vocab, a.rank, a.alpha);
          lora.copyFrom(a.A, a.B);
          backend.engine.logitHook = lora.hook;
        }
        const name = flags.name ?? servedName(model, flags.adapter);
        const running = await startServer(backend, {
          modelName: name,
          host: flags.host,
          port: flags.port,
          ...(apiKey ? { apiKey } : {}),
          ...(flags.quiet ? {} : { log: (line: string) => o.info(line) }),
          guard: { maxConnections: flags.maxConnections, bodyTimeoutMs: flags.bodyTimeout * 1000 },
        });
        o.result({ url: running.url, model: name, adapter: flags.adapter ?? null, pid: process.pid }, () =>
          `serving ${name} at ${running.url} (POST /chat/completions, GET /models); Ctrl+C stops`,
        );
        await new Promise<void>((done) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void running.close().then(done);
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      } finally {
        await backend.close();
      }
      setExit(EXIT.ok);
    });
}

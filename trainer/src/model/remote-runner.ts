// The model runner on a worker thread, behind the same interface as the in-thread Runner.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ModelFolder, ModelLayout } from './folder';
import type { ForwardOut, RowRef, RunnerApi, StepOut } from './runner';
import { decodeError, type Reply, type Request } from './runner-protocol';
import type { SessionOptions } from './session';

type Pending = { resolve: (v: never) => void; reject: (e: unknown) => void };
type Body = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** The worker: the bundled model-runner.js beside this bundle, or the TypeScript entry in development. */
function spawn(): Worker {
  const bundled = join(__dirname, 'model-runner.js');
  if (existsSync(bundled)) return new Worker(bundled);
  const source = join(__dirname, 'runner-thread.ts');
  if (!existsSync(source)) throw new Error(`cannot find the model runner: expected ${bundled}`);
  return new Worker(`require('esbuild-register/dist/node').register({}); require(${JSON.stringify(source)});`, { eval: true });
}

export class RemoteRunner implements RunnerApi {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker, readonly layout: ModelLayout) {}

  static async open(folder: ModelFolder, options: SessionOptions & { padTokenId?: number } = {}): Promise<RemoteRunner> {
    const worker = spawn();
    const box: { runner?: RemoteRunner } = {};
    const calls = new Map<number, Pending>();
    const fail = (e: Error) => {
      if (box.runner) box.runner.failure = e;
      for (const p of calls.values()) p.reject(e);
      calls.clear();
    };
    worker.on('message', (m: Reply) => {
      const p = calls.get(m.id);
      if (!p) return;
      calls.delete(m.id);
      // An idle runner must not keep the process alive; a busy one must.
      if (calls.size === 0) worker.unref();
      if (m.error) p.reject(decodeError(m.error));
      else p.resolve(m.value as never);
    });
    worker.on('error', (e) => fail(e));
    worker.on('exit', (code) => fail(new Error(`the model runner thread exited (code ${code})`)));
    const call = <T>(body: Body): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        calls.set(0, { resolve: resolve as (v: never) => void, reject });
        worker.postMessage({ ...body, id: 0 });
      });
    try {
      const layout = await call<ModelLayout>({ op: 'open', folder, options });
      const runner = new RemoteRunner(worker, layout);
      runner.pending = calls;
      box.runner = runner;
      return runner;
    } catch (e) {
      await worker.terminate();
      throw e;
    }
  }

  private call<T>(body: Body, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject });
      this.worker.ref();
      this.worker.postMessage({ ...body, id }, transfer);
    });
  }

  prefill(prompts: Int32Array[], wantHidden: boolean): Promise<StepOut> {
    return this.call({ op: 'prefill', prompts, wantHidden });
  }

  decode(ids: Int32Array, pos: Int32Array, rows: RowRef[] | null, wantHidden: boolean): Promise<StepOut> {
    return this.call({ op: 'decode', ids, pos, rows, wantHidden });
  }

  forward(sequences: Int32Array[]): Promise<ForwardOut> {
    return this.call({ op: 'forward', sequences });
  }

  clear(): Promise<void> {
    return this.call({ op: 'clear' });
  }

  async close(): Promise<void> {
    if (!this.failure) {
      try {
        await this.call({ op: 'close' });
      } finally {
        this.failure = new Error('the model runner has been closed');
        await this.worker.terminate();
      }
    }
  }
}

// Child-process entry for `isolation: process`. It runs the same worker thread as the trainer
// does (worker.ts) and relays the same messages over the process's IPC channel, so user code
// that ends or signals its own process ends only this one. Its main thread is never blocked by
// user code, so it reports the worker's heartbeat and current job to the trainer every 50 ms:
// the trainer's stall monitor reads them as it reads a worker thread's shared slots.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { SLOT, type RelayConfig, type RelayMessage } from './protocol';

const cfg = JSON.parse(process.argv[2]) as RelayConfig;
const sab = new SharedArrayBuffer(8);
const shared = new Int32Array(sab);
Atomics.store(shared, SLOT.job, -1);
const send = (m: unknown) => {
  if (process.connected) process.send!(m);
};
const worker = new Worker(join(__dirname, 'worker.js'), {
  workerData: { slots: sab, sdkPath: cfg.sdkPath, protect: cfg.protect },
  resourceLimits: { maxOldGenerationSizeMb: cfg.memoryMb },
  stdout: false,
  stderr: false,
});
worker.on('message', send);
worker.on('error', (e) => {
  send({ type: 'relay', error: e.message } satisfies RelayMessage);
  setImmediate(() => process.exit(1));
});
worker.on('exit', (code) => process.exit(code || 1));
process.on('message', (m) => worker.postMessage(m));
// The trainer is gone: nothing is left to do.
process.on('disconnect', () => process.exit(0));
setInterval(() => send({ type: 'relay', beat: Atomics.load(shared, SLOT.heartbeat), job: Atomics.load(shared, SLOT.job) } satisfies RelayMessage), 50);

// Worker-thread entry of the model runner (bundled as trainer/dist/model-runner.js): the
// onnxruntime session and KV cache live here, so inference never blocks the main thread.
import { parentPort } from 'node:worker_threads';
import { Runner } from './runner';
import { encodeError, transferable, type Reply, type Request } from './runner-protocol';

const port = parentPort;
if (!port) throw new Error('runner-thread runs only as a worker thread');

let runner: Runner | undefined;

async function handle(req: Request): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  if (req.op === 'open') {
    runner = await Runner.open(req.folder, req.options);
    return { value: runner.layout, transfer: [] };
  }
  if (!runner) throw new Error('the model runner is not open');
  switch (req.op) {
    case 'prefill':
    case 'decode': {
      const out = req.op === 'prefill'
        ? await runner.prefill(req.prompts, req.wantHidden)
        : await runner.decode(req.ids, req.pos, req.rows, req.wantHidden);
      const logits = transferable(out.logits);
      const hidden = out.hidden && transferable(out.hidden);
      return { value: { logits, hidden }, transfer: hidden ? [logits.buffer as ArrayBuffer, hidden.buffer as ArrayBuffer] : [logits.buffer as ArrayBuffer] };
    }
    case 'forward': {
      const out = await runner.forward(req.sequences);
      const logits = transferable(out.logits);
      const hidden = transferable(out.hidden);
      return { value: { cols: out.cols, logits, hidden }, transfer: [logits.buffer as ArrayBuffer, hidden.buffer as ArrayBuffer] };
    }
    case 'clear':
      await runner.clear();
      return { value: null, transfer: [] };
    case 'close':
      await runner.close();
      runner = undefined;
      return { value: null, transfer: [] };
  }
}

port.on('message', (req: Request) => {
  handle(req).then(
    ({ value, transfer }) => port.postMessage({ id: req.id, value } satisfies Reply, transfer),
    (e: unknown) => port.postMessage({ id: req.id, error: encodeError(e) } satisfies Reply),
  );
});

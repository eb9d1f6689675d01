// int8 (MatMulInteger) and q4 (MatMulNBits) exports of the qwen3-tiny stand-in: they load,
// generate, take the LM-head adapter and train, and `model info` names their quantization.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { standin } from '../../../scripts/standin/build';
import { exportProblem, modelInfo, prepareModel } from '../../../trainer/src/commands/model';
import { readOnnx, removeOutput, writeOnnx } from '../../../trainer/src/model/onnx-graph';
import { Engine } from '../../../trainer/src/model/engine';
import { openModelFolder } from '../../../trainer/src/model/folder';
import { Tokenizer } from '../../../trainer/src/model/tokenizer';
import { Adam } from '../../../trainer/src/train/adam';
import { LoraHead } from '../../../trainer/src/train/lora';
import { policyUpdate } from '../../../trainer/src/train/update';
import { runCli, tempConfig } from '../../support/cli';

/** A copy of a stand-in without its last_hidden_state output, as most exports come. */
function withoutHidden(dir: string): string {
  const copy = join(mkdtempSync(join(tmpdir(), 'agent-tune-quant-')), 'model');
  cpSync(dir, copy, { recursive: true });
  const file = join(copy, 'onnx', 'model.onnx');
  const m = readOnnx(file);
  assert.ok(removeOutput(m, 'last_hidden_state'));
  writeOnnx(file, m);
  return copy;
}

describe('quantized exports (qwen3-tiny stand-in)', function () {
  this.timeout(600_000);
  let base: Engine;
  let prompt: number[];
  before(async () => {
    const dir = standin('qwen3-tiny');
    base = await Engine.open(openModelFolder(dir), { threads: 1, lanes: 1 });
    prompt = Tokenizer.fromDir(dir).encode('<|im_start|>user\nWhat is 12 * 7?<|im_end|>\n<|im_start|>assistant\n');
  });
  after(() => base?.close());

  for (const kind of ['int8', 'q4'] as const) {
    it(`${kind}: model info names it; it generates, takes the adapter and trains`, async () => {
      const dir = standin('qwen3-tiny', kind);
      const folder = openModelFolder(dir);
      const info = modelInfo(folder);
      assert.equal(info.quantization, kind);
      assert.equal(info.vocabulary.logits, 151936);
      assert.equal(modelInfo(openModelFolder(standin('qwen3-tiny'))).quantization, 'none');

      const engine = await Engine.open(folder, { threads: 1, lanes: 1 });
      try {
        // The same model, quantized: its logits follow the float32 ones closely.
        const [q] = await engine.forward([prompt]);
        const [f] = await base.forward([prompt]);
        let err = 0, norm = 0;
        for (let i = 0; i < f.logits.length; i++) {
          err += (q.logits[i] - f.logits[i]) ** 2;
          norm += f.logits[i] ** 2;
        }
        assert.ok(Math.sqrt(err / norm) < 0.3, `relative error ${Math.sqrt(err / norm)}`);
        assert.equal(q.hidden.length, prompt.length * 64);

        const lora = new LoraHead(64, 151936, 4, 8, 1);
        const adam = new Adam([lora.A, lora.B], 0.05);
        const gen = await engine.generate(prompt, { temperature: 1, topP: 1, topK: 0, maxNewTokens: 6, seed: 3 });
        assert.equal(gen.tokenIds.length, 6);
        const samples = [0, 1, 2, 3].map((i) => ({ rollout: i, promptIds: prompt, tokenIds: gen.tokenIds, advantage: i < 2 ? 1 : -1 }));
        samples[2].tokenIds = gen.tokenIds.slice(0, 3);
        const stats = await policyUpdate(engine, lora, adam, samples, { temperature: 1, clip: 0.2, klCoef: 0, entropyCoef: 0, epochs: 1, minibatch: 4, maxGradNorm: 1, seed: 0, step: 1 });
        assert.ok(Number.isFinite(stats.loss) && stats.tokens === 6 + 6 + 3 + 6);
        assert.ok(lora.B.some((b) => b !== 0), 'the adapter moved');

        // The adapter applies to the quantized model's logits while generating.
        engine.logitHook = lora.hook;
        const tuned = await engine.generate(prompt, { temperature: 1, topP: 1, topK: 0, maxNewTokens: 6, seed: 3 });
        engine.logitHook = undefined;
        assert.notDeepEqual(tuned.logprobs, gen.logprobs);
      } finally {
        await engine.close();
      }
    });
  }

  it('q4: model prepare finds the 4-bit LM head and adds last_hidden_state', async () => {
    const copy = withoutHidden(standin('qwen3-tiny', 'q4'));
    try {
      assert.match(exportProblem(copy)!, /add it with `agent-tune model prepare/);
      const r = await prepareModel(copy);
      assert.ok(r.added);
      assert.equal(exportProblem(copy), null);
      const engine = await Engine.open(openModelFolder(copy), { threads: 1, lanes: 1 });
      const [f] = await engine.forward([prompt]);
      assert.equal(f.hidden.length, prompt.length * 64);
      await engine.close();
    } finally {
      rmSync(dirname(copy), { recursive: true, force: true });
    }
  });

  it('int8 without last_hidden_state: validate reports the export it cannot use', async () => {
    const copy = withoutHidden(standin('qwen3-tiny', 'int8'));
    const config = tempConfig('quant', `name: quant\nmodel: { path: ${JSON.stringify(copy)} }\ntasks: { train: { path: builtin:arith/train } }\n`);
    try {
      const r = await runCli(['validate', config]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stdout, /quant\.tune\.yaml:2:\d+ {2}model\.path {2}the model's export cannot be used: .*model\.onnx: no last_hidden_state output .* cannot add one: .*int8-quantized head/);
      const fine = tempConfig('quant', `name: quant\nmodel: { path: ${JSON.stringify(standin('qwen3-tiny', 'int8'))} }\ntasks: { train: { path: builtin:arith/train } }\n`);
      const ok = await runCli(['validate', fine]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      rmSync(dirname(fine), { recursive: true, force: true });
    } finally {
      rmSync(dirname(copy), { recursive: true, force: true });
      rmSync(dirname(config), { recursive: true, force: true });
    }
  });
});

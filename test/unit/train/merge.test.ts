import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Engine } from '../../../trainer/src/model/engine';
import { openModelFolder } from '../../../trainer/src/model/folder';
import { Rng } from '../../../trainer/src/model/sampling';
import { writeAdapter } from '../../../trainer/src/train/checkpoint';
import { LoraHead } from '../../../trainer/src/train/lora';
import { mergeAdapter } from '../../../trainer/src/train/merge';
import { assertGreedyAgrees, reportTies } from '../model/agreement';
import { chatPrompts, THREADS, TINY } from '../model/fixtures';

// `export --merged` writes W + (alpha / r) B A into the LM head: the merged folder must give the
// logits of the base model with the adapter applied, in our runtime and in transformers.js.
describe('export --merged (real model)', function () {
  this.timeout(120_000);
  let dir: string;
  let lora: LoraHead;
  let merged: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-tune-merge-'));
    const base = openModelFolder(TINY);
    const cfg = base.config as { hidden_size: number };
    lora = new LoraHead(cfg.hidden_size, 1024, 4, 8, 3);
    const rng = new Rng(9);
    for (let i = 0; i < lora.B.length; i++) lora.B[i] = 1.5 * (2 * rng.next() - 1);
    writeAdapter(join(dir, 'ckpt'), lora, TINY);
    merged = join(dir, 'merged');
    mergeAdapter(join(dir, 'ckpt'), merged, TINY);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the adapted logits in our runtime', async () => {
    const base = await Engine.open(openModelFolder(TINY), { threads: THREADS });
    const tuned = await Engine.open(openModelFolder(merged), { threads: THREADS });
    try {
      const prompt = chatPrompts(1)[0];
      const [b] = await base.forward([prompt]);
      const [t] = await tuned.forward([prompt]);
      const expected = Float32Array.from(b.logits);
      lora.hook(b.hidden, expected, prompt.length);
      let worst = 0;
      let moved = 0;
      for (let i = 0; i < expected.length; i++) {
        worst = Math.max(worst, Math.abs(expected[i] - t.logits[i]));
        moved = Math.max(moved, Math.abs(expected[i] - b.logits[i]));
      }
      assert.ok(moved > 1, `the adapter moves logits (by up to ${moved})`);
      assert.ok(worst < 1e-3, `merged logits differ from base + adapter by up to ${worst}`);
    } finally {
      await base.close();
      await tuned.close();
    }
  });

  it('loads in transformers.js, whose greedy output equals ours with the adapter as a hook', async () => {
    const { AutoModelForCausalLM, Tensor, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = dirname(merged) + '/';
    const theirs = await AutoModelForCausalLM.from_pretrained(basename(merged), { dtype: 'fp32', device: 'cpu' });
    const ours = await Engine.open(openModelFolder(TINY), { threads: THREADS, logitHook: lora.hook });
    const plain = await Engine.open(openModelFolder(TINY), { threads: THREADS });
    const folded = await Engine.open(openModelFolder(merged), { threads: THREADS });
    try {
      let differsFromBase = false;
      const ties: (string | undefined)[] = [];
      for (const [i, prompt] of chatPrompts(3).entries()) {
        const input_ids = new Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]);
        const attention_mask = new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
        const out = (await theirs.generate({ input_ids, attention_mask, max_new_tokens: 24, do_sample: false })) as InstanceType<typeof Tensor>;
        const generated = (out.tolist() as bigint[][])[0].slice(prompt.length).map(Number);
        const mine = await ours.generate(prompt, { temperature: 0, topP: 1, topK: 0, maxNewTokens: 24, seed: 0 });
        const before = await plain.generate(prompt, { temperature: 0, topP: 1, topK: 0, maxNewTokens: 24, seed: 0 });
        const tie = await assertGreedyAgrees(folded, prompt, mine.tokenIds, generated, `prompt ${i}`);
        if (!tie) assert.equal(mine.tokenIds.length, generated.length, `prompt ${i}`);
        ties.push(tie);
        if (before.tokenIds.join() !== generated.join()) differsFromBase = true;
      }
      reportTies(ties);
      assert.ok(differsFromBase, 'the merged model writes something else than the base model');
    } finally {
      await folded.close();
      await ours.close();
      await plain.close();
      await theirs.dispose();
    }
  });
});

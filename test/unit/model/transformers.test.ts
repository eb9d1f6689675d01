import { strict as assert } from 'node:assert';
import { dirname } from 'node:path';
import { Engine } from '../../../trainer/src/model/engine';
import { openModelFolder } from '../../../trainer/src/model/folder';
import { assertGreedyAgrees, reportTies } from './agreement';
import { chatPrompts, THREADS, TINY } from './fixtures';

// The standard layout, proven: transformers.js loads the folder as it is, from local files
// only, and its greedy search writes the same tokens as our engine.
describe('builtin:tiny-math under @huggingface/transformers', function () {
  this.timeout(60000);

  it('generates greedily token for token as our engine does, on 5 prompts (up to near-ties)', async () => {
    const folder = openModelFolder(TINY);
    const { AutoModelForCausalLM, Tensor, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = dirname(folder.dir) + '/';
    const theirs = await AutoModelForCausalLM.from_pretrained(folder.dir.split('/').pop()!, { dtype: 'fp32', device: 'cpu' });
    const ours = await Engine.open(folder, { threads: THREADS });
    try {
      const maxNewTokens = 40;
      const ties: (string | undefined)[] = [];
      for (const [i, prompt] of chatPrompts(5).entries()) {
        const input_ids = new Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]);
        const attention_mask = new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
        const out = (await theirs.generate({ input_ids, attention_mask, max_new_tokens: maxNewTokens, do_sample: false })) as InstanceType<typeof Tensor>;
        const generated = (out.tolist() as bigint[][])[0].slice(prompt.length).map(Number);
        const mine = await ours.generate(prompt, { temperature: 0, topP: 1, topK: 0, maxNewTokens, seed: 0 });
        assert.ok(generated.length > 0);
        const tie = await assertGreedyAgrees(ours, prompt, mine.tokenIds, generated, `prompt ${i}`);
        if (!tie) assert.equal(mine.tokenIds.length, generated.length, `prompt ${i}`);
        ties.push(tie);
      }
      reportTies(ties);
    } finally {
      await ours.close();
      await theirs.dispose();
    }
  });
});

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { DOC_FILE, renderDoc } from '../../../scripts/config-docs';

describe('docs/config.md', () => {
  it('its reference matches the schema (run `npm run docs:config` after changing the schema)', () => {
    const current = readFileSync(DOC_FILE, 'utf8');
    assert.equal(renderDoc(current), current);
  });

  it('documents every key of the schema', () => {
    const doc = readFileSync(DOC_FILE, 'utf8');
    for (const key of ['model.sampling.temperature', 'tasks.train.fields.question', 'tools[].ref', 'algorithm.lora.rank', 'eval.k']) {
      assert.ok(doc.includes(`| \`${key}\``), `${key} is missing`);
    }
  });
});

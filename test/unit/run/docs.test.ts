import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { DOC_FILE, updatedDoc } from '../../../scripts/run-format-docs';
import { rolloutSchema } from '../../../trainer/src/run/schema';

describe('docs/run-format.md', () => {
  it('its rollouts table matches the schema (run `npm run docs:run-format` after changing it)', () => {
    const current = readFileSync(DOC_FILE, 'utf8');
    assert.equal(updatedDoc(current), current);
    for (const key of Object.keys(rolloutSchema.properties)) assert.ok(current.includes(`| \`${key}\``), `${key} is missing`);
  });
});

// Configs built to hang the parser: many keys, and duplicates among many keys.
import { strict as assert } from 'node:assert';
import { countNodes, MAX_CONFIG_NODES } from '../../../trainer/src/config/limits';
import { validateConfigText } from '../../../trainer/src/config/validate';

/** A config with `n` keys in one mapping (workflow.options), optionally one of them twice. */
function manyKeys(n: number, duplicate?: number): string {
  const lines = ['name: big', 'tasks:', '  train:', '    path: builtin:arith/train', 'workflow:', '  options:'];
  for (let i = 0; i < n; i++) lines.push(`    k${i.toString(36)}: 1`);
  if (duplicate !== undefined) lines.push(`    k${duplicate.toString(36)}: 2`);
  return lines.join('\n') + '\n';
}

describe('config parsing limits', () => {
  it('refuses 170k keys in 1.9 MB with a clear error, before parsing', () => {
    const text = ['name: big', ...Array.from({ length: 170_000 }, (_, i) => `k${i.toString(16)}: 1`)].join('\n') + '\n';
    assert.ok(text.length < 1.9e6);
    const t0 = performance.now();
    const r = validateConfigText(text, 'big.tune.yaml');
    console.log(`      ${(text.length / 1e6).toFixed(2)} MB, 170,000 keys: refused in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.equal(r.config, undefined);
    assert.equal(r.issues.length, 1);
    assert.match(r.issues[0].message, new RegExp(`more than ${MAX_CONFIG_NODES} keys and list items`));
    assert.equal(r.issues[0].line, 1);
  });
  it('finds a duplicate among many keys in one pass, where it is', () => {
    const n = 5_000;
    const r = validateConfigText(manyKeys(n, 1234), 'dup.tune.yaml');
    const dup = r.issues.filter((i) => /appears twice/.test(i.message));
    assert.equal(dup.length, 1);
    assert.equal(dup[0].line, 6 + n + 1);
    assert.deepEqual(dup[0].path, ['workflow', 'options', `k${(1234).toString(36)}`]);
  });
  it('counts keys and items without parsing, never fewer than there are', () => {
    assert.equal(countNodes('a: 1\nb:\n  - x\n  - {c: 1, d: 2}\n'), 7);
    assert.equal(countNodes('url: "http://x"\n'), 1);
    assert.ok(countNodes('k: 1\n'.repeat(100_000)) <= MAX_CONFIG_NODES + 1, 'stops at the limit');
  });
});

import { strict as assert } from 'node:assert';
import { quickFixes } from '../../../trainer/src/language/quickFix';

const apply = (text: string, f: { start: number; end: number; newText: string }) => text.slice(0, f.start) + f.newText + text.slice(f.end);

describe('language service: quick fixes', () => {
  const config = (model: string) => ['name: demo', 'model:', model, '  path: builtin:tiny-math', 'tasks:', '  train:', '    path: builtin:arith/train', ''].join('\n');

  it('fixes a misspelt key to the one the message names', () => {
    const text = config('  backnd: onnx');
    const at = text.indexOf('backnd') + 2;
    const fixes = quickFixes(text, 'demo.tune.yaml', at);
    assert.equal(fixes.length, 1);
    assert.equal(fixes[0].title, 'Change to "backend"');
    assert.match(fixes[0].message, /did you mean "backend"/);
    assert.equal(apply(text, fixes[0]), config('  backend: onnx'));
    assert.deepEqual(quickFixes(apply(text, fixes[0]), 'demo.tune.yaml', at), []);
  });

  it('fixes a misspelt value of a fixed set, and offers nothing away from the problem', () => {
    const text = config('  backend: onx');
    const fixes = quickFixes(text, 'demo.tune.yaml', text.indexOf('onx'));
    assert.deepEqual(fixes.map((f) => apply(text, f)), [config('  backend: onnx')]);
    assert.deepEqual(quickFixes(text, 'demo.tune.yaml', 0), []);
  });

  it('leaves quoted text alone: replacing it would drop the quotes', () => {
    const text = config('  "backnd": onnx');
    assert.deepEqual(quickFixes(text, 'demo.tune.yaml', text.indexOf('backnd')), []);
  });
});

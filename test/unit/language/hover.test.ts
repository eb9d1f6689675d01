import { strict as assert } from 'node:assert';
import { hover } from '../../../trainer/src/language/hover';
import { cursor } from './fixture';

const at = (src: string) => {
  const { text, offset } = cursor(src);
  const h = hover(text, offset);
  return h && { ...h, covers: text.slice(h.start, h.end) };
};

describe('language service: hover', () => {
  it('a key shows its path, type, description, default and examples from the schema', () => {
    const h = at('name: demo\nmodel:\n  sampling:\n    tempe§rature: 0.7\n')!;
    assert.equal(h.covers, 'temperature');
    assert.equal(h.contents, '**model.sampling.temperature** · `number ≥ 0`\n\nSoftmax temperature; 0 means greedy decoding.\n\nDefault: `1`\n\nExamples: `1`, `0.7`, `0`');
  });

  it('an enum key lists the allowed values with their descriptions', () => {
    const h = at('algorithm:\n  ty§pe: grpo\n')!;
    assert.match(h.contents, /^\*\*algorithm\.type\*\* · `"grpo" \| "rloo"`/);
    assert.match(h.contents, /Allowed values:\n- `grpo` — Group Relative Policy Optimisation: .*\n- `rloo` — REINFORCE leave-one-out/);
    assert.match(h.contents, /Default: `grpo`/);
  });

  it('an enum value shows its own description first', () => {
    const h = at('tasks:\n  selector:\n    type: difficulty_ba§sed\n')!;
    assert.equal(h.covers, 'difficulty_based');
    assert.match(h.contents, /^\*\*difficulty_based\*\* — Online pass-rate estimates per task; .*\n\n---\n\n\*\*tasks\.selector\.type\*\*/);
  });

  it('a built-in ref shows what the built-in does', () => {
    const h = at('judge:\n  ref: builtin:gsm§8k\n')!;
    assert.match(h.contents, /^\*\*builtin:gsm8k\*\* — built-in judge\n\nGSM8K grading: /);
    assert.match(h.contents, /\*\*judge\.ref\*\* · `string`/);
  });

  it('a section lists its keys and required keys', () => {
    const h = at('ta§sks:\n  train:\n    path: x.jsonl\n')!;
    assert.match(h.contents, /^\*\*tasks\*\* · `mapping`/);
    assert.match(h.contents, /Keys: `train`, `test`, `selector`/);
    assert.match(h.contents, /Required: `train`/);
  });

  it('a key inside a list item is named with []', () => {
    const h = at('tools:\n  - ref: builtin:python\n    timeo§ut_s: 5\n')!;
    assert.match(h.contents, /^\*\*tools\[\]\.timeout_s\*\* · `number > 0`\n\nWall-clock limit of one call, in seconds\./);
  });

  it('a key in a flow mapping', () => {
    const h = at('algorithm:\n  lora: { ra§nk: 8, alpha: 16 }\n')!;
    assert.equal(h.covers, 'rank');
    assert.match(h.contents, /^\*\*algorithm\.lora\.rank\*\* · `integer ≥ 1`\n\nRank r of the adapter\.\n\nDefault: `8`/);
  });

  it('a number range is shown as an interval', () => {
    const h = at('tasks:\n  selector:\n    tar§get: 0.5\n')!;
    assert.match(h.contents, /`number in \[0, 1\]`/);
  });

  it('nothing for unknown keys, comments and blank space', () => {
    assert.equal(at('mod§le: 1\n'), undefined);
    assert.equal(at('# a com§ment\nname: x\n'), undefined);
    assert.equal(at('name: x\n\n§\n'), undefined);
  });

  it('still answers in a document with errors elsewhere', () => {
    // An unclosed quote swallows the lines after it, as YAML reads them.
    const h = at('name: "unclosed\nseed: 1\nrollout:\n  group_si§ze: 8\n')!;
    assert.match(h.contents, /^\*\*name\*\*/);
    const g = at('name: demo\nrollout:\n  group_si§ze: 8\n  bad: [\n')!;
    assert.match(g.contents, /^\*\*rollout\.group_size\*\* · `integer ≥ 1`/);
  });
});

// Malformed YAML of any kind must give diagnostics, never an exception, from every entry
// point of the language service. Seeded, so a failure reproduces.
import { strict as assert } from 'node:assert';
import { complete } from '../../../trainer/src/language/completion';
import { definition } from '../../../trainer/src/language/definition';
import { diagnose } from '../../../trainer/src/language/diagnostics';
import { hover } from '../../../trainer/src/language/hover';
import { codeLenses } from '../../../trainer/src/language/lenses';
import { makeWorkspace, type Workspace } from './fixture';

const seedText = `# a full config
name: demo
description: "fuzzed"
seed: 0
model:
  backend: onnx
  path: ./model
  sampling: { temperature: 0.7, top_p: 0.95, stop: ["</answer>"] }
tasks:
  train:
    path: data/train.jsonl
    fields:
      features: [difficulty]
  test:
    path: builtin:arith/test
    limit: 20
  selector:
    type: difficulty_based
    feature_key: difficulty
workflow:
  ref: ./workflow.mjs#workflow
  system_prompt: |
    You are careful. Use <tool_call>{"name": "calculator"}</tool_call>.
    <|im_start|>assistant
  options: { roles: [a, b] }
tools:
  - ref: builtin:calculator
  - ref: './tools.ts#lookup'
    timeout_s: 5
    options: &opts { memory_mb: 256 }
judge:
  ref: ./judge.ts#judge
  options: *opts
rollout: { group_size: 4, max_turns: 3 }
algorithm:
  type: grpo
  lr: 1e-3
eval:
  k: [1, 2]
  samples: 4
`;

const alphabet = [':', '-', '{', '}', '[', ']', '"', "'", '|', '>', '&', '*', '!', '%', '@', '`', '#', '\t', '\n', ' ', '  ', '?', ',', '\\', '\r', '\uFEFF', 'é', '😀', '\u2028', '...', '---', '<<: *x', '!!binary', '&a', '*a', 'builtin:', './', '#x', '\u0000'];

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: string, r: () => number): string {
  const kind = Math.floor(r() * 6);
  const pos = Math.floor(r() * (text.length + 1));
  const pick = () => alphabet[Math.floor(r() * alphabet.length)];
  switch (kind) {
    case 0:
      return text.slice(0, pos) + pick() + text.slice(pos);
    case 1:
      return text.slice(0, pos) + text.slice(pos + 1 + Math.floor(r() * 8));
    case 2:
      return text.slice(0, pos) + pick() + text.slice(pos + 1);
    case 3: {
      const lines = text.split('\n');
      const i = Math.floor(r() * lines.length);
      const j = Math.floor(r() * lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return lines.join('\n');
    }
    case 4:
      return text.slice(0, pos);
    default: {
      const lines = text.split('\n');
      const i = Math.floor(r() * lines.length);
      lines[i] = ' '.repeat(Math.floor(r() * 6)) + lines[i].trimStart();
      return lines.join('\n');
    }
  }
}

function randomText(r: () => number): string {
  const n = Math.floor(r() * 300);
  let s = '';
  for (let i = 0; i < n; i++) s += r() < 0.5 ? String.fromCharCode(Math.floor(r() * 128)) : alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

describe('language service: fuzzed malformed YAML', () => {
  let ws: Workspace;
  before(() => {
    ws = makeWorkspace();
  });
  after(() => ws.remove());

  it('never throws and always returns well-formed results', async function () {
    // 300 rounds of every service: seconds on a fast core, much longer on one slow shared core.
    this.timeout(180_000);
    const r = rng(20240611);
    let withIssues = 0;
    for (let iter = 0; iter < 300; iter++) {
      let text = seedText;
      if (iter % 10 === 9) text = randomText(r);
      else for (let m = 1 + Math.floor(r() * 4); m > 0; m--) text = mutate(text, r);
      const label = `iteration ${iter}: ${JSON.stringify(text.slice(0, 200))}`;
      const { issues } = await diagnose(text, { file: ws.config });
      if (issues.length) withIssues++;
      for (const i of issues) {
        assert.ok(i.line >= 1 && i.column >= 1, label);
        assert.ok(i.start >= 0 && i.start <= i.end && i.end <= text.length, label);
        assert.ok(typeof i.message === 'string' && i.message.length > 0, label);
      }
      for (let k = 0; k < 3; k++) {
        const offset = Math.floor(r() * (text.length + 1));
        const h = hover(text, offset);
        if (h) assert.ok(typeof h.contents === 'string' && h.start <= h.end, label);
        for (const c of await complete(text, offset, { file: ws.config })) {
          assert.ok(c.start >= 0 && c.start <= c.end && c.end <= text.length, `${label} at ${offset}`);
        }
      }
      await definition(text, Math.floor(r() * (text.length + 1)), { file: ws.config });
      assert.ok((await codeLenses(text, { file: ws.config })).length >= 3);
    }
    // The mutations must actually break things, or the test proves nothing.
    assert.ok(withIssues > 150, `only ${withIssues} of 300 fuzzed texts had issues`);
  });
});

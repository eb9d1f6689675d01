// `npm run bench:config [-- --lines N --runs N]`: how long the editor and `agent-tune
// validate` take to check a 2,000-line config, against the target of 50 ms. The peer,
// measured in the same run, is the least any schema check can do: `yaml.parse` and the same
// compiled ajv schema, with no source positions, no key paths and no file checks. The ratio
// says what placing every problem on its text costs over that floor.
import Ajv from 'ajv';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { tuneSchema } from '../trainer/src/config/schema';
import { validateConfigText } from '../trainer/src/config/validate';
import { diagnose } from '../trainer/src/language/diagnostics';

const { values: args } = parseArgs({ options: { lines: { type: 'string', default: '2000' }, runs: { type: 'string', default: '40' } } });
const LINES = Number(args.lines);
const RUNS = Number(args.runs);
const TARGET_MS = 50;

/** A valid config of about `lines` lines: a long system prompt, many tools, large option maps. */
export function bigConfig(lines: number): string {
  const out = [
    '# generated for bench:config',
    'name: bench',
    'description: a config as large as a real one gets, and then some',
    'seed: 7',
    'model:',
    '  backend: onnx',
    '  path: builtin:tiny-math',
    '  sampling: { temperature: 0.9, top_p: 0.95, max_new_tokens: 256, stop: ["</answer>"] }',
    'tasks:',
    '  train:',
    '    path: builtin:arith/train',
    '    fields: { features: [difficulty] }',
    '  test:',
    '    path: builtin:arith/test',
    '    limit: 200',
    '  selector:',
    '    type: difficulty_based',
    '    feature_key: difficulty',
    'judge:',
    '  ref: ./judge.ts#judge',
    '  options:',
    '    tolerance: 0.000001',
    'rollout: { group_size: 8, parallel: 32, max_turns: 4 }',
    'algorithm:',
    '  type: grpo',
    '  lr: 0.002',
    '  lora: { rank: 8, alpha: 16 }',
    'train: { steps: 30, tasks_per_step: 8, eval_every: 10 }',
    'eval: { samples: 4, k: [1, 4] }',
    'workflow:',
    '  ref: builtin:react',
    '  system_prompt: |',
  ];
  const budget = lines - out.length;
  const prompt = Math.floor(budget * 0.25);
  for (let i = 0; i < prompt; i++) out.push(`    Rule ${i}: think step by step, call <tool_call>{"name": "calculator"}</tool_call> for arithmetic, and answer in <answer>.`);
  out.push('  options:');
  const options = Math.floor(budget * 0.35);
  for (let i = 0; out.length < 32 + prompt + 1 + options; i++) {
    out.push(`    role_${i}:`, `      prompt: "You are agent ${i}."`, `      weight: ${(i % 10) / 10}`, `      tags: [a${i}, b${i}]`);
  }
  out.push('tools:');
  for (let i = 0; out.length < lines - 1; i++) {
    out.push(`  - ref: ${i % 2 ? 'builtin:python' : 'builtin:calculator'}`, `    timeout_s: ${5 + (i % 7)}`, '    options:', `      max_output_chars: ${1000 + i}`);
  }
  return out.slice(0, lines).join('\n') + '\n';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Medians of wall time and of this process's CPU time for each function, measured in turns so
 * that load from elsewhere hits all alike. On a busy machine the CPU time is the steadier figure.
 */
async function timeAll(runs: (() => unknown)[]): Promise<{ wall: number; cpu: number }[]> {
  for (let i = 0; i < 5; i++) for (const run of runs) await run();
  const wall: number[][] = runs.map(() => []);
  const cpu: number[][] = runs.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, run] of runs.entries()) {
      const c = process.cpuUsage();
      const t = performance.now();
      await run();
      wall[k].push(performance.now() - t);
      const d = process.cpuUsage(c);
      cpu[k].push((d.user + d.system) / 1000);
    }
  }
  return runs.map((_, k) => ({ wall: median(wall[k]), cpu: median(cpu[k]) }));
}

async function main(): Promise<void> {
  const text = bigConfig(LINES);
  const dir = mkdtempSync(join(tmpdir(), 'agent-tune-bench-'));
  const file = join(dir, 'bench.tune.yaml');
  writeFileSync(file, text);
  writeFileSync(join(dir, 'judge.ts'), "import { defineJudge } from 'agent-tune';\nexport const judge = defineJudge(() => ({ reward: 1 }));\n");
  try {
    const check = validateConfigText(text, file);
    if (check.issues.length) throw new Error(`the generated config is not valid:\n${check.issues.map((i) => `${i.line}:${i.column} ${i.message}`).join('\n')}`);
    const full = await diagnose(text, { file });
    if (full.issues.length) throw new Error(`the generated config has issues:\n${full.issues.map((i) => i.message).join('\n')}`);

    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
    ajv.addVocabulary(['enumDescriptions', 'markdownDescription']);
    const validate = ajv.compile(tuneSchema);
    const [peer, schema, all] = await timeAll([
      () => {
        if (!validate(parse(text))) throw new Error('peer: invalid');
      },
      () => validateConfigText(text, file),
      () => diagnose(text, { file }),
    ]);

    const lines = text.split('\n').length - 1;
    const row = (name: string, m: { wall: number; cpu: number }) =>
      `${name.padEnd(62)} ${m.wall.toFixed(1).padStart(6)} ms wall ${(m.wall / peer.wall).toFixed(2)}× peer   ${m.cpu.toFixed(1).padStart(6)} ms cpu ${(m.cpu / peer.cpu).toFixed(2)}× peer`;
    console.log(`config: ${lines} lines, ${(text.length / 1024).toFixed(0)} KiB; medians of ${RUNS} runs`);
    console.log(row('peer: yaml.parse + ajv, no positions', peer));
    console.log(row('validateConfigText: schema issues with positions and paths', schema));
    console.log(row('diagnose: the above + refs, exports, built-ins (editor, CLI)', all));
    console.log(`target: diagnose ≤ ${TARGET_MS} ms wall: ${all.wall <= TARGET_MS ? 'met' : 'MISSED'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

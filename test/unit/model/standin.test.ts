// The whole loop at a real model's vocabulary and template: qwen3-tiny, a stand-in with Qwen3's
// tokenizer, chat template and 151,936-token vocabulary, 2 layers and random weights. It writes
// nonsense, so these tests assert the machinery (shapes, tokens, templates, checkpoints), not
// answers. The stand-in is built once with Debian's PyTorch and cached in .cache/standin.
// `npm run bench:loop` runs the same tests at qwen3-0.6b's shape (AGENT_TUNE_STANDIN_SHAPE).
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SHAPES, standin, type Shape } from '../../../scripts/standin/build';
import { Engine } from '../../../trainer/src/model/engine';
import { openModelFolder } from '../../../trainer/src/model/folder';
import { readOnnx, removeOutput, writeOnnx } from '../../../trainer/src/model/onnx-graph';
import { Tokenizer } from '../../../trainer/src/model/tokenizer';
import type { MetricsRow, RolloutRecord } from '../../../trainer/src/run/events';
import { readAll } from '../../../trainer/src/run/reader';
import { loadAdapter } from '../../../trainer/src/train/checkpoint';
import { LoraHead } from '../../../trainer/src/train/lora';
import { runCli, tempConfig } from '../../support/cli';
import { serve } from '../serve/fixtures';
import { RunSource } from '../../../src/viewer/runSource';
import type { HostMessage } from '../../../src/viewer/protocol';

const VOCAB = 151936;
const SHAPE = (process.env.AGENT_TUNE_STANDIN_SHAPE ?? 'qwen3-tiny') as Shape;
if (!(SHAPE in SHAPES)) throw new Error(`AGENT_TUNE_STANDIN_SHAPE: ${SHAPE} is not one of ${Object.keys(SHAPES).join(', ')}`);
const { num_hidden_layers: LAYERS, hidden_size: HIDDEN } = SHAPES[SHAPE];

function config(model: string): string {
  return `name: standin
seed: 2
model: { path: ${JSON.stringify(model)}, sampling: { temperature: 1.0, max_new_tokens: 12 }, threads: 1 }
tasks:
  train: { path: builtin:arith/train, limit: 8 }
  test: { path: builtin:arith/test, limit: 2 }
tools: [{ ref: builtin:calculator }]
judge: { ref: ./judge.ts#judge }
rollout: { group_size: 2, max_turns: 2, parallel: 4 }
algorithm: { lr: 0.01, minibatch: 2, lora: { rank: 4, alpha: 8 } }
train: { steps: 2, tasks_per_step: 2, save_every: 1, eval_every: 0, output_dir: ./runs }
eval: { samples: 1, k: [1] }
`;
}

/** Random weights never answer right: reward the length of the answer, so groups differ. */
const JUDGE = `import { defineJudge } from 'agent-tune';
export const judge = defineJudge(({ final_answer }) => {
  const reward = ((final_answer ?? '').length % 7) / 6;
  return { reward, is_success: reward > 0.5 };
});
`;

async function records(runDir: string): Promise<RolloutRecord[]> {
  return (await readAll<RolloutRecord>(join(runDir, 'rollouts.jsonl'))).records.map((r) => r.value);
}

describe(`${SHAPE} stand-in: the loop at a 151,936-token vocabulary`, function () {
  this.timeout(900_000);
  let model: string;
  let file: string;
  let runDir: string;
  const temp: string[] = [];

  before(() => {
    model = standin(SHAPE);
    file = tempConfig('standin', config(model), { 'judge.ts': JUDGE });
    temp.push(dirname(file));
  });
  after(() => {
    for (const d of temp) rmSync(d, { recursive: true, force: true });
  });

  it('model info describes it, and prepare restores a removed last_hidden_state', async () => {
    const info = await runCli(['--json', 'model', 'info', model]);
    assert.equal(info.code, 0, info.stderr);
    const i = JSON.parse(info.stdout);
    assert.deepEqual(i.vocabulary, { logits: VOCAB, tokenizer: 151669, config: VOCAB });
    assert.equal(i.layers, LAYERS);
    assert.equal(i.hidden_size, HIDDEN);
    assert.equal(i.last_hidden_state, true);
    assert.equal(i.quantization, 'none');

    const copy = mkdtempSync(join(tmpdir(), 'agent-tune-standin-'));
    temp.push(copy);
    cpSync(model, copy, { recursive: true });
    const onnx = join(copy, 'onnx', 'model.onnx');
    const m = readOnnx(onnx);
    assert.ok(removeOutput(m, 'last_hidden_state'));
    writeOnnx(onnx, m);
    const prepared = await runCli(['--json', 'model', 'prepare', copy]);
    assert.equal(prepared.code, 0, prepared.stderr);
    const again = JSON.parse((await runCli(['--json', 'model', 'info', copy])).stdout);
    assert.equal(again.last_hidden_state, true);
  });

  it('debug renders the Qwen3 template and samples ids of the whole vocabulary', async () => {
    const r = await runCli(['--json', 'debug', file, '--tasks', '2']);
    assert.equal(r.code, 0, r.stderr);
    const runs = join(dirname(file), 'runs');
    const dir = join(runs, readdirSync(runs)[0]);
    const rows = await records(dir);
    assert.ok(rows.length >= 2);
    const tok = Tokenizer.fromDir(model);
    for (const row of rows) {
      for (const t of row.turns) {
        assert.equal(t.token_ids!.length, t.completion_tokens);
        assert.ok(t.token_ids!.every((id) => Number.isInteger(id) && id >= 0 && id < VOCAB));
        assert.equal(t.logprobs!.length, t.token_ids!.length);
        assert.ok(t.logprobs!.every((lp) => lp <= 0 && Number.isFinite(lp)));
        assert.equal(t.sampling?.temperature, 1);
      }
      assert.ok(row.messages[0].role === 'system' || row.messages[0].role === 'user');
    }
    // Random weights spread the mass over the vocabulary: ids far beyond a small tokenizer's.
    assert.ok(rows.some((row) => row.turns.some((t) => t.token_ids!.some((id) => id > 100_000))));
    assert.ok(tok.encode('<|im_start|>').length === 1);
    rmSync(runs, { recursive: true, force: true });
  });

  it('runs 2 GRPO steps with a checkpoint each, resumes, and evaluates', async () => {
    const out = mkdtempSync(join(tmpdir(), 'agent-tune-standin-run-'));
    temp.push(out);
    const first = await runCli(['run', file, '--output-dir', out, '--steps', '1']);
    assert.equal(first.code, 0, first.stderr);
    runDir = join(out, readdirSync(out)[0]);
    const resumed = await runCli(['run', file, '--resume', runDir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const metrics = (await readAll<MetricsRow>(join(runDir, 'metrics.jsonl'))).records.map((r) => r.value).filter((m) => m.kind === 'train');
    assert.deepEqual(metrics.map((m) => m.step), [1, 2]);
    for (const m of metrics) assert.ok(m.metrics.trained_tokens > 0, `step ${m.step} trained on no tokens`);
    const ckpts = readdirSync(join(runDir, 'checkpoints')).sort();
    assert.ok(ckpts.includes('step-000001') && ckpts.includes('step-000002'), ckpts.join(', '));
    const adapter = loadAdapter(join(runDir, 'checkpoints', 'step-000002'), { vocab: VOCAB, hidden: HIDDEN });
    assert.equal(adapter.rank, 4);
    assert.equal(adapter.B.length, VOCAB * 4);
    const rows = await records(runDir);
    assert.equal(rows.filter((r) => r.phase === 'train').length, 2 * 2 * 2);

    const evalOut = mkdtempSync(join(tmpdir(), 'agent-tune-standin-eval-'));
    temp.push(evalOut);
    const evaluated = await runCli(['eval', file, '--adapter', join(runDir, 'checkpoints', 'step-000002'), '--output-dir', evalOut]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const evalRows = await records(join(evalOut, readdirSync(evalOut)[0]));
    assert.ok(evalRows.length >= 2 && evalRows.every((r) => r.phase === 'eval'));
  });

  it('opens in the run viewer: every rollout a row, no problems, transcripts with Qwen3\'s tokens', async () => {
    const msgs: HostMessage[] = [];
    const source = new RunSource(runDir, (m) => void msgs.push(m));
    try {
      await source.handle({ type: 'ready' });
      const loaded = msgs.find((m): m is Extract<HostMessage, { type: 'loaded' }> => m.type === 'loaded');
      const lines = await records(runDir);
      assert.equal(loaded?.rows, lines.length);
      assert.deepEqual(msgs.filter((m) => m.type === 'problems'), []);
      const id = lines.find((r) => r.phase === 'train')!.id;
      await source.handle({ type: 'open', id });
      const t = msgs.find((m): m is Extract<HostMessage, { type: 'transcript' }> => m.type === 'transcript' && m.id === id);
      assert.ok(t?.record, t?.error);
      assert.ok(t.record.messages.some((m) => m.role === 'assistant'));
      assert.ok((t.record.turns ?? []).every((turn) => (turn.tokens?.length ?? 0) === turn.completion_tokens), 'a token piece for every sampled token');
    } finally {
      source.dispose();
    }
  });

  it('serves the tuned model over HTTP', async () => {
    const s = await serve([model, '--adapter', join(runDir, 'checkpoints', 'step-000002'), '--port', '0', '--quiet']);
    try {
      const res = await fetch(`${s.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: s.model, messages: [{ role: 'user', content: 'What is 2 + 2?' }], max_tokens: 5, temperature: 0, logprobs: true }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number; prompt_tokens: number } };
      assert.ok(body.usage.completion_tokens >= 1 && body.usage.completion_tokens <= 5);
      assert.ok(body.usage.prompt_tokens > 5);
    } finally {
      await s.stop();
    }
  });

  it('exports a merged model whose logits are the base model\'s plus the adapter\'s', async () => {
    const ckpt = join(runDir, 'checkpoints', 'step-000002');
    const merged = join(mkdtempSync(join(tmpdir(), 'agent-tune-standin-merged-')), 'model');
    temp.push(dirname(merged));
    const r = await runCli(['export', ckpt, '--merged', merged]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(merged, 'onnx', 'model.onnx')));
    const adapter = loadAdapter(ckpt, { vocab: VOCAB, hidden: HIDDEN });
    const lora = new LoraHead(HIDDEN, VOCAB, adapter.rank, adapter.alpha);
    lora.copyFrom(adapter.A, adapter.B);
    const hooked = await Engine.open(openModelFolder(model), { threads: 1, lanes: 1, logitHook: lora.hook });
    const tuned = await Engine.open(openModelFolder(merged), { threads: 1, lanes: 1 });
    try {
      const ids = Tokenizer.fromDir(model).encode('<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n');
      const [a] = await hooked.forward([ids]);
      const [b] = await tuned.forward([ids]);
      // forward() leaves the hook out: add the adapter's delta to the base logits by hand.
      const want = Float32Array.from(a.logits);
      lora.addDelta(lora.project(a.hidden, ids.length), want, ids.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - b.logits[i]));
      assert.ok(worst < 1e-3, `merged logits differ by ${worst}`);
      assert.ok(readFileSync(join(merged, 'tokenizer_config.json'), 'utf8').includes('<think>'));
    } finally {
      await hooked.close();
      await tuned.close();
    }
  });
});

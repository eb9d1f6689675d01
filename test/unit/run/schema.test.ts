// The rollout record's JSON Schema and the types derived from it describe the same lines:
// what the writer writes validates, field for field, against the schema.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { RUN_FILES, type RolloutRecord } from '../../../trainer/src/run/events';
import { rolloutSchema } from '../../../trainer/src/run/schema';
import { RunWriter } from '../../../trainer/src/run/writer';
import { makeRun } from '../../fixtures/make-run';

const validate = new Ajv({ allErrors: true, strict: false }).compile(rolloutSchema);

/** A record with every field the type allows, optional ones included. */
const full: RolloutRecord = {
  id: 's1-train-t1-0',
  step: 1,
  phase: 'train',
  task_id: 't1',
  source: 'gsm8k',
  group_id: 's1-t1',
  sample: 0,
  question: 'What is 6 * 7?',
  reference: '42',
  messages: [
    { role: 'system', content: 'Use the calculator.' },
    { role: 'user', content: 'What is 6 * 7?' },
    { role: 'assistant', content: '', tool_calls: [{ id: 'c1', name: 'calc', arguments: { expr: '6*7' } }] },
    { role: 'tool', content: '42', tool_call_id: 'c1', name: 'calc', error: false },
    { role: 'assistant', content: '\\boxed{42}' },
  ],
  turns: [
    {
      index: 0,
      role: 'agent',
      message_index: 2,
      prompt_tokens: 20,
      completion_tokens: 3,
      tokens: ['a', 'b', 'c'],
      token_ids: [1, 2, 3],
      logprobs: [-0.1, -0.2, -0.3],
      prompt_ids: [7, 8, 9],
      sampling: { temperature: 1, top_p: 1, top_k: 0 },
      flags: ['tool_error'],
      format_error: 'bad call',
      tool_errors: 1,
      duration_ms: 12,
    },
  ],
  tool_calls: 1,
  final_answer: '42',
  reward: 1,
  parts: { answer: 1 },
  success: true,
  advantage: 0.5,
  role_advantages: { agent: 0.5 },
  tokens: { prompt: 20, completion: 3 },
  flags: ['tool_error'],
  judge: { details: { matched: true }, error: 'none', stack: 'at judge' },
  error: { message: 'tool failed', stack: 'at tool', source: 'tool' },
  timings: { started: 1, duration_ms: 2, model_ms: 3, tool_ms: 4, judge_ms: 5 },
};

describe('rollout schema', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-tune-schema-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const lines = (run = dir) =>
    readFileSync(join(run, RUN_FILES.rollouts), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as unknown);

  it('accepts the line the writer makes of a record with every field, prompt ids dropped', () => {
    const w = new RunWriter(dir);
    w.rollout(full);
    w.close();
    const [line] = lines();
    assert.ok(validate(line), JSON.stringify(validate.errors));
    assert.deepEqual((line as RolloutRecord).turns[0].prompt_ids, undefined);
  });

  it('accepts every line of a fixture run', () => {
    const run = makeRun(dir, { steps: 2, tasksPerStep: 2, groupSize: 2, sources: ['a', 'b'] });
    run.writer.close();
    const all = lines(run.dir);
    assert.ok(all.length > 0);
    for (const line of all) assert.ok(validate(line), JSON.stringify(validate.errors));
  });

  it('names a field it does not define, and a missing field the writer always writes', () => {
    const { timings: _t, ...rest } = full;
    assert.equal(validate({ ...rest, extra: 1 }), false);
    const errors = (validate.errors ?? []).map((e) => `${e.keyword} ${JSON.stringify(e.params)}`);
    assert.ok(errors.includes('additionalProperties {"additionalProperty":"extra"}'), errors.join('; '));
    assert.ok(errors.includes('required {"missingProperty":"timings"}'), errors.join('; '));
  });
});

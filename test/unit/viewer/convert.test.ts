import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertAgentJet, convertVerlRows, detectFormat, flattenTimeline, fromChatMessage, importRun, splitChatText, splitResponse, type AgentJetTrajectory, type VerlRow } from '../../../trainer/src/run/convert';
import { checkRollout } from '../../../src/viewer/validate';
import type { RolloutRecord } from '../../../trainer/src/run/events';

// Rows shaped exactly as verl's trainer dumps them (`_dump_generations`): input/output/gts/score/step
// plus the reward function's extra info. Two samples of one prompt, adjacent, then another prompt.
const CHATML = '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 6 * 7?<|im_end|>\n<|im_start|>assistant\n';
const STRIPPED = 'system\nYou are a helpful assistant.\nuser\nWhat is 2 + 2?\nassistant\n';
const verlRows: VerlRow[] = [
  { input: CHATML, output: 'Let me compute.\n<tool_call>{"name": "calc", "arguments": {"expr": "6*7"}}</tool_call>\n<tool_response>\n42\n</tool_response>\nassistant\nThe answer is \\boxed{42}.', gts: '42', score: 1, step: 3, acc: true, pred: '42' },
  { input: CHATML, output: 'It is 41.', gts: '42', score: 0, step: 3, acc: false, pred: '41' },
  { input: STRIPPED, output: '4', gts: 4, score: 1.0, step: 3, format_reward: 0.5 },
];

describe('verl rollout dump converter', () => {
  const recs = convertVerlRows(verlRows, { fallbackStep: 0, phase: 'train' });

  it('groups adjacent samples of one prompt and numbers them', () => {
    assert.equal(recs[0].group_id, recs[1].group_id);
    assert.notEqual(recs[0].group_id, recs[2].group_id);
    assert.deepEqual(recs.map((r) => r.sample), [0, 1, 0]);
    assert.deepEqual(recs.map((r) => r.step), [3, 3, 3]);
    assert.equal(new Set(recs.map((r) => r.id)).size, 3);
  });

  it('splits ChatML prompts (with or without special tokens) into messages', () => {
    assert.deepEqual(recs[0].messages.slice(0, 2), [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'What is 6 * 7?' },
    ]);
    assert.equal(recs[0].question, 'What is 6 * 7?');
    assert.deepEqual(recs[2].messages.slice(0, 2).map((m) => m.role), ['system', 'user']);
    assert.equal(recs[2].question, 'What is 2 + 2?');
  });

  it('turns tool calls and spliced tool responses into assistant and tool messages', () => {
    const m = recs[0].messages.slice(2);
    assert.deepEqual(m.map((x) => x.role), ['assistant', 'tool', 'assistant']);
    assert.deepEqual(m[0].tool_calls, [{ id: 'call_1', name: 'calc', arguments: { expr: '6*7' } }]);
    assert.deepEqual({ content: m[1].content, id: m[1].tool_call_id, name: m[1].name }, { content: '42', id: 'call_1', name: 'calc' });
    assert.equal(m[2].content, 'The answer is \\boxed{42}.');
    assert.equal(recs[0].tool_calls, 1);
    assert.equal(recs[0].turns.length, 2);
  });

  it('maps score, acc, pred, gts and extra numeric infos', () => {
    assert.deepEqual([recs[0].reward, recs[0].success, recs[0].final_answer, recs[0].reference], [1, true, '42', '42']);
    assert.deepEqual([recs[1].success, recs[1].final_answer], [false, '41']);
    assert.equal(recs[2].reference, '4');
    assert.equal(recs[2].success, true); // no acc: score > 0
    assert.deepEqual(recs[2].parts, { score: 1, format_reward: 0.5 });
    assert.equal(recs[0].advantage, null);
  });

  it('produces rows the viewer accepts without problems', () => {
    for (const r of recs) assert.deepEqual(checkRollout(JSON.parse(JSON.stringify(r))).problems, []);
  });

  it('falls back to the file step and to one user message for plain prompts', () => {
    const [r] = convertVerlRows([{ input: 'Solve: 1+1', output: '2', score: 1 }], { fallbackStep: 12, phase: 'eval' });
    assert.equal(r.step, 12);
    assert.equal(r.phase, 'eval');
    assert.deepEqual(r.messages, [{ role: 'user', content: 'Solve: 1+1' }, { role: 'assistant', content: '2' }]);
  });
});

// AgentJet's save_trajectory_as_json: task_id, task_tag, reward_structure, traj (timeline of
// OpenAI-format contexts, each extending the previous).
const ajet: AgentJetTrajectory = {
  task_id: 'gsm8k-17',
  task_tag: 'success',
  reward_structure: { raw_reward: 1, raw_step_reward: [], step_reward_arr: [1], step_advantage: [0.7, 0.7], step_advantage_simple: [0.7], success_rate: 1, madness: 0, description: 'Outcome 1 denotes success', metadata: {}, reward_stats: { rm_raw: 0.9, judge_total_time: 1.5 } },
  traj: [
    [
      { role: 'system', content: 'Use tools.' },
      { role: 'user', content: 'What is 3*5?' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'calculator', arguments: '{"expression": "3*5"}' } }] },
    ],
    [
      { role: 'system', content: 'Use tools.' },
      { role: 'user', content: 'What is 3*5?' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'calculator', arguments: '{"expression": "3*5"}' } }] },
      { role: 'tool', content: '15', tool_call_id: 'call_a' },
      { role: 'assistant', content: 'The answer is 15.' },
    ],
  ],
};

describe('AgentJet trajectory converter', () => {
  const r = convertAgentJet(ajet, { step: 4, phase: 'train', sample: 1 });

  it('flattens the timeline without repeating the shared prefix', () => {
    assert.deepEqual(r.messages.map((m) => m.role), ['system', 'user', 'assistant', 'tool', 'assistant']);
    assert.deepEqual(r.messages[2].tool_calls, [{ id: 'call_a', name: 'calculator', arguments: { expression: '3*5' } }]);
    assert.equal(r.messages[3].tool_call_id, 'call_a');
    assert.equal(r.final_answer, 'The answer is 15.');
  });

  it('maps reward, success, advantage and reward stats', () => {
    assert.deepEqual([r.reward, r.success, r.advantage, r.step, r.sample, r.task_id], [1, true, 0.7, 4, 1, 'gsm8k-17']);
    assert.deepEqual(r.parts, { raw_reward: 1, rm_raw: 0.9, judge_total_time: 1.5 });
    assert.deepEqual(checkRollout(JSON.parse(JSON.stringify(r))).problems, []);
  });

  it('reads AgentScope block content', () => {
    assert.deepEqual(fromChatMessage({ role: 'assistant', content: [{ type: 'text', text: 'hi' }, { type: 'tool_use', id: 'x', name: 'calc', input: { a: 1 } }] }), { role: 'assistant', content: 'hi', tool_calls: [{ id: 'x', name: 'calc', arguments: { a: 1 } }] });
    assert.deepEqual(fromChatMessage({ role: 'user', content: [{ type: 'tool_result', id: 'x', output: '3' }] }), { role: 'tool', content: '3', tool_call_id: 'x' });
  });

  it('appends contexts of another agent whole', () => {
    const m = flattenTimeline([[{ role: 'user', content: 'a' }], [{ role: 'system', content: 'other agent' }, { role: 'user', content: 'b' }]]);
    assert.deepEqual(m.map((x) => x.content), ['a', 'other agent', 'b']);
  });
});

describe('chat text helpers', () => {
  it('splits Llama 3 headers', () => {
    const m = splitChatText('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
    assert.deepEqual(m, [{ role: 'user', content: 'Hi' }]);
  });
  it('keeps a response without tools as one assistant message, and unparsable calls as text', () => {
    assert.deepEqual(splitResponse('just text'), [{ role: 'assistant', content: 'just text' }]);
    assert.equal(splitResponse('<tool_call>{oops</tool_call>')[0].tool_calls?.[0].name, '(unparsed)');
  });
});

describe('importRun', () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'import-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const rollouts = (dir: string): RolloutRecord[] => readFileSync(join(dir, 'rollouts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

  it('imports a verl rollout_data_dir, reporting bad lines with file and line', async () => {
    const src = join(tmp, 'rollout_data');
    mkdirSync(src);
    writeFileSync(join(src, '1.jsonl'), verlRows.slice(0, 2).map((r) => JSON.stringify({ ...r, step: 1 })).join('\n') + '\n');
    writeFileSync(join(src, '2.jsonl'), JSON.stringify(verlRows[2]) + '\n{broken\n' + JSON.stringify({ input: 1 }) + '\n');
    assert.equal((await detectFormat(src))?.kind, 'verl');
    const out = join(tmp, 'out');
    const res = await importRun(src, out);
    assert.equal(res.kind, 'verl');
    assert.equal(res.rollouts, 3);
    assert.equal(res.problems.length, 2);
    assert.match(res.problems.join('\n'), /2\.jsonl:2: line 2 is not valid JSON/);
    assert.deepEqual(rollouts(out).map((r) => r.step), [1, 1, 3]);
    assert.equal((await detectFormat(out))?.kind, 'run');
    // Importing again replaces the earlier import instead of appending to it.
    await importRun(src, out);
    assert.equal(rollouts(out).length, 3);
  });

  it('imports an AgentJet ctx_trackers folder with steps and phases from the path', async () => {
    for (const [phase, step, id] of [['train', 1, 'a'], ['train', 2, 'b'], ['eval', 2, 'c']] as const) {
      const d = join(tmp, 'ctx_trackers', phase, `step_${step}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, `${id}.json`), JSON.stringify({ ...ajet, task_id: id }, null, 2));
    }
    const res = await importRun(join(tmp, 'ctx_trackers'), join(tmp, 'out'));
    assert.equal(res.kind, 'agentjet');
    const recs = rollouts(join(tmp, 'out'));
    assert.deepEqual(recs.map((r) => [r.task_id, r.step, r.phase]).sort(), [['a', 1, 'train'], ['b', 2, 'train'], ['c', 2, 'eval']]);
  });

  it('refuses to replace a folder it did not write, and to import what it does not know', async () => {
    writeFileSync(join(tmp, 'x.json'), '{"hello": 1}');
    await assert.rejects(importRun(join(tmp, 'x.json'), join(tmp, 'out')), /not a run, a verl rollout dump or AgentJet/);
    const src = join(tmp, 't.json');
    writeFileSync(src, JSON.stringify([ajet]));
    mkdirSync(join(tmp, 'mine'));
    await assert.rejects(importRun(src, join(tmp, 'mine')), /was not written by an import/);
  });
});

// The JSON Schema of a rollouts.jsonl line: what the viewer checks each line against (with
// ajv) and what docs/run-format.md's rollouts table is generated from (`npm run docs:run-format`).
import { FLAGS, PHASES } from './constants';

const message = {
  type: 'object',
  required: ['role', 'content'],
  properties: {
    role: { type: 'string', enum: ['system', 'user', 'assistant', 'tool'] },
    content: { type: 'string' },
    tool_calls: { type: 'array', items: { type: 'object', required: ['id', 'name', 'arguments'], properties: { id: { type: 'string' }, name: { type: 'string' }, arguments: { type: 'object' } } } },
    tool_call_id: { type: 'string' },
    name: { type: 'string' },
    error: { type: 'boolean' },
  },
} as const;

export const rolloutSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://agent-tune.dev/schema/rollout.schema.json',
  title: 'Agent Tune rollout (one line of rollouts.jsonl)',
  type: 'object',
  required: ['id', 'step', 'task_id', 'sample', 'reward', 'success', 'messages'],
  properties: {
    id: { type: 'string', description: 'Unique within the run: `s<step>-<phase>-<task>-<sample>`.' },
    step: { type: 'number', description: 'The training step (0 for `debug` and `eval` runs).' },
    phase: { type: 'string', enum: PHASES, description: 'Why the rollout ran.' },
    task_id: { type: 'string', description: 'The task.' },
    group_id: { type: 'string', description: 'The group of `group_size` samples of the task this rollout belongs to.' },
    sample: { type: 'number', description: "This sample's index in its group." },
    question: { type: 'string', description: "The task's prompt." },
    reference: { type: 'string', description: "The task's reference answer." },
    source: { type: 'string', description: 'The task source it was drawn from, when `tasks.train.mix` names several.' },
    messages: { type: 'array', items: message, description: "The whole conversation: `{role, content, tool_calls?, tool_call_id?, name?, error?}`; `tool_calls` are `{id, name, arguments}`; a tool message's `error` is the tool's own report that the call failed (runs recorded before it was kept lack it, and `rejudge` then falls back to the rollout's `tool_error` flag)." },
    turns: {
      type: 'array',
      description:
        'One entry per assistant turn: `index`, `role`, `message_index`, `prompt_tokens`, `completion_tokens`, `tokens?` (text pieces), `token_ids?`, `logprobs?` (under the sampling policy), `sampling?` (`{temperature, top_p, top_k}` the turn was sampled with; the update trains at its temperature), `flags`, `format_error?`, `tool_errors?` (how many of the turn\'s tool calls the tool reported as failed), `duration_ms`.',
      items: { type: 'object' },
    },
    tool_calls: { type: 'number', description: 'Number of tool calls made.' },
    final_answer: { type: ['string', 'null'], description: 'The answer the judge extracted, or `null`.' },
    reward: { type: 'number', description: 'The scalar reward: the sum of the weighted `parts`.' },
    parts: { type: 'object', additionalProperties: { type: 'number' }, description: 'The weighted parts of the reward (`answer`, `format`, `tool_error`, `truncation`, `partial_credit`, and any part a custom judge returns).' },
    success: { type: 'boolean', description: "The judge's verdict." },
    advantage: { type: ['number', 'null'], description: 'Training rollouts: the advantage used in the update (`null` when the group was dropped); otherwise `null`.' },
    role_advantages: { type: 'object', additionalProperties: { type: 'number' }, description: 'Multi-agent runs with `algorithm.group_by_role`: the advantage of each role\'s turns.' },
    tokens: { type: 'object', properties: { prompt: { type: 'number' }, completion: { type: 'number' } }, description: '`{prompt, completion}` summed over turns.' },
    flags: { type: 'array', items: { type: 'string', enum: FLAGS }, description: `Any of ${FLAGS.map((f) => `\`${f}\``).join(', ')}.` },
    judge: { type: 'object', description: '`{details?, error?, stack?}`.' },
    error: { type: 'object', description: '`{message, stack?, source}` when the workflow, judge, a tool or the model failed.' },
    timings: { type: 'object', description: '`{started, duration_ms, model_ms, tool_ms, judge_ms}`.' },
  },
} as const;

// The JSON Schema of a rollouts.jsonl line: the one definition of a rollout record. The
// trainer's types are derived from it (events.ts), the viewer checks each line against it
// (with ajv), and docs/run-format.md's rollouts table is generated from it
// (`npm run docs:run-format`; the fields of nested objects are listed from their schemas, with
// their descriptions). Every object is closed (`additionalProperties: false`), so the derived
// types have exactly the fields named here.
import { FLAGS, PHASES } from './constants';

const number = { type: 'number' } as const;
const flags = { type: 'array', items: { type: 'string', enum: FLAGS } } as const;

export const toolCallSchema = {
  type: 'object',
  required: ['id', 'name', 'arguments'],
  additionalProperties: false,
  properties: { id: { type: 'string' }, name: { type: 'string' }, arguments: { type: 'object' } },
} as const;

export const messageSchema = {
  type: 'object',
  required: ['role', 'content'],
  additionalProperties: false,
  properties: {
    role: { type: 'string', enum: ['system', 'user', 'assistant', 'tool'] },
    content: { type: 'string', description: 'assistant messages keep a leading `<think>…</think>` block as written (`splitThinking`)' },
    tool_calls: { type: 'array', items: toolCallSchema, description: 'assistant messages: the calls parsed from the content' },
    tool_call_id: { type: 'string', description: 'tool messages: the call answered' },
    name: { type: 'string' },
    error: { type: 'boolean', description: "tool messages: the tool's own report that the call failed, never read from the text; runs recorded before it was kept lack it, and `rejudge` then falls back to the rollout's `tool_error` flag" },
  },
} as const;

export const samplingSchema = {
  type: 'object',
  required: ['temperature', 'top_p', 'top_k'],
  additionalProperties: false,
  description: 'what the turn was sampled with; the update trains at its temperature',
  properties: { temperature: number, top_p: number, top_k: number },
} as const;

export const turnSchema = {
  type: 'object',
  required: ['index', 'role', 'message_index', 'prompt_tokens', 'completion_tokens', 'flags', 'duration_ms'],
  additionalProperties: false,
  properties: {
    index: number,
    role: { type: 'string', description: 'the agent role in multi-agent workflows, such as `tool_agent`; `agent` otherwise' },
    message_index: { type: 'number', description: 'index into `messages` of the assistant message the turn produced' },
    prompt_tokens: number,
    completion_tokens: number,
    tokens: { type: 'array', items: { type: 'string' }, description: 'the sampled tokens as text pieces' },
    token_ids: { type: 'array', items: number },
    logprobs: { type: 'array', items: number, description: 'of the sampled tokens, under the sampling policy' },
    sampling: samplingSchema,
    flags,
    format_error: { type: 'string' },
    tool_errors: { type: 'number', description: "how many of the turn's tool calls the tool reported as failed" },
    duration_ms: number,
  },
} as const;

/** The fields a reader cannot do without: the viewer skips a line that lacks one, and falls back for the rest. */
export const ESSENTIAL_FIELDS = ['id', 'step', 'task_id', 'sample', 'reward', 'success', 'messages'] as const;

export const rolloutSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://agent-tune.dev/schema/rollout.schema.json',
  title: 'Agent Tune rollout (one line of rollouts.jsonl)',
  type: 'object',
  required: [
    ...ESSENTIAL_FIELDS,
    'phase',
    'group_id',
    'question',
    'reference',
    'turns',
    'tool_calls',
    'final_answer',
    'parts',
    'advantage',
    'tokens',
    'flags',
    'timings',
  ],
  additionalProperties: false,
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
    messages: { type: 'array', items: messageSchema, description: 'The whole conversation.' },
    turns: { type: 'array', items: turnSchema, description: 'One entry per assistant turn.' },
    tool_calls: { type: 'number', description: 'Number of tool calls made.' },
    final_answer: { type: ['string', 'null'], description: 'The answer the judge extracted, or `null`.' },
    reward: { type: 'number', description: 'The scalar reward: the sum of the weighted `parts`.' },
    parts: { type: 'object', additionalProperties: number, description: 'The weighted parts of the reward (`answer`, `format`, `tool_error`, `truncation`, `partial_credit`, and any part a custom judge returns).' },
    success: { type: 'boolean', description: "The judge's verdict." },
    advantage: { type: ['number', 'null'], description: 'Training rollouts: the advantage used in the update (`null` when the group was dropped); otherwise `null`.' },
    role_advantages: { type: 'object', additionalProperties: number, description: 'Multi-agent runs with `algorithm.group_by_role`: the advantage of each role\'s turns.' },
    tokens: { type: 'object', required: ['prompt', 'completion'], additionalProperties: false, properties: { prompt: number, completion: number }, description: 'Token counts, summed over turns.' },
    flags: { ...flags, description: `Any of ${FLAGS.map((f) => `\`${f}\``).join(', ')}.` },
    judge: {
      type: 'object',
      additionalProperties: false,
      properties: { details: {}, error: { type: 'string' }, stack: { type: 'string' } },
      description: 'What the judge reported besides the reward.',
    },
    error: {
      type: 'object',
      required: ['message', 'source'],
      additionalProperties: false,
      properties: { message: { type: 'string' }, stack: { type: 'string' }, source: { type: 'string', enum: ['workflow', 'judge', 'tool', 'model'] } },
      description: 'When the workflow, the judge, a tool or the model failed.',
    },
    timings: {
      type: 'object',
      required: ['started', 'duration_ms', 'model_ms', 'tool_ms', 'judge_ms'],
      additionalProperties: false,
      properties: { started: number, duration_ms: number, model_ms: number, tool_ms: number, judge_ms: number },
      description: 'Milliseconds; `started` counts from the epoch.',
    },
  },
} as const;

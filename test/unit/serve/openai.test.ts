// The `openai` backend against `agent-tune serve` on loopback: both real processes, the same
// ONNX model in-process for comparison.
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { parseToolCalls } from '../../../trainer/src/agent/toolcalls';
import type { OnnxChatBackend } from '../../../trainer/src/model/backend';
import { OpenAIChatBackend } from '../../../trainer/src/model/openai';
import type { ChatRequest, SamplingParams } from '../../../trainer/src/model/types';
import type { Message } from '../../../trainer/src/run/events';
import { CALCULATOR_TOOL } from '../../../trainer/src/tools/schemas';
import { loadAdapter } from '../../../trainer/src/train/checkpoint';
import { LoraHead } from '../../../trainer/src/train/lora';
import { MODEL, openLocal, scriptedAdapter, serve, type Served } from './fixtures';
import { QUESTIONS } from '../model/fixtures';

const GREEDY: SamplingParams = { temperature: 0, top_p: 1, top_k: 0, max_new_tokens: 48, stop: [], seed: 0 };
const TOOL_PROMPT: Message[] = [
  { role: 'system', content: 'You are a careful math assistant. Use the calculator for arithmetic.' },
  { role: 'user', content: 'What is 48 + 27?' },
];
const TOOL_TEXT = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "48 + 27"}}\n</tool_call>';

function near(a: number[] | undefined, b: number[] | undefined, tol = 1e-4): void {
  assert.ok(a && b, 'both have logprobs');
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= tol, `logprob ${i}: ${x} vs ${b[i]}`));
}

describe('openai backend against agent-tune serve (real processes)', function () {
  this.timeout(180_000);
  let local: OnnxChatBackend;
  let adapterDir: string;
  let plain: Served;
  let scripted: Served;

  before(async () => {
    local = await openLocal();
    adapterDir = await scriptedAdapter(local, [{ messages: TOOL_PROMPT, tools: [CALCULATOR_TOOL], text: TOOL_TEXT }]);
    [plain, scripted] = await Promise.all([serve([MODEL, '--port', '0']), serve([MODEL, '--adapter', adapterDir, '--port', '0'])]);
  });
  after(async () => {
    await Promise.all([plain?.stop(), scripted?.stop()]);
    await local?.close();
    if (adapterDir) rmSync(adapterDir, { recursive: true, force: true });
  });

  const client = (s: Served, extra: Partial<ConstructorParameters<typeof OpenAIChatBackend>[0]> = {}) =>
    new OpenAIChatBackend({ baseUrl: s.url, model: s.model, maxRetries: 0, ...extra });

  it('lists the served model at /v1/models', async () => {
    const res = await fetch(`${plain.url}/models`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { object: string; data: { id: string; object: string }[] };
    assert.equal(body.object, 'list');
    assert.deepEqual(body.data.map((m) => [m.id, m.object]), [['tiny-math', 'model']]);
    assert.match(scripted.model, /^tiny-math\+agent-tune-script-/);
  });

  it('round-trips a tool call: structured tool_calls on the wire, Hermes markup in the result, the tool result rendered back', async () => {
    const tools = [CALCULATOR_TOOL];
    // On the wire: OpenAI's structured form.
    const res = await fetch(`${scripted.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: scripted.model, messages: TOOL_PROMPT, tools, temperature: 0 }),
    });
    const wire = (await res.json()) as { choices: { message: { content: string | null; tool_calls: { id: string; type: string; function: { name: string; arguments: string } }[] }; finish_reason: string }[] };
    const choice = wire.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    assert.equal(choice.message.tool_calls.length, 1);
    assert.equal(choice.message.tool_calls[0].type, 'function');
    assert.equal(choice.message.tool_calls[0].function.name, 'calculator');
    assert.deepEqual(JSON.parse(choice.message.tool_calls[0].function.arguments), { expression: '48 + 27' });

    // Through the backend: the same markup the model wrote, which the runtime parses as it parses a local turn.
    const backend = client(scripted);
    const r = await backend.chat({ messages: TOOL_PROMPT, tools, sampling: GREEDY });
    assert.equal(r.text, TOOL_TEXT);
    assert.equal(r.finish_reason, 'stop');
    const parsed = parseToolCalls(r.text, { turn: 0 });
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.calls, [{ id: 'call_0_0', name: 'calculator', arguments: { expression: '48 + 27' } }]);

    // Streamed, the call arrives as tool_calls deltas, never as content.
    const pieces: string[] = [];
    const streamed = await backend.chat({ messages: TOOL_PROMPT, tools, sampling: GREEDY, onText: (p) => void pieces.push(p) });
    assert.equal(streamed.text, TOOL_TEXT);
    assert.ok(!pieces.join('').includes('<tool_call>'), `streamed content: ${JSON.stringify(pieces.join(''))}`);

    // The second turn carries the call and its result; the server renders them with the model's template.
    const turn2: Message[] = [
      ...TOOL_PROMPT,
      { role: 'assistant', content: parsed.content, tool_calls: parsed.calls },
      { role: 'tool', content: '75', tool_call_id: parsed.calls[0].id, name: 'calculator' },
    ];
    const req: ChatRequest = { messages: turn2, tools, sampling: { ...GREEDY, max_new_tokens: 24 } };
    const served = await backend.chat(req);
    const a = loadAdapter(adapterDir, { vocab: local.engine.layout.vocab, hidden: local.engine.layout.hiddenSize });
    const lora = new LoraHead(local.engine.layout.hiddenSize, local.engine.layout.vocab, a.rank, a.alpha);
    lora.copyFrom(a.A, a.B);
    local.engine.logitHook = lora.hook;
    let here;
    try {
      here = await local.chat(req);
    } finally {
      local.engine.logitHook = undefined;
    }
    assert.equal(served.prompt_tokens, here.prompt_ids!.length, 'the server rendered the same prompt');
    assert.equal(served.text, here.text);
    assert.deepEqual(served.tokens, here.tokens);
  });

  it('streams text as it is sampled, with the same result as the whole answer and as the model in-process', async () => {
    const backend = client(plain);
    const req: ChatRequest = { messages: [{ role: 'user', content: QUESTIONS[1] }], tools: [CALCULATOR_TOOL], sampling: { ...GREEDY, temperature: 1, top_p: 0.95, seed: 7, max_new_tokens: 40 } };
    const pieces: string[] = [];
    const streamed = await backend.chat({ ...req, onText: (p) => void pieces.push(p) });
    const whole = await backend.chat(req);
    const here = await local.chat(req);
    assert.ok(pieces.length > 1, `${pieces.length} pieces`);
    assert.equal(pieces.join(''), streamed.text.split('<tool_call>')[0]);
    assert.equal(streamed.text, whole.text);
    assert.equal(streamed.text, here.text);
    assert.equal(streamed.completion_tokens, here.completion_tokens);
    assert.equal(streamed.prompt_tokens, here.prompt_tokens);
    near(streamed.logprobs, here.logprobs);

    // The wire format: server-sent events, chunk objects, usage last, then [DONE].
    const res = await fetch(`${plain.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: plain.model, messages: req.messages, stream: true, stream_options: { include_usage: true }, max_tokens: 8, seed: 1 }),
    });
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    assert.ok(events.every((e) => e.startsWith('data: ')));
    assert.equal(events[events.length - 1], 'data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id));
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    const usage = chunks[chunks.length - 1];
    assert.deepEqual(usage.choices, []);
    assert.equal(usage.usage.total_tokens, usage.usage.prompt_tokens + usage.usage.completion_tokens);
    assert.ok(chunks.some((c) => c.choices[0]?.finish_reason));
  });

  it('returns the sampled tokens and their logprobs, equal to the engine\'s, and records usage per turn', async () => {
    const backend = client(plain);
    for (const seed of [1, 2]) {
      const req: ChatRequest = { messages: [{ role: 'user', content: QUESTIONS[3] }], sampling: { ...GREEDY, temperature: 0.8, seed, max_new_tokens: 32 } };
      const r = await backend.chat(req);
      const here = await local.chat(req);
      assert.equal(r.logprobs!.length, r.completion_tokens);
      assert.deepEqual(r.tokens, here.tokens);
      near(r.logprobs, here.logprobs);
      assert.ok(r.logprobs!.every((x) => Number.isFinite(x) && x <= 0));
      assert.equal(r.prompt_tokens, here.prompt_ids!.length);
      if (r.finish_reason === 'stop') assert.equal(r.tokens!.join(''), `${r.text}<|im_end|>`);
    }
    assert.equal(backend.stats.requests, 2);
    assert.ok(backend.stats.prompt_tokens > 0 && backend.stats.completion_tokens > 0);
    const without = client(plain, { logprobs: false });
    const r = await without.chat({ messages: [{ role: 'user', content: QUESTIONS[0] }], sampling: GREEDY });
    assert.equal(r.logprobs, undefined);
    assert.ok(r.completion_tokens > 0, 'usage still counts the tokens');
  });

  it('serves 32 concurrent requests, each as the engine answers it', async () => {
    const backend = client(plain, { concurrency: 32 });
    const reqs: ChatRequest[] = Array.from({ length: 32 }, (_, i) => ({
      messages: [{ role: 'user', content: `${QUESTIONS[i % QUESTIONS.length]}${i >= QUESTIONS.length ? ` (${i})` : ''}` }],
      tools: [CALCULATOR_TOOL],
      sampling: { ...GREEDY, temperature: 1, seed: 100 + i, max_new_tokens: 32 },
    }));
    const served = await Promise.all(reqs.map((r) => backend.chat(r)));
    const here = await Promise.all(reqs.map((r) => local.chat(r)));
    served.forEach((r, i) => {
      assert.equal(r.text, here[i].text, `request ${i}`);
      assert.equal(r.completion_tokens, here[i].completion_tokens);
      assert.equal(r.prompt_tokens, here[i].prompt_tokens);
    });
    assert.equal(backend.stats.requests, 32);
    assert.equal(backend.stats.failures, 0);
    assert.equal(backend.stats.retries, 0);
  });

  it('ends a request whose signal aborts with finish_reason abort', async () => {
    const backend = client(plain);
    const ac = new AbortController();
    const r = await backend.chat({
      messages: [{ role: 'user', content: QUESTIONS[2] }],
      sampling: { ...GREEDY, temperature: 50, max_new_tokens: 2000 },
      signal: ac.signal,
      onText: () => ac.abort(),
    });
    assert.equal(r.finish_reason, 'abort');
    assert.equal(backend.stats.failures, 0);
  });
});

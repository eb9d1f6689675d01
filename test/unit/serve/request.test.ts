// What `agent-tune serve` accepts and refuses: OpenAI's error shape, the parameter named,
// and the request options it honours.
import { strict as assert } from 'node:assert';
import { ROOT, runCli } from '../../support/cli';
import { MODEL, serve, type Served } from './fixtures';

interface ErrorReply {
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe('agent-tune serve: requests', function () {
  this.timeout(120_000);
  let s: Served;
  before(async () => {
    s = await serve([MODEL, '--port', '0']);
  });
  after(async () => {
    await s?.stop();
  });

  const post = async (body: unknown, path = '/chat/completions') => {
    const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as ErrorReply & Record<string, unknown> };
  };
  const user = [{ role: 'user', content: 'What is 7 + 5?' }];

  it('refuses bad requests with 400 and an error naming the parameter', async () => {
    const cases: [unknown, string | null, RegExp][] = [
      ['{"model": "tiny-math", "messages": [', null, /^the request body is not valid JSON \(/],
      [[1, 2], 'body', /^body: expected a JSON object, got an array$/],
      [{ messages: user }, 'model', /^model: is required$/],
      [{ model: 'tiny-math' }, 'messages', /^messages: is required$/],
      [{ model: 'tiny-math', messages: [] }, 'messages', /^messages: must not be empty$/],
      [{ model: 'tiny-math', messages: 'hi' }, 'messages', /^messages: expected a list of messages, got a string$/],
      [{ model: 'tiny-math', messages: [{ role: 'robot', content: 'hi' }] }, 'messages[0].role', /expected "system", "developer", "user", "assistant" or "tool", got "robot"/],
      [{ model: 'tiny-math', messages: [{ role: 'user', content: 42 }] }, 'messages[0].content', /expected a string or a list of text parts, got a number/],
      [{ model: 'tiny-math', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'messages[0].content[0]', /only text parts .* are supported, got type "image_url"/],
      [{ model: 'tiny-math', messages: [...user, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'calculator', arguments: '{"expression": ' } }] }] }, 'messages[1].tool_calls[0].function.arguments', /not valid JSON/],
      [{ model: 'tiny-math', messages: user, tools: [{ type: 'function', function: { name: 'bad name!' } }] }, 'tools[0].function.name', /expected 1 to 64 letters/],
      [{ model: 'tiny-math', messages: user, temperature: -1 }, 'temperature', /must be at least 0, got -1/],
      [{ model: 'tiny-math', messages: user, top_p: 0 }, 'top_p', /must be greater than 0, got 0/],
      [{ model: 'tiny-math', messages: user, max_tokens: 0 }, 'max_tokens', /must be at least 1, got 0/],
      [{ model: 'tiny-math', messages: user, max_tokens: 2.5 }, 'max_tokens', /expected an integer, got 2.5/],
      [{ model: 'tiny-math', messages: user, n: 17 }, 'n', /must be at most 16/],
      [{ model: 'tiny-math', messages: user, stop: [1] }, 'stop', /expected a string or a list of strings/],
      [{ model: 'tiny-math', messages: user, stream: 'yes' }, 'stream', /expected true or false, got a string/],
      [{ model: 'tiny-math', messages: user, tool_choice: 'required' }, 'tool_choice', /only "auto" and "none" are supported/],
      [{ model: 'tiny-math', messages: user, top_logprobs: 5, logprobs: true }, 'top_logprobs', /is not supported by this server/],
      [{ model: 'tiny-math', messages: user, presence_penalty: 0.5 }, 'presence_penalty', /is not supported by this server \(only 0\)/],
      [{ model: 'tiny-math', messages: user, response_format: { type: 'json_object' } }, 'response_format', /only \{"type": "text"\} is supported/],
      [{ model: 'tiny-math', messages: [{ role: 'user', content: 'seven plus five '.repeat(700) }] }, 'messages', /^the prompt has \d+ tokens; this model's context is 2048 tokens$/],
    ];
    for (const [body, param, message] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, JSON.stringify(body).slice(0, 120));
      assert.equal(r.body.error.type, 'invalid_request_error');
      assert.equal(r.body.error.param, param);
      assert.match(r.body.error.message, message);
    }
  });

  it('answers 404 for an unknown model or path and 405 for a wrong method', async () => {
    const model = await post({ model: 'gpt-4o', messages: user });
    assert.equal(model.status, 404);
    assert.deepEqual(model.body.error, { message: 'the model "gpt-4o" does not exist here; this server serves "tiny-math"', type: 'not_found_error', param: 'model', code: 'model_not_found' });
    const path = await post({}, '/completions');
    assert.equal(path.status, 404);
    const get = await fetch(`${s.url}/chat/completions`);
    assert.equal(get.status, 405);
    const one = await fetch(`${s.url}/models/tiny-math`);
    assert.equal(((await one.json()) as { id: string }).id, 'tiny-math');
  });

  it('says plainly when its port is taken, the adapter is not a checkpoint, or a flag is out of range', async () => {
    const taken = await runCli(['serve', MODEL, '--port', String(s.port)]);
    assert.equal(taken.code, 1);
    assert.equal(taken.stderr.trim(), `agent-tune: 127.0.0.1:${s.port} is already in use; choose another --port (0 picks a free one)`);
    const adapter = await runCli(['serve', MODEL, '--port', '0', '--adapter', ROOT]);
    assert.equal(adapter.code, 1);
    assert.equal(adapter.stderr.trim(), `agent-tune: ${ROOT}: no adapter_model.safetensors; is this a checkpoint folder?`);
    const lanes = await runCli(['serve', MODEL, '--port', '0', '--lanes', '0']);
    assert.equal(lanes.code, 1);
    assert.equal(lanes.stderr.trim(), 'agent-tune: --lanes: expected an integer of at least 1, got "0"');
  });

  it('honours n, seed, stop, text parts and the developer role', async () => {
    const base = { model: 'tiny-math', messages: [{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: [{ type: 'text', text: 'What is ' }, { type: 'text', text: '7 + 5?' }] }], temperature: 1, max_tokens: 24 };
    const a = await post({ ...base, n: 3, seed: 5 });
    const b = await post({ ...base, n: 3, seed: 5 });
    assert.equal(a.status, 200);
    const texts = (r: typeof a) => (r.body.choices as { message: { content: string } }[]).map((c) => c.message.content);
    assert.deepEqual(texts(a), texts(b), 'the same seed gives the same choices');
    assert.equal(texts(a).length, 3);
    assert.deepEqual((a.body.choices as { index: number }[]).map((c) => c.index), [0, 1, 2]);
    const usage = a.body.usage as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    const greedy = await post({ ...base, temperature: 0 });
    const text = (greedy.body.choices as { message: { content: string } }[])[0].message.content;
    assert.ok(text.length > 2, text);
    const stop = text.slice(1, 3);
    const cut = await post({ ...base, temperature: 0, stop });
    const choice = (cut.body.choices as { message: { content: string }; finish_reason: string }[])[0];
    assert.equal(choice.message.content, text.slice(0, text.indexOf(stop)));
    assert.equal(choice.finish_reason, 'stop');
  });
});

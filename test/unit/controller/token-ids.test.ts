// `agent-tune serve` speaks vLLM's token-id dialect, so it can stand behind a gateway, and the
// append-only check reads requests the way the gateway's merging does.
import { strict as assert } from 'node:assert';
import { historyBreak, HistoryCheck } from '../../../trainer/src/controller/history';
import { ChatTemplate } from '../../../trainer/src/model/chat';
import { openModelFolder } from '../../../trainer/src/model/folder';
import { Tokenizer } from '../../../trainer/src/model/tokenizer';
import type { Message } from '../../../trainer/src/run/events';
import { MODEL, serve, type Served } from '../serve/fixtures';

describe('serve: vLLM token ids (return_token_ids)', function () {
  this.timeout(120_000);
  let server: Served;
  before(async () => {
    server = await serve([MODEL, '--port', '0', '--quiet']);
  });
  after(() => server?.stop());

  const messages: Message[] = [
    { role: 'system', content: 'You solve arithmetic.' },
    { role: 'user', content: 'What is 12 times 7?' },
  ];
  const post = async (extra: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: server.model, messages, max_tokens: 24, seed: 1, ...extra }) });
    assert.equal(res.status, 200);
    return (await res.json()) as { prompt_token_ids?: number[]; usage: { prompt_tokens: number; completion_tokens: number }; choices: { token_ids?: number[]; finish_reason: string; logprobs: { content: unknown[] } | null }[] };
  };

  it('returns the prompt\'s token ids at the top and each choice\'s sampled ids, end-of-turn included', async () => {
    const body = await post({ return_token_ids: true, logprobs: true, n: 2 });
    const folder = openModelFolder(MODEL);
    const tok = Tokenizer.fromDir(folder.dir);
    const prompt = tok.encode(ChatTemplate.fromConfig(folder.tokenizerConfig).render(messages, { addGenerationPrompt: true }));
    assert.deepEqual(body.prompt_token_ids, prompt);
    assert.equal(body.usage.prompt_tokens, prompt.length);
    const total = body.choices.reduce((n, c) => n + c.token_ids!.length, 0);
    assert.equal(total, body.usage.completion_tokens);
    for (const c of body.choices) {
      assert.equal(c.logprobs!.content.length, c.token_ids!.length);
      if (c.finish_reason !== 'length') assert.equal(c.token_ids![c.token_ids!.length - 1], tok.tokenId('<|im_end|>'));
    }
  });

  it('leaves them out unless asked, as vLLM does', async () => {
    const body = await post({});
    assert.equal(body.prompt_token_ids, undefined);
    assert.equal(body.choices[0].token_ids, undefined);
  });
});

describe('append-only history check', () => {
  const sys: Message = { role: 'system', content: 'S' };
  const user: Message = { role: 'user', content: 'Q' };
  const call = { id: 'call_0_0', name: 'calculator', arguments: { expression: '2+3' } };
  const answer = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "2+3"}}\n</tool_call>';

  it('accepts a request that repeats the last one, then the answer, then new messages', () => {
    const next: Message[] = [sys, user, { role: 'assistant', content: '', tool_calls: [{ ...call, id: 'other-id' }] }, { role: 'tool', content: '5', tool_call_id: 'other-id' }];
    assert.equal(historyBreak([sys, user], answer, next), undefined);
  });

  it('names the first message that was changed, dropped, or an answer that was edited', () => {
    assert.match(historyBreak([sys, user], 'Ten.', [{ ...sys, content: 'T' }, user, { role: 'assistant', content: 'Ten.' }])!, /^message 0 was system "S" in the previous request and is system "T" now/);
    assert.match(historyBreak([sys, user], 'Ten.', [sys])!, /^message 1 was user "Q" in the previous request and is nothing now/);
    assert.match(historyBreak([sys, user], 'Ten.', [sys, user, { role: 'assistant', content: '10' }])!, /^message 2 should be the model's previous answer assistant "Ten\.", but is assistant "10"/);
  });

  it('reports a rollout once, at the first turn that breaks the rule', () => {
    const h = new HistoryCheck();
    assert.equal(h.request([sys, user]), undefined);
    h.answer('A');
    assert.equal(h.request([sys, user, { role: 'assistant', content: 'A' }, { role: 'user', content: 'more' }]), undefined);
    h.answer('B');
    assert.match(h.request([sys, { role: 'user', content: 'again' }])!, /^turn 2 does not extend turn 1: message 1/);
    h.answer('C');
    assert.equal(h.request([user]), undefined);
    assert.match(h.broken!, /^turn 2/);
  });
});

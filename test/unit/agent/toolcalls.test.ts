import { strict as assert } from 'node:assert';
import { parseToolCalls, formatErrorText } from '../../../trainer/src/agent/toolcalls';

const calc = (expression: string) => ({ name: 'calculator', arguments: { expression } });
const strip = (calls: { id: string; name: string; arguments: Record<string, unknown> }[]) => calls.map(({ name, arguments: a }) => ({ name, arguments: a }));

describe('tool-call parsing', () => {
  describe('Hermes tags', () => {
    it('reads a well-formed call and keeps the text before it', () => {
      const r = parseToolCalls('Let me compute.\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "(12 + 7) * 3"}}\n</tool_call>', { turn: 2 });
      assert.equal(r.content, 'Let me compute.');
      assert.deepEqual(r.calls, [{ id: 'call_2_0', ...calc('(12 + 7) * 3') }]);
      assert.deepEqual(r.errors, []);
    });
    it('generates ids from the turn and the call index', () => {
      const r = parseToolCalls('<tool_call>{"name": "a", "arguments": {}}</tool_call><tool_call>{"name": "b", "arguments": {}}</tool_call>', { turn: 7 });
      assert.deepEqual(r.calls.map((c) => c.id), ['call_7_0', 'call_7_1']);
      assert.deepEqual(parseToolCalls('<tool_call>{"name": "a", "arguments": {}}</tool_call>').calls[0].id, 'call_0_0');
    });
    it('reads several calls in one message, in order', () => {
      const r = parseToolCalls('First <tool_call>{"name": "calculator", "arguments": {"expression": "1+1"}}</tool_call> then\n<tool_call>{"name": "execute_python_code", "arguments": {"code": "print(2)"}}</tool_call>');
      assert.deepEqual(strip(r.calls), [calc('1+1'), { name: 'execute_python_code', arguments: { code: 'print(2)' } }]);
      assert.equal(r.content, 'First  then');
    });
    it('reads a list of calls in one block', () => {
      const r = parseToolCalls('<tool_call>[{"name": "a", "arguments": {"x": 1}}, {"name": "b", "arguments": {"y": 2}}]</tool_call>');
      assert.deepEqual(strip(r.calls), [{ name: 'a', arguments: { x: 1 } }, { name: 'b', arguments: { y: 2 } }]);
    });
    it('reads the OpenAI shape {type, function: {name, arguments}}', () => {
      const r = parseToolCalls('<tool_call>{"type": "function", "function": {"name": "calculator", "arguments": "{\\"expression\\": \\"2^10\\"}"}}</tool_call>');
      assert.deepEqual(strip(r.calls), [calc('2^10')]);
    });
    it('accepts "parameters" for "arguments" and a missing arguments object', () => {
      assert.deepEqual(strip(parseToolCalls('<tool_call>{"name": "calculator", "parameters": {"expression": "1"}}</tool_call>').calls), [calc('1')]);
      assert.deepEqual(strip(parseToolCalls('<tool_call>{"name": "now"}</tool_call>').calls), [{ name: 'now', arguments: {} }]);
    });
  });

  describe('unclosed tags', () => {
    it('reads a call whose closing tag never came', () => {
      const r = parseToolCalls('<tool_call>{"name": "calculator", "arguments": {"expression": "2+2"}}');
      assert.deepEqual(strip(r.calls), [calc('2+2')]);
      assert.equal(r.content, '');
      assert.deepEqual(r.errors, []);
    });
    it('reads two unclosed calls, each ending at the next tag', () => {
      const r = parseToolCalls('<tool_call>{"name": "a", "arguments": {"x": 1}}\n<tool_call>{"name": "b", "arguments": {"y": 2}}');
      assert.deepEqual(strip(r.calls), [{ name: 'a', arguments: { x: 1 } }, { name: 'b', arguments: { y: 2 } }]);
    });
    it('closes the outer brace a model forgot', () => {
      const r = parseToolCalls('<tool_call>{"name": "calculator", "arguments": {"expression": "9*9"}\n</tool_call>');
      assert.deepEqual(strip(r.calls), [calc('9*9')]);
      assert.deepEqual(r.errors, []);
    });
    it('refuses a call cut off inside a string rather than running half of it', () => {
      const r = parseToolCalls('<tool_call>{"name": "execute_python_code", "arguments": {"code": "print({1: 2}');
      assert.deepEqual(r.calls, []);
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0], /cut off inside a string/);
    });
    it('drops a stray closing tag', () => {
      assert.equal(parseToolCalls('The answer is 4.</tool_call>').content, 'The answer is 4.');
    });
  });

  describe('JSON followed by text', () => {
    it('keeps text after an unclosed call in the content', () => {
      const r = parseToolCalls('<tool_call>{"name": "calculator", "arguments": {"expression": "2+2"}}\nLet\'s wait for the result.');
      assert.deepEqual(strip(r.calls), [calc('2+2')]);
      assert.equal(r.content, "Let's wait for the result.");
    });
    it('keeps text after the JSON inside a closed block', () => {
      const r = parseToolCalls('<tool_call>{"name": "calculator", "arguments": {"expression": "5-1"}} this gives the change</tool_call>');
      assert.deepEqual(strip(r.calls), [calc('5-1')]);
      assert.equal(r.content, 'this gives the change');
    });
    it('reads an unclosed call missing its outer brace and followed by text with an apostrophe', () => {
      const r = parseToolCalls('<tool_call>{"name": "calculator", "arguments": {"expression": "2+2"}\nLet\'s see.');
      assert.deepEqual(strip(r.calls), [calc('2+2')]);
      assert.equal(r.content, "Let's see.");
    });
    it('ignores an extra closing brace', () => {
      const r = parseToolCalls('<tool_call>{"name": "calculator", "arguments": {"expression": "1"}}}</tool_call>');
      assert.deepEqual(strip(r.calls), [calc('1')]);
      assert.equal(r.content, '');
    });
  });

  describe('code fences', () => {
    it('reads a call in a ```json fence inside tags', () => {
      const r = parseToolCalls('<tool_call>\n```json\n{"name": "calculator", "arguments": {"expression": "3*4"}}\n```\n</tool_call>');
      assert.deepEqual(strip(r.calls), [calc('3*4')]);
      assert.equal(r.content, '');
    });
    it('reads a call in a ```json fence without tags', () => {
      const r = parseToolCalls('I will call:\n```json\n{"name": "calculator", "arguments": {"expression": "3*4"}}\n```\nThen answer.');
      assert.deepEqual(strip(r.calls), [calc('3*4')]);
      assert.equal(r.content, 'I will call:\n\nThen answer.');
    });
    it('reads tags wrapped in a fence', () => {
      const r = parseToolCalls('```\n<tool_call>{"name": "calculator", "arguments": {"expression": "8/2"}}</tool_call>\n```');
      assert.deepEqual(strip(r.calls), [calc('8/2')]);
      assert.equal(r.content, '');
    });
    it('reads several fenced calls', () => {
      const r = parseToolCalls('```json\n{"name": "a", "arguments": {}}\n```\nand\n```json\n{"name": "b", "arguments": {}}\n```');
      assert.deepEqual(r.calls.map((c) => c.name), ['a', 'b']);
    });
    it('leaves fenced code that is not a call alone', () => {
      const text = 'Here is the data:\n```json\n{"total": 5}\n```\n```python\nprint({"name": "x", "arguments": {}})\n```';
      const r = parseToolCalls(text);
      assert.deepEqual(r.calls, []);
      assert.deepEqual(r.errors, []);
      assert.equal(r.content, text);
    });
    it('reads a bare call object on its own line', () => {
      const r = parseToolCalls('Computing:\n{"name": "calculator", "arguments": {"expression": "7*6"}}');
      assert.deepEqual(strip(r.calls), [calc('7*6')]);
      assert.equal(r.content, 'Computing:');
    });
  });

  describe('arguments given as a JSON string', () => {
    it('decodes them', () => {
      const r = parseToolCalls('<tool_call>{"name": "calculator", "arguments": "{\\"expression\\": \\"5/2\\"}"}</tool_call>');
      assert.deepEqual(strip(r.calls), [calc('5/2')]);
    });
    it('decodes a string with single quotes', () => {
      const r = parseToolCalls(`<tool_call>{"name": "calculator", "arguments": "{'expression': '5/2'}"}</tool_call>`);
      assert.deepEqual(strip(r.calls), [calc('5/2')]);
    });
    it('treats an empty string as no arguments', () => {
      assert.deepEqual(strip(parseToolCalls('<tool_call>{"name": "now", "arguments": ""}</tool_call>').calls), [{ name: 'now', arguments: {} }]);
    });
    it('refuses a string that is not an object', () => {
      const r = parseToolCalls('<tool_call>{"name": "calculator", "arguments": "2+2"}</tool_call>');
      assert.deepEqual(r.calls, []);
      assert.deepEqual(r.errors, ['the arguments of calculator must be a JSON object, got the string "2+2"']);
    });
  });

  describe('recoverable JSON mistakes', () => {
    it('trailing commas', () => {
      assert.deepEqual(strip(parseToolCalls('<tool_call>{"name": "calculator", "arguments": {"expression": "1+1",},}</tool_call>').calls), [calc('1+1')]);
    });
    it('single quotes', () => {
      assert.deepEqual(strip(parseToolCalls("<tool_call>{'name': 'calculator', 'arguments': {'expression': '1+1'}}</tool_call>").calls), [calc('1+1')]);
    });
    it('unquoted keys', () => {
      assert.deepEqual(strip(parseToolCalls('<tool_call>{name: "calculator", arguments: {expression: "1+1"}}</tool_call>').calls), [calc('1+1')]);
    });
    it('raw newlines inside a code string', () => {
      const r = parseToolCalls('<tool_call>{"name": "execute_python_code", "arguments": {"code": "x = 6 * 7\nprint(x)"}}</tool_call>');
      assert.deepEqual(strip(r.calls), [{ name: 'execute_python_code', arguments: { code: 'x = 6 * 7\nprint(x)' } }]);
    });
    it('Python literals', () => {
      const r = parseToolCalls('<tool_call>{"name": "f", "arguments": {"a": True, "b": None}}</tool_call>');
      assert.deepEqual(strip(r.calls), [{ name: 'f', arguments: { a: true, b: null } }]);
    });
    it('apostrophes inside double-quoted strings', () => {
      const r = parseToolCalls(`<tool_call>{"name": "execute_python_code", "arguments": {"code": "print('it\\'s')"}}</tool_call>`);
      assert.equal(r.calls.length, 1);
      assert.equal(r.calls[0].arguments.code, "print('it's')");
    });
  });

  describe('errors', () => {
    it('a block that is not JSON', () => {
      const r = parseToolCalls('<tool_call>calculator(2+2)</tool_call>');
      assert.deepEqual(r.calls, []);
      assert.deepEqual(r.errors, ['expected a JSON object after <tool_call>, got calculator(2+2)']);
    });
    it('an empty block', () => {
      assert.deepEqual(parseToolCalls('<tool_call></tool_call>').errors, ['the <tool_call> block is empty']);
    });
    it('a call without a name', () => {
      assert.match(parseToolCalls('<tool_call>{"arguments": {"e": 1}}</tool_call>').errors[0], /has no "name"/);
    });
    it('arguments that are not an object', () => {
      assert.match(parseToolCalls('<tool_call>{"name": "f", "arguments": [1, 2]}</tool_call>').errors[0], /must be a JSON object, got \[1,2\]/);
    });
    it('JSON beyond repair', () => {
      const r = parseToolCalls('<tool_call>{"name": "f", "arguments": {"a": 1 2 3 ]]] }}</tool_call>');
      assert.equal(r.calls.length, 0);
      assert.match(r.errors[0], /not valid JSON/);
    });
    it('what parses runs next to what does not', () => {
      const r = parseToolCalls('<tool_call>{"name": "calculator", "arguments": {"expression": "1"}}</tool_call><tool_call>oops</tool_call>');
      assert.deepEqual(strip(r.calls), [calc('1')]);
      assert.equal(r.errors.length, 1);
    });
    it('a plain answer has no calls and no errors', () => {
      assert.deepEqual(parseToolCalls('The answer is 42.'), { content: 'The answer is 42.', calls: [], errors: [] });
    });
    it('fills the configured format-error message', () => {
      assert.equal(formatErrorText('Error: {error}. Try again.', ['the <tool_call> block is empty']), 'Error: the <tool_call> block is empty. Try again.');
    });
  });
});

// Turning chat text and foreign message shapes into our Message type. Shared by the importers.
import type { Message, Role, ToolCall } from '../events';

const ROLES = new Set<Role>(['system', 'user', 'assistant', 'tool']);
const asRole = (r: unknown): Role => (typeof r === 'string' && ROLES.has(r as Role) ? (r as Role) : 'user');

/**
 * Splits a rendered chat prompt into messages. Understands ChatML (`<|im_start|>role … <|im_end|>`),
 * Llama 3 headers, and ChatML whose special tokens were stripped by `skip_special_tokens`
 * (a line holding only the role name opens each message). Anything else is one user message.
 */
export function splitChatText(text: string): Message[] {
  const chatml = [...text.matchAll(/<\|im_start\|>(\w+)\n([\s\S]*?)(?:<\|im_end\|>|$)/g)];
  if (chatml.length) return chatml.map((m) => ({ role: asRole(m[1]), content: m[2].trim() })).filter((m) => m.content || m.role !== 'assistant');
  const llama = [...text.matchAll(/<\|start_header_id\|>(\w+)<\|end_header_id\|>\n*([\s\S]*?)(?:<\|eot_id\|>|$)/g)];
  if (llama.length) return llama.map((m) => ({ role: asRole(m[1]), content: m[2].trim() })).filter((m) => m.content || m.role !== 'assistant');
  if (/^(system|user)\n/.test(text)) {
    const parts = text.split(/(?:^|\n)(system|user|assistant|tool)\n/);
    const out: Message[] = [];
    for (let i = 1; i < parts.length; i += 2) {
      const content = (parts[i + 1] ?? '').trim();
      if (content || parts[i] !== 'assistant') out.push({ role: asRole(parts[i]), content });
    }
    if (out.length) return out;
  }
  return [{ role: 'user', content: text }];
}

/** Parses `<tool_call>{"name":…,"arguments":…}</tool_call>` blocks (Hermes/Qwen style); ids are `call_<n>` from `first`. */
export function toolCallsIn(text: string, first = 1): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const m of text.matchAll(/<tool_call>([\s\S]*?)<\/tool_call>/g)) {
    const id = `call_${first + calls.length}`;
    try {
      const v = JSON.parse(m[1]) as { name?: unknown; arguments?: unknown };
      calls.push({ id, name: String(v.name ?? ''), arguments: argsObject(v.arguments) });
    } catch {
      calls.push({ id, name: '(unparsed)', arguments: { text: m[1].trim() } });
    }
  }
  return calls;
}

/**
 * A model response that may contain tool calls and the tool responses a multi-turn rollout
 * spliced into it (`<tool_response>…</tool_response>`): split into assistant and tool messages,
 * each tool response answering the oldest unanswered call.
 */
export function splitResponse(text: string): Message[] {
  const out: Message[] = [];
  const unanswered: ToolCall[] = [];
  let calls = 0;
  const pieces = text.split(/<tool_response>([\s\S]*?)<\/tool_response>/);
  for (let i = 0; i < pieces.length; i++) {
    if (i % 2 === 1) {
      const call = unanswered.shift();
      out.push({ role: 'tool', content: pieces[i].trim(), ...(call ? { tool_call_id: call.id, name: call.name } : {}) });
      continue;
    }
    // Strip the role lines a chat template leaves around spliced tool responses.
    const content = pieces[i]
      .replace(/<\|im_start\|>(user|assistant)\n?|<\|im_end\|>/g, '')
      .replace(/^\s*assistant\n/, '')
      .replace(/\n(user|tool)\s*$/, '')
      .trim();
    if (!content && i > 0) continue;
    const found = toolCallsIn(content, calls + 1);
    calls += found.length;
    unanswered.push(...found);
    out.push(found.length ? { role: 'assistant', content, tool_calls: found } : { role: 'assistant', content });
  }
  return out;
}

export function argsObject(a: unknown): Record<string, unknown> {
  if (typeof a === 'string') {
    try {
      const v = JSON.parse(a) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
    } catch {
      return { text: a };
    }
  }
  return a && typeof a === 'object' && !Array.isArray(a) ? (a as Record<string, unknown>) : a === undefined ? {} : { value: a };
}

/**
 * One message in OpenAI chat format (`tool_calls: [{id, function: {name, arguments}}]`) or
 * AgentScope block format (`content: [{type: text|tool_use|tool_result, …}]`).
 */
export function fromChatMessage(m: unknown): Message {
  const v = (m && typeof m === 'object' ? m : {}) as Record<string, unknown>;
  const role = asRole(v.role);
  if (Array.isArray(v.content)) {
    const text: string[] = [];
    const calls: ToolCall[] = [];
    let result: { id: string; output: string } | undefined;
    for (const b of v.content as Record<string, unknown>[]) {
      if (!b || typeof b !== 'object') continue;
      if (b.type === 'text') text.push(String(b.text ?? ''));
      else if (b.type === 'tool_use') calls.push({ id: String(b.id ?? ''), name: String(b.name ?? ''), arguments: argsObject(b.input) });
      else if (b.type === 'tool_result') result = { id: String(b.id ?? ''), output: typeof b.output === 'string' ? b.output : JSON.stringify(b.output) };
    }
    if (result) return { role: 'tool', content: result.output, tool_call_id: result.id };
    const msg: Message = { role, content: text.join('') };
    if (calls.length) msg.tool_calls = calls;
    return msg;
  }
  const msg: Message = { role, content: typeof v.content === 'string' ? v.content : v.content == null ? '' : JSON.stringify(v.content) };
  if (Array.isArray(v.tool_calls) && v.tool_calls.length) {
    msg.tool_calls = (v.tool_calls as Record<string, unknown>[]).map((c) => {
      const f = (c.function && typeof c.function === 'object' ? c.function : c) as Record<string, unknown>;
      return { id: String(c.id ?? ''), name: String(f.name ?? ''), arguments: argsObject(f.arguments) };
    });
  }
  if (typeof v.tool_call_id === 'string' && v.tool_call_id) {
    msg.role = 'tool';
    msg.tool_call_id = v.tool_call_id;
  }
  if (typeof v.name === 'string' && role === 'tool') msg.name = v.name;
  return msg;
}

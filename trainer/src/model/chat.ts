// Chat prompts from a model's own `chat_template` (tokenizer_config.json), rendered with
// @huggingface/jinja, plus the Hermes/Qwen tool-call markup the template writes for assistant
// tool calls. Our Message keeps the raw assistant text (markup included) and the parsed calls;
// the template wants OpenAI-style `tool_calls` and the text without the markup, so `toTemplate`
// converts, and re-rendering a sampled turn gives back the text the model wrote.
import { Template } from '@huggingface/jinja';
import { splitThinking } from '../agent/toolcalls';
import type { Message, ToolCall } from '../run/events';
import type { ToolSchema } from './types';

export interface RenderOptions {
  tools?: ToolSchema[];
  /** Append the header of a new assistant turn (`<|im_start|>assistant\n` for ChatML). */
  addGenerationPrompt?: boolean;
}

/** The fields of tokenizer_config.json that rendering reads. */
export interface ChatTemplateConfig {
  chat_template?: string | { name: string; template: string }[];
  bos_token?: unknown;
  eos_token?: unknown;
  pad_token?: unknown;
}

interface TemplateMessage {
  role: string;
  content: string;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: Record<string, unknown> } }[];
  tool_call_id?: string;
  name?: string;
}

const TOOL_CALL_BLOCK = /\s*<tool_call>[\s\S]*?<\/tool_call>/g;

// The template's own `tojson`, so arguments serialise exactly as rendered prompts show them
// (Python json.dumps spacing: `{"a": 1, "b": [1, 2]}`).
const toJson = new Template('{{ value | tojson }}');

/** `value` as the template's `tojson` filter writes it. */
export function templateJson(value: unknown): string {
  return toJson.render({ value });
}

/** The markup of one tool call, exactly as the Hermes/Qwen template renders it in an assistant turn. */
export function formatToolCall(call: { name: string; arguments: Record<string, unknown> }): string {
  return `<tool_call>\n{"name": "${call.name}", "arguments": ${templateJson(call.arguments)}}\n</tool_call>`;
}

/** The raw assistant text for an optional preamble followed by tool calls, as the template renders it. */
export function formatAssistantToolCalls(content: string, calls: { name: string; arguments: Record<string, unknown> }[]): string {
  return [content, ...calls.map(formatToolCall)].filter((s) => s !== '').join('\n');
}

function tokenText(token: unknown): string | undefined {
  if (typeof token === 'string') return token;
  if (token && typeof token === 'object' && typeof (token as { content?: unknown }).content === 'string') return (token as { content: string }).content;
  return undefined;
}

function toTemplate(m: Message): TemplateMessage {
  const out: TemplateMessage = { role: m.role, content: m.content ?? '' };
  if (m.role === 'assistant' && m.tool_calls && m.tool_calls.length > 0) {
    // Markup inside a thinking block is thought and stays; the calls after it are rendered.
    const { head, rest } = splitThinking(out.content);
    out.content = [head.trim(), rest.replace(TOOL_CALL_BLOCK, '').trim()].filter(Boolean).join('\n\n');
    out.tool_calls = m.tool_calls.map((c: ToolCall) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
  if (m.tool_call_id !== undefined) out.tool_call_id = m.tool_call_id;
  if (m.name !== undefined) out.name = m.name;
  return out;
}

export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    private readonly specials: { bos_token?: string; eos_token?: string; pad_token?: string } = {},
  ) {
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new Error(`chat_template does not parse: ${(e as Error).message}`);
    }
  }

  /** The default template of a tokenizer_config.json; `where` names the file in errors. */
  static fromConfig(config: ChatTemplateConfig, where = 'tokenizer_config.json'): ChatTemplate {
    let source = config.chat_template;
    if (Array.isArray(source)) source = source.find((t) => t.name === 'default')?.template ?? source[0]?.template;
    if (typeof source !== 'string' || source === '') throw new Error(`${where}: expected a "chat_template" string`);
    try {
      return new ChatTemplate(source, {
        bos_token: tokenText(config.bos_token),
        eos_token: tokenText(config.eos_token),
        pad_token: tokenText(config.pad_token),
      });
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  }

  render(messages: Message[], options: RenderOptions = {}): string {
    const context: Record<string, unknown> = {
      messages: messages.map(toTemplate),
      add_generation_prompt: options.addGenerationPrompt ?? false,
      ...this.specials,
    };
    // Templates test `if tools`; an empty list must read as no tools.
    if (options.tools && options.tools.length > 0) context.tools = options.tools;
    return this.template.render(context);
  }
}

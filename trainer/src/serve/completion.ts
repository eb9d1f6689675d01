// One Chat Completions request against the local model: the prompt checked against the
// context, each of the `n` choices generated (the engine batches them with every other
// request in flight), and the text turned into the API's message, with the tool calls read
// by the same parser the rollout runtime uses.
import { randomBytes } from 'node:crypto';
import { parseToolCalls } from '../agent/toolcalls';
import type { OnnxChatBackend } from '../model/backend';
import type { ChatCompletion, ChatCompletionChunk, TokenLogprob, WireFinishReason, WireToolCall } from '../model/openai-wire';
import type { ChatResult } from '../model/types';
import { HttpError } from './errors';
import type { ParsedRequest } from './request';

/** Generation length when the request sets none and the model states no context size. */
const DEFAULT_MAX_TOKENS = 4096;
const TOOL_OPEN = '<tool_call>';

export interface Choice {
  content: string | null;
  toolCalls: WireToolCall[];
  finish: WireFinishReason;
}

export function completionId(): string {
  return `chatcmpl-${randomBytes(12).toString('hex')}`;
}

/** The prompt's length, and how many tokens may follow it. */
export function budget(backend: OnnxChatBackend, req: ParsedRequest): { promptTokens: number; maxNewTokens: number } {
  let prompt: string;
  try {
    prompt = backend.template.render(req.messages, { tools: req.tools, addGenerationPrompt: true });
  } catch (e) {
    throw new HttpError(400, `the model's chat template cannot render these messages: ${(e as Error).message}`, 'messages');
  }
  const promptTokens = backend.tokenizer.encode(prompt).length;
  const context = backend.engine.folder.config.max_position_embeddings;
  if (context !== undefined && promptTokens >= context) {
    throw new HttpError(400, `the prompt has ${promptTokens} tokens; this model's context is ${context} tokens`, 'messages', 'context_length_exceeded');
  }
  const room = context !== undefined ? context - promptTokens : DEFAULT_MAX_TOKENS;
  return { promptTokens, maxNewTokens: Math.min(req.maxTokens ?? room, room) };
}

/** The text a model wrote as an API message: tool calls parsed out when the request offered tools. */
export function toChoice(r: ChatResult, req: ParsedRequest, turn = 0): Choice {
  const finish: WireFinishReason = r.finish_reason === 'length' ? 'length' : 'stop';
  if (!req.parseTools) return { content: r.text, toolCalls: [], finish };
  const parsed = parseToolCalls(r.text, { turn });
  // A call that does not parse leaves the raw text, so the client sees what the model wrote.
  if (parsed.errors.length || parsed.calls.length === 0) return { content: r.text, toolCalls: [], finish };
  const toolCalls: WireToolCall[] = parsed.calls.map((c) => ({
    id: `call_${randomBytes(8).toString('hex')}`,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }));
  return { content: parsed.content === '' ? null : parsed.content, toolCalls, finish: finish === 'length' ? 'length' : 'tool_calls' };
}

export function tokenLogprobs(r: ChatResult): TokenLogprob[] {
  const tokens = r.tokens ?? [];
  return (r.logprobs ?? []).map((logprob, i) => ({ token: tokens[i] ?? '', logprob, bytes: [...Buffer.from(tokens[i] ?? '', 'utf8')], top_logprobs: [] }));
}

/**
 * vLLM's token-id dialect (`return_token_ids: true`): `prompt_token_ids` at the top and
 * `token_ids` in each choice, the sampled tokens with the end-of-turn token that stopped
 * them, as vLLM returns them and the Agent Lightning gateway records them.
 */
export interface TokenIds {
  prompt_token_ids?: number[];
}

export function completionBody(id: string, created: number, model: string, results: ChatResult[], req: ParsedRequest, promptTokens: number): ChatCompletion & TokenIds {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: results.map((r, index) => {
      const c = toChoice(r, req);
      return {
        index,
        message: { role: 'assistant', content: c.content, ...(c.toolCalls.length ? { tool_calls: c.toolCalls } : {}) },
        logprobs: req.logprobs ? { content: tokenLogprobs(r) } : null,
        finish_reason: c.finish,
        ...(req.returnTokenIds ? { token_ids: r.token_ids ?? [] } : {}),
      };
    }),
    usage: usage(promptTokens, results),
    ...(req.returnTokenIds ? { prompt_token_ids: results[0]?.prompt_ids ?? [] } : {}),
  };
}

export function usage(promptTokens: number, results: ChatResult[]): ChatCompletion['usage'] {
  const completion = results.reduce((n, r) => n + r.completion_tokens, 0);
  return { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion };
}

/**
 * The chunks of one streamed choice. Text streams as content until a `<tool_call>` starts
 * (a possible start is held back); what follows is read as tool calls when the choice ends.
 */
export class ChoiceStream {
  private emitted = '';
  private seen = '';
  private inCalls = false;

  constructor(
    private readonly index: number,
    private readonly req: ParsedRequest,
    private readonly send: (choice: ChatCompletionChunk['choices'][number]) => void,
  ) {}

  start(): void {
    this.send({ index: this.index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null });
  }

  text(piece: string): void {
    this.seen += piece;
    if (this.inCalls) return;
    let upTo = this.seen.length;
    if (this.req.parseTools) {
      const at = this.seen.indexOf(TOOL_OPEN, Math.max(0, this.emitted.length - TOOL_OPEN.length));
      if (at >= 0) {
        this.inCalls = true;
        upTo = at;
      } else {
        upTo -= heldBack(this.seen);
      }
    }
    this.content(this.seen.slice(this.emitted.length, upTo));
  }

  finish(r: ChatResult): void {
    const c = toChoice(r, this.req);
    if (c.toolCalls.length) {
      // Text the parser kept besides the calls (after them, say) that has not gone out yet.
      const before = this.emitted.trimEnd();
      const rest = c.content ?? '';
      if (rest.startsWith(before) && rest.length > before.length) this.content(rest.slice(before.length));
      c.toolCalls.forEach((call, i) => this.send({ index: this.index, delta: { tool_calls: [{ index: i, id: call.id, type: 'function', function: call.function }] }, logprobs: null, finish_reason: null }));
    } else {
      this.content(r.text.slice(this.emitted.length));
    }
    this.send({ index: this.index, delta: {}, logprobs: this.req.logprobs ? { content: tokenLogprobs(r) } : null, finish_reason: c.finish });
  }

  private content(text: string): void {
    if (text === '') return;
    this.emitted += text;
    this.send({ index: this.index, delta: { content: text }, logprobs: null, finish_reason: null });
  }
}

/** Length of the longest tail of `text` that could begin `<tool_call>`. */
function heldBack(text: string): number {
  for (let k = Math.min(TOOL_OPEN.length - 1, text.length); k > 0; k--) if (text.endsWith(TOOL_OPEN.slice(0, k))) return k;
  return 0;
}

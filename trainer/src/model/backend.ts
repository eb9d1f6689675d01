// A ChatBackend over a local ONNX causal LM: the model's chat template renders the prompt,
// its tokenizer encodes it, and the engine generates until an end-of-turn token, a stop
// string or max_new_tokens.
import { performance } from 'node:perf_hooks';
import { ChatTemplate } from './chat';
import { Engine, type EngineOptions } from './engine';
import { eosTokenIds, openModelFolder } from './folder';
import { Tokenizer } from './tokenizer';
import type { ChatBackend, ChatRequest, ChatResult } from './types';

/** Length of the longest tail of `text` that begins some stop string (held back from streaming). */
function partialStop(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const s of stops) {
    for (let k = Math.min(s.length - 1, text.length); k > longest; k--) {
      if (text.endsWith(s.slice(0, k))) {
        longest = k;
        break;
      }
    }
  }
  return longest;
}

export class OnnxChatBackend implements ChatBackend {
  private readonly stopIds: number[];

  constructor(
    readonly name: string,
    readonly engine: Engine,
    readonly tokenizer: Tokenizer,
    readonly template: ChatTemplate,
  ) {
    const ids = new Set([...engine.eosTokenIds, ...tokenizer.eosIds]);
    const imEnd = tokenizer.tokenId('<|im_end|>');
    if (imEnd !== undefined) ids.add(imEnd);
    this.stopIds = [...ids];
  }

  /** Opens a model folder or `builtin:NAME`. */
  static async open(ref: string, opts: EngineOptions & { cwd?: string } = {}): Promise<OnnxChatBackend> {
    const folder = openModelFolder(ref, opts.cwd);
    const tokenizer = Tokenizer.fromDir(folder.dir);
    const template = ChatTemplate.fromConfig(folder.tokenizerConfig, folder.tokenizerConfigFile);
    const eos = [...new Set([...(opts.eosTokenIds ?? eosTokenIds(folder)), ...tokenizer.eosIds])];
    const engine = await Engine.open(folder, { ...opts, eosTokenIds: eos });
    return new OnnxChatBackend(ref, engine, tokenizer, template);
  }

  async chat(req: ChatRequest): Promise<ChatResult> {
    const started = performance.now();
    const prompt = this.template.render(req.messages, { tools: req.tools, addGenerationPrompt: true });
    const promptIds = this.tokenizer.encode(prompt);
    const s = req.sampling;
    const stops = s.stop.filter((x) => x !== '');
    const pieces: string[] = [];
    const stream = this.tokenizer.decodeStream();
    let text = '';
    let cut = -1;
    let emitted = 0;
    const emit = (upTo: number) => {
      if (upTo > emitted) {
        req.onText?.(text.slice(emitted, upTo));
        emitted = upTo;
      }
    };
    const gen = await this.engine.generate(promptIds, {
      temperature: s.temperature,
      topP: s.top_p,
      topK: s.top_k,
      maxNewTokens: s.max_new_tokens,
      seed: s.seed,
      stopTokenIds: this.stopIds,
      signal: req.signal,
      onToken: (id) => {
        const piece = stream.step(id);
        pieces.push(piece);
        // Special tokens (the end of turn) are markup, not text.
        if (this.tokenizer.isSpecial(id)) return false;
        const from = Math.max(0, text.length - Math.max(0, ...stops.map((x) => x.length)) + 1);
        text += piece;
        for (const st of stops) {
          const at = text.indexOf(st, from);
          if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0) return true;
        emit(text.length - partialStop(text, stops));
        return false;
      },
    });
    if (cut < 0) {
      // Whatever a partial character held back at the end.
      const rest = stream.flush();
      if (rest && pieces.length) {
        pieces[pieces.length - 1] += rest;
        if (!this.tokenizer.isSpecial(gen.tokenIds[gen.tokenIds.length - 1])) text += rest;
      }
    }
    const finalText = cut >= 0 ? text.slice(0, cut) : text;
    text = finalText;
    emit(finalText.length);
    return {
      text: finalText,
      finish_reason: gen.finishReason,
      prompt_tokens: promptIds.length,
      completion_tokens: gen.tokenIds.length,
      token_ids: gen.tokenIds,
      tokens: pieces,
      logprobs: gen.logprobs,
      prompt_ids: promptIds,
      duration_ms: performance.now() - started,
    };
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}

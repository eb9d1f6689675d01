// A model's tokenizer from its Hugging Face files (tokenizer.json, tokenizer_config.json,
// generation_config.json), run by @huggingface/tokenizers. Adds what generation needs on top:
// special and end-of-sequence ids, and streaming decode that never emits half a character.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HFTokenizer } from '@huggingface/tokenizers';

export interface DecodeOptions {
  /** Drop special tokens (`<|im_end|>`…); added tokens that are not special (`<tool_call>`) stay. */
  skipSpecial?: boolean;
}

type Json = Record<string, unknown>;

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

function readJson(file: string, required: boolean): Json | undefined {
  if (!existsSync(file)) {
    if (required) throw new Error(`${file}: file not found`);
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file}: expected a JSON object`);
  return value as Json;
}

function tokenContent(token: unknown): string | undefined {
  if (typeof token === 'string') return token;
  if (token && typeof token === 'object' && typeof (token as { content?: unknown }).content === 'string') return (token as { content: string }).content;
  return undefined;
}

export class Tokenizer {
  private readonly hf: HFTokenizer;
  /** Size of the id space: the largest id (vocabulary or added token) plus one. */
  readonly vocabSize: number;
  /** Every added token by text (special or not). */
  readonly addedTokens: ReadonlyMap<string, number>;
  /** Ids of the special tokens (`special: true` in tokenizer.json). */
  readonly specialIds: ReadonlySet<number>;
  /** Ids that end generation: generation_config.json's eos_token_id, then tokenizer_config.json's eos_token. */
  readonly eosIds: readonly number[];
  readonly padId: number | undefined;
  /** Where the files came from, for error messages. */
  readonly source: string;

  constructor(tokenizerJson: Json, tokenizerConfig: Json = {}, generationConfig: Json = {}, source = 'tokenizer.json') {
    this.source = source;
    const model = tokenizerJson.model as { vocab?: Record<string, number> } | undefined;
    if (!model || typeof model !== 'object' || !model.vocab || typeof model.vocab !== 'object') {
      throw new Error(`${source}: expected "model.vocab" (a tokenizer.json from the Hugging Face tokenizers library)`);
    }
    const added = (Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens : []) as AddedTokenJson[];
    try {
      // clean_up_tokenization_spaces defaults to true in the library, which would rewrite " ." to "."
      // in model output; only a config that asks for it gets it.
      this.hf = new HFTokenizer(tokenizerJson, { clean_up_tokenization_spaces: false, ...tokenizerConfig });
    } catch (e) {
      throw new Error(`${source}: ${(e as Error).message}`);
    }
    let maxId = -1;
    for (const id of Object.values(model.vocab)) if (id > maxId) maxId = id;
    for (const t of added) if (t.id > maxId) maxId = t.id;
    this.vocabSize = maxId + 1;
    this.addedTokens = new Map(added.map((t) => [t.content, t.id]));
    this.specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));

    const eos = new Set<number>();
    const fromGen = generationConfig.eos_token_id;
    for (const id of Array.isArray(fromGen) ? fromGen : fromGen === undefined || fromGen === null ? [] : [fromGen]) {
      if (typeof id === 'number') eos.add(id);
    }
    const eosText = tokenContent(tokenizerConfig.eos_token);
    const eosId = eosText === undefined ? undefined : this.tokenId(eosText);
    if (eosId !== undefined) eos.add(eosId);
    this.eosIds = [...eos];
    const padText = tokenContent(tokenizerConfig.pad_token);
    this.padId = padText === undefined ? undefined : this.tokenId(padText);
  }

  /** Loads tokenizer.json (required), tokenizer_config.json and generation_config.json from a model folder. */
  static fromDir(dir: string): Tokenizer {
    const tokenizerJson = readJson(join(dir, 'tokenizer.json'), true)!;
    const tokenizerConfig = readJson(join(dir, 'tokenizer_config.json'), false) ?? {};
    const generationConfig = readJson(join(dir, 'generation_config.json'), false) ?? {};
    return new Tokenizer(tokenizerJson, tokenizerConfig, generationConfig, join(dir, 'tokenizer.json'));
  }

  /** Token ids of `text`; added tokens written in the text (`<|im_start|>`, `<tool_call>`) become their ids. */
  encode(text: string): number[] {
    if (text === '') return [];
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    return this.hf.decode(ids as number[], { skip_special_tokens: options.skipSpecial ?? false, clean_up_tokenization_spaces: false });
  }

  /** The id of a token written as it appears in the vocabulary (`<|im_end|>`, `Ġthe`). */
  tokenId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  /** The vocabulary entry of an id (byte-level form, e.g. `Ġthe`). */
  token(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** A decoder for one generated sequence: feed ids as they are sampled, get text as it becomes whole. */
  decodeStream(options: DecodeOptions = {}): DecodeStream {
    return new DecodeStream(this, options);
  }
}

/**
 * Incremental detokenizer. Byte-level tokens may end in the middle of a UTF-8 character, and a
 * token's text can depend on its neighbours, so each step decodes a short window of recent ids and
 * emits only the new, complete part; what is held back comes out with a later token (or `flush`).
 * Concatenating every piece gives exactly `decode(ids)`.
 */
export class DecodeStream {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly options: DecodeOptions = {},
  ) {}

  /** Adds one id; returns the text it completes ('' while a character is still partial). */
  step(id: number): string {
    this.ids.push(id);
    const prefix = this.tokenizer.decode(this.ids.slice(this.prefixOffset, this.readOffset), this.options);
    const text = this.tokenizer.decode(this.ids.slice(this.prefixOffset), this.options);
    if (text.length > prefix.length && !text.endsWith('\uFFFD') && text.startsWith(prefix)) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return text.slice(prefix.length);
    }
    return '';
  }

  /** The text still held back (an incomplete character at the very end decodes as U+FFFD). */
  flush(): string {
    const prefix = this.tokenizer.decode(this.ids.slice(this.prefixOffset, this.readOffset), this.options);
    const text = this.tokenizer.decode(this.ids.slice(this.prefixOffset), this.options);
    this.prefixOffset = this.readOffset = this.ids.length;
    return text.startsWith(prefix) ? text.slice(prefix.length) : text;
  }
}

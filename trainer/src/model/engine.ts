// The generation engine: schedules requests into one batch with continuous batching
// (finished sequences leave, waiting ones join after their prefill), samples each request
// from its own seeded generator, applies the logit hook, and serves teacher-forced forward
// passes. The model itself runs in a Runner, by default on a worker thread.
import { eosTokenIds, type ModelFolder, type ModelLayout } from './folder';
import { RemoteRunner } from './remote-runner';
import { Runner, type RowRef, type RunnerApi } from './runner';
import { Rng, sampleRow, type SamplerParams } from './sampling';

/**
 * Called on every sampling step with `rows` rows of the LM head's input (hidden, rows x
 * hidden size) and of its output (logits, rows x vocab), before sampling. Edit `logits` in
 * place, e.g. to add a LoRA delta computed from `hidden`.
 */
export type LogitHook = (hidden: Float32Array, logits: Float32Array, rows: number) => void;

export interface GenerateOptions extends SamplerParams {
  maxNewTokens: number;
  seed: number;
  /** Token ids that end the sequence; default: the engine's end-of-sequence ids. */
  stopTokenIds?: readonly number[];
  signal?: AbortSignal;
  /** Called with each sampled token; return true to end the sequence there ('stop'). */
  onToken?: (id: number, logprob: number) => boolean | void;
}

export interface Generation {
  /** Sampled tokens, the stopping token included. */
  tokenIds: number[];
  logprobs: number[];
  finishReason: 'stop' | 'length' | 'abort';
  promptTokens: number;
}

export interface ForwardResult {
  /** [length, hidden size], row-major. */
  hidden: Float32Array;
  /** [length, vocab], row-major. */
  logits: Float32Array;
}

export interface EngineOptions {
  /** onnxruntime intra-op threads; default: onnxruntime's choice. */
  threads?: number;
  /** Where the model runs: a worker thread (default) keeps the event loop free. */
  thread?: 'worker' | 'main';
  /** Most sequences decoded together. */
  maxBatch?: number;
  /** Default: generation_config.json's eos_token_id. */
  eosTokenIds?: readonly number[];
  logitHook?: LogitHook;
  /** Require the last_hidden_state output. Default true. */
  requireHidden?: boolean;
  /** Bound on the logits floats of one prefill or forward batch (memory, not speed). */
  logitBudget?: number;
}

interface Seq {
  prompt: Int32Array;
  opts: GenerateOptions;
  rng: Rng;
  stop: Set<number>;
  ids: number[];
  logprobs: number[];
  /** Tokens of this sequence in the cache: the position of the next token fed. */
  pos: number;
  finish?: Generation['finishReason'];
  resolve: (g: Generation) => void;
  reject: (e: unknown) => void;
}

export class Engine {
  logitHook: LogitHook | undefined;
  private readonly maxBatch: number;
  /** Token ids that end a sequence unless a request names its own. */
  readonly eosTokenIds: readonly number[];
  private readonly maxPositions: number;
  private readonly logitBudget: number;
  private queue: Seq[] = [];
  private active: Seq[] = [];
  /** The batch's rows for the next decode step, when they changed since the last one. */
  private rows: RowRef[] | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  private constructor(readonly runner: RunnerApi, readonly folder: ModelFolder, opts: EngineOptions) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 16);
    this.eosTokenIds = opts.eosTokenIds ?? eosTokenIds(folder);
    this.logitHook = opts.logitHook;
    this.maxPositions = folder.config.max_position_embeddings ?? Infinity;
    this.logitBudget = opts.logitBudget ?? 1 << 25;
  }

  static async open(folder: ModelFolder, opts: EngineOptions = {}): Promise<Engine> {
    const eos = opts.eosTokenIds ?? eosTokenIds(folder);
    const options = { threads: opts.threads, requireHidden: opts.requireHidden, padTokenId: eos[0] ?? 0 };
    const runner = opts.thread === 'main' ? await Runner.open(folder, options) : await RemoteRunner.open(folder, options);
    return new Engine(runner, folder, opts);
  }

  get layout(): ModelLayout {
    return this.runner.layout;
  }

  /** Generates from a prompt; runs batched with every other pending request. */
  generate(promptIds: readonly number[], opts: GenerateOptions): Promise<Generation> {
    if (this.closed) return Promise.reject(new Error('the engine has been closed'));
    if (promptIds.length === 0) return Promise.reject(new Error('the prompt is empty'));
    const vocab = this.layout.vocab;
    const bad = promptIds.find((t) => !Number.isInteger(t) || t < 0 || t >= vocab);
    if (bad !== undefined) return Promise.reject(new Error(`prompt token id ${bad} is outside the vocabulary (0..${vocab - 1})`));
    if (promptIds.length >= this.maxPositions) {
      return Promise.reject(new Error(`the prompt has ${promptIds.length} tokens; the model takes at most ${this.maxPositions}`));
    }
    if (opts.maxNewTokens <= 0 || opts.signal?.aborted) {
      return Promise.resolve({ tokenIds: [], logprobs: [], finishReason: opts.signal?.aborted ? 'abort' : 'length', promptTokens: promptIds.length });
    }
    return new Promise((resolve, reject) => {
      this.queue.push({
        prompt: Int32Array.from(promptIds), opts, rng: new Rng(opts.seed), stop: new Set(opts.stopTokenIds ?? this.eosTokenIds),
        ids: [], logprobs: [], pos: 0, resolve, reject,
      });
      this.kick();
    });
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      // Requests that arrived while the loop was winding down.
      if (this.queue.length) this.kick();
    });
  }

  /**
   * Teacher-forced pass over whole sequences: per sequence, the LM head's input and the
   * logits at every position, without the logit hook. Batched with right padding.
   */
  async forward(sequences: readonly (readonly number[])[]): Promise<ForwardResult[]> {
    if (this.closed) throw new Error('the engine has been closed');
    const { vocab: V, hiddenSize: H } = this.layout;
    sequences.forEach((seq, k) => {
      const bad = seq.find((t) => !Number.isInteger(t) || t < 0 || t >= V);
      if (bad !== undefined) throw new Error(`sequence ${k}: token id ${bad} is outside the vocabulary (0..${V - 1})`);
    });
    const results: ForwardResult[] = [];
    let i = 0;
    while (i < sequences.length) {
      let cols = 0;
      let n = 0;
      while (i + n < sequences.length && n < this.maxBatch) {
        const len = Math.max(cols, sequences[i + n].length);
        if (n && (n + 1) * len * (V + H) > this.logitBudget) break;
        cols = len;
        n++;
      }
      const batch = sequences.slice(i, i + n).map((s) => Int32Array.from(s));
      i += n;
      if (cols === 0) {
        for (let k = 0; k < n; k++) results.push({ hidden: new Float32Array(0), logits: new Float32Array(0) });
        continue;
      }
      const out = await this.runner.forward(batch);
      batch.forEach((seq, r) => {
        results.push({
          hidden: out.hidden.subarray(r * cols * H, (r * cols + seq.length) * H),
          logits: out.logits.subarray(r * cols * V, (r * cols + seq.length) * V),
        });
      });
    }
    return results;
  }

  /** Stops accepting work, ends running sequences as aborted, and releases the model. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.running;
    for (const s of this.queue) this.settle(s, 'abort');
    this.queue = [];
    await this.runner.close();
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length || this.active.length) {
        for (const s of [...this.queue, ...this.active]) if (!s.finish && (s.opts.signal?.aborted || this.closed)) s.finish = 'abort';
        this.queue = this.queue.filter((s) => !s.finish || (this.settle(s, s.finish), false));
        if (this.active.some((s) => s.finish)) this.leave();
        if (this.queue.length && this.active.length < this.maxBatch) await this.prefill();
        if (this.active.length) await this.decode();
      }
      await this.runner.clear();
    } catch (e) {
      for (const s of [...this.queue, ...this.active]) s.reject(e);
      this.queue = [];
      this.active = [];
      this.rows = null;
      await this.runner.clear().catch(() => undefined);
    }
  }

  private settle(s: Seq, finish: Generation['finishReason']): void {
    s.resolve({ tokenIds: s.ids, logprobs: s.logprobs, finishReason: finish, promptTokens: s.prompt.length });
  }

  /** Records a sampled token and decides whether the sequence ends with it. */
  private accept(s: Seq, id: number, logprob: number): void {
    s.ids.push(id);
    s.logprobs.push(logprob);
    const stopByCaller = s.opts.onToken?.(id, logprob) === true;
    if (s.stop.has(id) || stopByCaller) s.finish = 'stop';
    else if (s.ids.length >= s.opts.maxNewTokens || s.pos >= this.maxPositions) s.finish = 'length';
    else if (s.opts.signal?.aborted || this.closed) s.finish = 'abort';
  }

  /** Rows of the running batch as the runner knows them, before any change. */
  private currentRows(): RowRef[] {
    return this.rows ?? this.active.map((_, r) => [0, r] as RowRef);
  }

  /** Drops finished sequences from the batch. */
  private leave(): void {
    const rows = this.currentRows();
    const keep: Seq[] = [];
    const keepRows: RowRef[] = [];
    this.active.forEach((s, r) => {
      if (s.finish) this.settle(s, s.finish);
      else {
        keep.push(s);
        keepRows.push(rows[r]);
      }
    });
    this.active = keep;
    this.rows = keepRows;
  }

  /** Prefills waiting prompts as one batch, samples their first tokens, and lets them join. */
  private async prefill(): Promise<void> {
    const V = this.layout.vocab;
    const take: Seq[] = [];
    let cols = 0;
    while (this.queue.length && this.active.length + take.length < this.maxBatch) {
      const len = Math.max(cols, this.queue[0].prompt.length);
      if (take.length && (take.length + 1) * len * V > this.logitBudget) break;
      cols = len;
      take.push(this.queue.shift()!);
    }
    const hook = this.logitHook;
    const out = await this.runner.prefill(take.map((s) => s.prompt), Boolean(hook));
    if (hook) hook(out.hidden!, out.logits, take.length);
    const rows = this.currentRows();
    take.forEach((s, r) => {
      s.pos = s.prompt.length;
      const t = sampleRow(out.logits, r, V, s.opts, s.rng);
      this.accept(s, t.id, t.logprob);
      if (s.finish) this.settle(s, s.finish);
      else {
        this.active.push(s);
        rows.push([1, r]);
      }
    });
    this.rows = rows;
  }

  /** One token for every running sequence. */
  private async decode(): Promise<void> {
    const B = this.active.length;
    const ids = new Int32Array(B);
    const pos = new Int32Array(B);
    for (let r = 0; r < B; r++) {
      const s = this.active[r];
      ids[r] = s.ids[s.ids.length - 1];
      pos[r] = s.pos;
    }
    const hook = this.logitHook;
    const rows = this.rows;
    this.rows = null;
    const out = await this.runner.decode(ids, pos, rows, Boolean(hook));
    if (hook) hook(out.hidden!, out.logits, B);
    const V = this.layout.vocab;
    for (let r = 0; r < B; r++) {
      const s = this.active[r];
      s.pos++;
      const t = sampleRow(out.logits, r, V, s.opts, s.rng);
      this.accept(s, t.id, t.logprob);
    }
  }
}

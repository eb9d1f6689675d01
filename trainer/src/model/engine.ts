// The generation engine: schedules requests into batches with continuous batching
// (finished sequences leave, waiting ones join after their prefill), samples each request
// from its own seeded generator, applies the logit hook, and serves teacher-forced forward
// passes. The model itself runs in Runners, by default on worker threads: one per lane,
// each lane decoding its own batch side by side with the others.
import { availableParallelism } from 'node:os';
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
  /** onnxruntime intra-op threads, shared among the lanes; default: onnxruntime's choice. */
  threads?: number;
  /**
   * Model sessions decoding side by side on worker threads, each with its share of the
   * threads (of every core when `threads` is unset). Default 1. A small model's operators are
   * too short to split among threads, so one single-threaded lane per core decodes it faster;
   * but each lane holds the weights again, and which sequence ends first then depends on
   * timing, so callers that must replay exactly keep one lane. `thread: 'main'` runs one.
   */
  lanes?: number;
  /** Where the model runs: a worker thread (default) keeps the event loop free. */
  thread?: 'worker' | 'main';
  /** Most sequences decoded together, over all lanes. */
  maxBatch?: number;
  /** Default: generation_config.json's eos_token_id. */
  eosTokenIds?: readonly number[];
  logitHook?: LogitHook;
  /** Require the last_hidden_state output. Default true. */
  requireHidden?: boolean;
  /** Bound on the logits floats of one prefill or forward batch (memory, not speed). */
  logitBudget?: number;
}

/** One runner and the batch it decodes. */
interface Lane {
  runner: RunnerApi;
  active: Seq[];
  /** The batch's rows for the next decode step, when they changed since the last one. */
  rows: RowRef[] | null;
  running: Promise<void> | null;
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
  /** Most sequences one lane decodes together. */
  private readonly laneBatch: number;
  /** Token ids that end a sequence unless a request names its own. */
  readonly eosTokenIds: readonly number[];
  private readonly maxPositions: number;
  private readonly logitBudget: number;
  private queue: Seq[] = [];
  private readonly lanes: Lane[];
  private closed = false;

  private constructor(runners: RunnerApi[], readonly folder: ModelFolder, opts: EngineOptions) {
    this.lanes = runners.map((runner) => ({ runner, active: [], rows: null, running: null }));
    this.laneBatch = Math.ceil(Math.max(1, opts.maxBatch ?? 16) / runners.length);
    this.eosTokenIds = opts.eosTokenIds ?? eosTokenIds(folder);
    this.logitHook = opts.logitHook;
    this.maxPositions = folder.config.max_position_embeddings ?? Infinity;
    this.logitBudget = opts.logitBudget ?? 1 << 25;
  }

  static async open(folder: ModelFolder, opts: EngineOptions = {}): Promise<Engine> {
    const eos = opts.eosTokenIds ?? eosTokenIds(folder);
    if (opts.thread === 'main') {
      const options = { threads: opts.threads, requireHidden: opts.requireHidden, padTokenId: eos[0] ?? 0 };
      return new Engine([await Runner.open(folder, options)], folder, opts);
    }
    const lanes = Math.max(1, opts.lanes ?? 1);
    const total = opts.threads || (lanes > 1 ? availableParallelism() : 0);
    const threads = total ? Math.max(1, Math.floor(total / lanes)) : undefined;
    const options = { threads, requireHidden: opts.requireHidden, padTokenId: eos[0] ?? 0 };
    const opened = await Promise.allSettled(Array.from({ length: lanes }, () => RemoteRunner.open(folder, options)));
    const runners = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = opened.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(runners.map((r) => r.close()));
      throw failed.reason;
    }
    return new Engine(runners, folder, opts);
  }

  get layout(): ModelLayout {
    return this.lanes[0].runner.layout;
  }

  /** Model sessions decoding side by side. */
  get laneCount(): number {
    return this.lanes.length;
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

  /** Starts idle lanes while requests wait. */
  private kick(): void {
    for (const lane of this.lanes) {
      if (!this.queue.length) return;
      if (lane.running) continue;
      // From a microtask, so that requests made in the same tick prefill as one batch.
      lane.running = Promise.resolve().then(() => this.loop(lane)).finally(() => {
        lane.running = null;
        // Requests that arrived while the loop was winding down.
        if (this.queue.length) this.kick();
      });
    }
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
    const chunks: { start: number; n: number; cols: number }[] = [];
    for (let i = 0; i < sequences.length; ) {
      let cols = 0;
      let n = 0;
      while (i + n < sequences.length && n < this.laneBatch) {
        const len = Math.max(cols, sequences[i + n].length);
        if (n && (n + 1) * len * (V + H) > this.logitBudget) break;
        cols = len;
        n++;
      }
      chunks.push({ start: i, n, cols });
      i += n;
    }
    const results: ForwardResult[] = new Array(sequences.length);
    const run = async (lane: Lane, k: number): Promise<void> => {
      for (; k < chunks.length; k += this.lanes.length) {
        const { start, n, cols } = chunks[k];
        const batch = sequences.slice(start, start + n).map((s) => Int32Array.from(s));
        if (cols === 0) {
          for (let r = 0; r < n; r++) results[start + r] = { hidden: new Float32Array(0), logits: new Float32Array(0) };
          continue;
        }
        const out = await lane.runner.forward(batch);
        batch.forEach((seq, r) => {
          results[start + r] = {
            hidden: out.hidden.subarray(r * cols * H, (r * cols + seq.length) * H),
            logits: out.logits.subarray(r * cols * V, (r * cols + seq.length) * V),
          };
        });
      }
    };
    await Promise.all(this.lanes.map(run));
    return results;
  }

  /** Stops accepting work, ends running sequences as aborted, and releases the model. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.lanes.map((l) => l.running));
    for (const s of this.queue) this.settle(s, 'abort');
    this.queue = [];
    await Promise.all(this.lanes.map((l) => l.runner.close()));
  }

  private async loop(lane: Lane): Promise<void> {
    try {
      while (this.queue.length || lane.active.length) {
        for (const s of [...this.queue, ...lane.active]) if (!s.finish && (s.opts.signal?.aborted || this.closed)) s.finish = 'abort';
        this.queue = this.queue.filter((s) => !s.finish || (this.settle(s, s.finish), false));
        if (lane.active.some((s) => s.finish)) this.leave(lane);
        if (this.queue.length && lane.active.length < this.room()) await this.prefill(lane);
        if (lane.active.length) await this.decode(lane);
      }
      await lane.runner.clear();
    } catch (e) {
      for (const s of [...this.queue, ...lane.active]) s.reject(e);
      this.queue = [];
      lane.active = [];
      lane.rows = null;
      await lane.runner.clear().catch(() => undefined);
    }
  }

  /** How many sequences a lane may run now: an even share of all the work, within laneBatch. */
  private room(): number {
    const running = this.lanes.reduce((n, l) => n + l.active.length, 0);
    return Math.min(this.laneBatch, Math.ceil((this.queue.length + running) / this.lanes.length));
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

  /** Rows of a lane's running batch as its runner knows them, before any change. */
  private currentRows(lane: Lane): RowRef[] {
    return lane.rows ?? lane.active.map((_, r) => [0, r] as RowRef);
  }

  /** Drops finished sequences from a lane's batch. */
  private leave(lane: Lane): void {
    const rows = this.currentRows(lane);
    const keep: Seq[] = [];
    const keepRows: RowRef[] = [];
    lane.active.forEach((s, r) => {
      if (s.finish) this.settle(s, s.finish);
      else {
        keep.push(s);
        keepRows.push(rows[r]);
      }
    });
    lane.active = keep;
    lane.rows = keepRows;
  }

  /** Prefills waiting prompts as one batch, samples their first tokens, and lets them join. */
  private async prefill(lane: Lane): Promise<void> {
    const V = this.layout.vocab;
    const take: Seq[] = [];
    const room = this.room();
    let cols = 0;
    while (this.queue.length && lane.active.length + take.length < room) {
      const len = Math.max(cols, this.queue[0].prompt.length);
      if (take.length && (take.length + 1) * len * V > this.logitBudget) break;
      cols = len;
      take.push(this.queue.shift()!);
    }
    const hook = this.logitHook;
    const out = await lane.runner.prefill(take.map((s) => s.prompt), Boolean(hook));
    if (hook) hook(out.hidden!, out.logits, take.length);
    const rows = this.currentRows(lane);
    take.forEach((s, r) => {
      s.pos = s.prompt.length;
      const t = sampleRow(out.logits, r, V, s.opts, s.rng);
      this.accept(s, t.id, t.logprob);
      if (s.finish) this.settle(s, s.finish);
      else {
        lane.active.push(s);
        rows.push([1, r]);
      }
    });
    lane.rows = rows;
  }

  /** One token for every sequence of a lane. */
  private async decode(lane: Lane): Promise<void> {
    const B = lane.active.length;
    const ids = new Int32Array(B);
    const pos = new Int32Array(B);
    for (let r = 0; r < B; r++) {
      const s = lane.active[r];
      ids[r] = s.ids[s.ids.length - 1];
      pos[r] = s.pos;
    }
    const hook = this.logitHook;
    const rows = lane.rows;
    lane.rows = null;
    const out = await lane.runner.decode(ids, pos, rows, Boolean(hook));
    if (hook) hook(out.hidden!, out.logits, B);
    const V = this.layout.vocab;
    for (let r = 0; r < B; r++) {
      const s = lane.active[r];
      s.pos++;
      const t = sampleRow(out.logits, r, V, s.opts, s.rng);
      this.accept(s, t.id, t.logprob);
    }
  }
}

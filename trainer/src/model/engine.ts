// The generation engine: schedules requests into batches with continuous batching
// (finished sequences leave, waiting ones join after their prefill), samples each request
// from its own seeded generator, applies the logit hook, and serves teacher-forced forward
// passes. The model itself runs in Runners, by default on worker threads: one per lane,
// each lane decoding its own batch while the others decode theirs.
//
// One loop serves the lanes in a fixed order, so which sequences share a batch follows from
// the order of requests alone, never from which lane's step happened to end first: a batch's
// padding moves the logits in their last bits, and a seeded run must replay exactly.
import { availableParallelism } from 'node:os';
import { eosTokenIds, weightBytes, type ModelFolder, type ModelLayout } from './folder';
import { RemoteRunner } from './remote-runner';
import { admitCount, LOGIT_FLOATS, PREFILL_FLOATS, reservedBytes, type Bounds } from './admission';
import { Runner, type RowRef, type RunnerApi, type StepOut } from './runner';
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
   * threads (of every core when `threads` is unset). A small model's operators are too short
   * to split among threads, and while one lane's tokens are sampled the others compute, so a
   * lane per core decodes it faster; each lane holds the weights again. Default (0 or unset):
   * a lane per thread, at most 4, for weights under SMALL_MODEL_BYTES, else 1.
   * `thread: 'main'` runs one.
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
  /**
   * Bound on the KV cache of the sequences decoded at once, in bytes, reserved for each
   * sequence's prompt and its whole `maxNewTokens`. Default: unbounded (`maxBatch` alone).
   */
  kvCacheBytes?: number;
  /** Bound on prompt tokens × hidden size of one prefill batch (memory, not speed). Default PREFILL_FLOATS. */
  prefillFloats?: number;
}

/** AGENT_TUNE_THREADS: the threads an engine uses when its options name none. */
export function envThreads(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const n = Number(env.AGENT_TUNE_THREADS);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Weights below this size decode faster on a lane per core than on one lane. */
export const SMALL_MODEL_BYTES = 32 * 2 ** 20;

/** The model call a lane has in flight: a prefill of waiting prompts, or a decode step. */
type Step =
  | { kind: 'prefill'; take: Seq[]; hook: LogitHook | undefined; out: Promise<StepOut> }
  | { kind: 'decode'; hook: LogitHook | undefined; out: Promise<StepOut> };

/** One runner and the batch it decodes. */
interface Lane {
  runner: RunnerApi;
  active: Seq[];
  /** The batch's rows for the next decode step, when they changed since the last one. */
  rows: RowRef[] | null;
  step: Step | null;
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
  private readonly bounds: Bounds;
  private queue: Seq[] = [];
  private readonly lanes: Lane[];
  private running: Promise<void> | null = null;
  private closed = false;

  private constructor(runners: RunnerApi[], readonly folder: ModelFolder, opts: EngineOptions) {
    this.lanes = runners.map((runner) => ({ runner, active: [], rows: null, step: null }));
    this.laneBatch = Math.ceil(Math.max(1, opts.maxBatch ?? 16) / runners.length);
    this.eosTokenIds = opts.eosTokenIds ?? eosTokenIds(folder);
    this.logitHook = opts.logitHook;
    this.maxPositions = folder.config.max_position_embeddings ?? Infinity;
    this.bounds = {
      logitFloats: opts.logitBudget ?? LOGIT_FLOATS,
      prefillFloats: opts.prefillFloats ?? PREFILL_FLOATS,
      kvCacheBytes: opts.kvCacheBytes ?? Infinity,
      maxPositions: this.maxPositions,
    };
  }

  static async open(folder: ModelFolder, opts: EngineOptions = {}): Promise<Engine> {
    const eos = opts.eosTokenIds ?? eosTokenIds(folder);
    if (opts.thread === 'main') {
      const options = { threads: opts.threads || envThreads(), requireHidden: opts.requireHidden, padTokenId: eos[0] ?? 0 };
      return new Engine([await Runner.open(folder, options)], folder, opts);
    }
    const given = opts.threads || envThreads();
    const lanes = opts.lanes || defaultLanes(folder, given);
    const total = given || (lanes > 1 ? availableParallelism() : 0);
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

  /** Starts the loop while requests wait. */
  private kick(): void {
    if (this.running || !this.queue.length) return;
    // From a microtask, so that requests made in the same tick prefill as one batch.
    this.running = Promise.resolve().then(() => this.loop()).finally(() => {
      this.running = null;
      // Requests that arrived while the loop was winding down.
      this.kick();
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
    const chunks: { start: number; n: number; cols: number }[] = [];
    for (let i = 0; i < sequences.length; ) {
      let cols = 0;
      let n = 0;
      while (i + n < sequences.length && n < this.laneBatch) {
        const len = Math.max(cols, sequences[i + n].length);
        if (n && (n + 1) * len * (V + H) > this.bounds.logitFloats) break;
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
    await this.running;
    for (const s of this.queue) this.settle(s, 'abort');
    this.queue = [];
    await Promise.all(this.lanes.map((l) => l.runner.close()));
  }

  private busy(): boolean {
    return this.queue.length > 0 || this.lanes.some((l) => l.step || l.active.length);
  }

  private async loop(): Promise<void> {
    while (this.busy()) {
      for (const lane of this.lanes) {
        // A step that came back while another lane's turn ran would let this turn see only part
        // of what that turn's finished sequences go on to request; after a macrotask, all of it.
        if (lane.step && this.lanes.length > 1) await new Promise((r) => setImmediate(r));
        await this.turn(lane);
      }
    }
    await Promise.all(this.lanes.map((l) => l.runner.clear().catch(() => undefined)));
  }

  /** Takes a lane's finished step, then starts its next one: a prefill when there is room, else a decode. */
  private async turn(lane: Lane): Promise<void> {
    const step = lane.step;
    lane.step = null;
    try {
      if (step?.kind === 'prefill') this.join(lane, step.take, step.hook, await step.out);
      else if (step) this.sample(lane, step.hook, await step.out);
      for (const s of [...this.queue, ...lane.active]) if (!s.finish && (s.opts.signal?.aborted || this.closed)) s.finish = 'abort';
      this.queue = this.queue.filter((s) => !s.finish || (this.settle(s, s.finish), false));
      if (lane.active.some((s) => s.finish)) this.leave(lane);
      // The runner keeps one prefill's cache aside: rows that joined from it decode before the next.
      const joining = lane.rows?.some(([source]) => source === 1);
      const take = !joining && this.queue.length && lane.active.length < this.room() ? this.admit(lane) : [];
      if (take.length) lane.step = this.prefill(lane, take);
      else if (lane.active.length) lane.step = this.decode(lane);
    } catch (e) {
      // A settled sequence ignores the rejection.
      for (const s of [...this.queue, ...lane.active, ...(step?.kind === 'prefill' ? step.take : [])]) s.reject(e);
      this.queue = [];
      lane.active = [];
      lane.rows = null;
      lane.step = null;
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

  /** Takes the waiting prompts a lane prefills next as one batch, within the memory bounds. */
  private admit(lane: Lane): Seq[] {
    const others = this.lanes.reduce((n, l) => n + (l === lane ? 0 : reservedBytes(this.layout, l.active, this.bounds.maxPositions)), 0);
    return this.queue.splice(0, admitCount(this.layout, this.bounds, this.queue, lane.active, others, this.room()));
  }

  /** Starts a prefill of prompts as one batch. */
  private prefill(lane: Lane, take: Seq[]): Step {
    const hook = this.logitHook;
    return { kind: 'prefill', take, hook, out: quiet(lane.runner.prefill(take.map((s) => s.prompt), Boolean(hook))) };
  }

  /** Samples the first tokens of prefilled prompts and lets them join the lane's batch. */
  private join(lane: Lane, take: Seq[], hook: LogitHook | undefined, out: StepOut): void {
    const V = this.layout.vocab;
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

  /** Starts a decode step: one token for every sequence of a lane. */
  private decode(lane: Lane): Step {
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
    return { kind: 'decode', hook, out: quiet(lane.runner.decode(ids, pos, rows, Boolean(hook))) };
  }

  /** Samples the next token of every sequence of a lane from its decode step. */
  private sample(lane: Lane, hook: LogitHook | undefined, out: StepOut): void {
    const B = lane.active.length;
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

/** A lane's step is awaited on its turn; a failure before then must not count as unhandled. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Lanes when none are asked for: one per thread (at most 4) for a small model, else one. */
export function defaultLanes(folder: ModelFolder, threads?: number): number {
  if (weightBytes(folder) >= SMALL_MODEL_BYTES) return 1;
  return Math.max(1, Math.min(4, threads || availableParallelism()));
}

// The model side of generation: an onnxruntime session and the KV cache of the running
// batch. It runs wherever its caller puts it; the engine puts it on a worker thread, because
// onnxruntime-node's run() is synchronous underneath and would stall the event loop.
//
// The cache holds one row per running sequence, right-aligned: a row's real tokens fill the
// last columns and the attention mask hides the padding on the left. While the batch is
// unchanged a decode step feeds the previous step's present tensors back as they are; only a
// join or a leave copies the cache into a new one.
import * as ort from 'onnxruntime-node';
import type { ModelFolder, ModelLayout } from './folder';
import { ModelSession, type Feeds, type SessionOptions } from './session';

/** Rows of the last step: logits [rows, vocab] and, when asked for, hidden [rows, hidden size]. */
export interface StepOut {
  logits: Float32Array;
  hidden?: Float32Array;
}

/** A whole batch of a teacher-forced pass, right-padded to `cols` positions. */
export interface ForwardOut {
  cols: number;
  logits: Float32Array;
  hidden: Float32Array;
}

/** Where a row of the new batch comes from: the running cache (0) or the last prefill (1). */
export type RowRef = [source: 0 | 1, row: number];

/** The runner's interface, the same in-thread and across a worker. */
export interface RunnerApi {
  readonly layout: ModelLayout;
  /** Runs prompts as a left-padded batch; returns their last rows and keeps their cache aside. */
  prefill(prompts: Int32Array[], wantHidden: boolean): Promise<StepOut>;
  /**
   * One decode step. `rows`, when the batch changed since the last step, lists the new
   * batch's rows; `ids` and `pos` give each row's input token and position.
   */
  decode(ids: Int32Array, pos: Int32Array, rows: RowRef[] | null, wantHidden: boolean): Promise<StepOut>;
  forward(sequences: Int32Array[]): Promise<ForwardOut>;
  /** Frees the cache of a batch that has ended. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

type Data = Float32Array | Uint16Array;

interface Cache {
  tensors: ort.Tensor[];
  cols: number;
  /** Left padding of each row. */
  pads: number[];
}

const ONE = BigInt(1);

/**
 * Rows of logits per prompt that a prefill of prompts this long computes: the last only,
 * unless a one-token prompt leaves nothing to run before it (then every position's).
 */
export function prefillLogitRows(lengths: readonly number[]): number {
  return lengths.some((n) => n < 2) ? Math.max(...lengths) : 1;
}

const NONE: Cache = { tensors: [], cols: 0, pads: [] };

export class Runner implements RunnerApi {
  private cache: Cache = NONE;
  private pending: Cache = NONE;

  private constructor(private readonly session: ModelSession, private readonly padId: number) {}

  static async open(folder: ModelFolder, opts: SessionOptions & { padTokenId?: number } = {}): Promise<Runner> {
    return new Runner(await ModelSession.open(folder, opts), opts.padTokenId ?? 0);
  }

  get layout(): ModelLayout {
    return this.session.layout;
  }

  private emptyPast(rows: number, feeds: Feeds): void {
    const L = this.layout;
    for (const name of [...L.pastKeys, ...L.pastValues]) {
      feeds[name] = new ort.Tensor(L.kvType as 'float32', L.kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0), [rows, L.kvHeads, 0, L.headDim]);
    }
  }

  private outputs(withHidden: boolean, withPresent = true, withLogits = true): string[] {
    const L = this.layout;
    const names = withLogits ? [L.logits] : [];
    if (withPresent) for (let i = 0; i < L.layers; i++) names.push(L.presentKeys[i], L.presentValues[i]);
    if (withHidden) {
      if (!L.hidden) throw new Error(`${this.session.folder.onnxFile}: no last_hidden_state output (expected the LM head's input); run \`agent-tune model prepare ${this.session.folder.dir}\``);
      names.push(L.hidden);
    }
    return names;
  }

  private presents(out: Record<string, ort.Tensor>): ort.Tensor[] {
    const L = this.layout;
    const list: ort.Tensor[] = [];
    for (let i = 0; i < L.layers; i++) list.push(out[L.presentKeys[i]], out[L.presentValues[i]]);
    return list;
  }

  /** input_ids, attention_mask and position_ids of a padded batch of whole sequences. */
  private batchFeeds(seqs: Int32Array[], cols: number, left: boolean): Feeds {
    const L = this.layout;
    const n = seqs.length;
    const ids = new BigInt64Array(n * cols).fill(BigInt(this.padId));
    const mask = new BigInt64Array(n * cols);
    const pos = new BigInt64Array(n * cols);
    seqs.forEach((s, r) => {
      const start = r * cols + (left ? cols - s.length : 0);
      for (let j = 0; j < s.length; j++) {
        ids[start + j] = BigInt(s[j]);
        pos[start + j] = BigInt(j);
      }
      mask.fill(ONE, start, start + s.length);
    });
    const feeds: Feeds = {
      [L.inputIds]: new ort.Tensor('int64', ids, [n, cols]),
      [L.attentionMask]: new ort.Tensor('int64', mask, [n, cols]),
    };
    if (L.positionIds) feeds[L.positionIds] = new ort.Tensor('int64', pos, [n, cols]);
    if (L.useCacheBranch) feeds[L.useCacheBranch] = new ort.Tensor('bool', new Uint8Array([0]), [1]);
    this.emptyPast(n, feeds);
    return feeds;
  }

  /**
   * Prefills prompts as a left-padded batch. Sampling needs the logits of the last position
   * only, and the LM head over every prompt position costs as much as a layer or more at a real
   * vocabulary; so all but the last token run without the logits output (onnxruntime then
   * skips the head), and the last tokens run as a decode step on that cache.
   */
  async prefill(prompts: Int32Array[], wantHidden: boolean): Promise<StepOut> {
    const P = Math.max(...prompts.map((p) => p.length));
    if (prefillLogitRows(prompts.map((p) => p.length)) > 1) return this.prefillWhole(prompts, wantHidden, P);
    const heads = await this.session.run(this.batchFeeds(prompts.map((p) => p.subarray(0, p.length - 1)), P - 1, true), this.outputs(false, true, false));
    const head: Cache = { tensors: this.presents(heads), cols: P - 1, pads: prompts.map((p) => P - p.length) };
    const last = await this.step(head, Int32Array.from(prompts, (p) => p[p.length - 1]), Int32Array.from(prompts, (p) => p.length - 1), wantHidden);
    this.pending = last.cache;
    return last.out;
  }

  /** One pass over whole prompts, the logits of every position computed. */
  private async prefillWhole(prompts: Int32Array[], wantHidden: boolean, P: number): Promise<StepOut> {
    const L = this.layout;
    const n = prompts.length;
    const out = await this.session.run(this.batchFeeds(prompts, P, true), this.outputs(wantHidden));
    this.pending = { tensors: this.presents(out), cols: P, pads: prompts.map((p) => P - p.length) };
    // Left padding puts every prompt's last token in the last column.
    const lastRows = (all: Float32Array, width: number) => {
      const rows = new Float32Array(n * width);
      for (let r = 0; r < n; r++) rows.set(all.subarray(((r + 1) * P - 1) * width, (r + 1) * P * width), r * width);
      return rows;
    };
    return {
      logits: lastRows(out[L.logits].data as Float32Array, L.vocab),
      hidden: wantHidden ? lastRows(out[L.hidden!].data as Float32Array, L.hiddenSize) : undefined,
    };
  }

  /** Copies rows of the running cache and the last prefill into a new right-aligned cache. */
  private rebuild(rows: RowRef[]): void {
    const L = this.layout;
    const heads = L.kvHeads;
    const D = L.headDim;
    const from = [this.cache, this.pending];
    const lens = rows.map(([src, row]) => from[src].cols - from[src].pads[row]);
    const T = Math.max(...lens);
    const B = rows.length;
    const tensors: ort.Tensor[] = [];
    const count = L.layers * 2;
    for (let t = 0; t < count; t++) {
      let dst: Data | undefined;
      rows.forEach(([src, row], r) => {
        const c = from[src];
        const data = c.tensors[t].data as Data;
        dst ??= new (data.constructor as { new (n: number): Data })(B * heads * T * D);
        const len = lens[r];
        for (let h = 0; h < heads; h++) {
          const at = ((row * heads + h) * c.cols + c.pads[row]) * D;
          dst.set(data.subarray(at, at + len * D), ((r * heads + h) * T + T - len) * D);
        }
      });
      tensors.push(new ort.Tensor(L.kvType as 'float32', dst!, [B, heads, T, D]));
    }
    this.cache = { tensors, cols: T, pads: lens.map((len) => T - len) };
    this.pending = NONE;
  }

  async decode(ids: Int32Array, pos: Int32Array, rows: RowRef[] | null, wantHidden: boolean): Promise<StepOut> {
    if (rows) this.rebuild(rows);
    if (ids.length !== this.cache.pads.length) throw new Error(`decode got ${ids.length} tokens for a batch of ${this.cache.pads.length} rows`);
    const { cache, out } = await this.step(this.cache, ids, pos, wantHidden);
    this.cache = cache;
    return out;
  }

  /** One token for every row of `cache`; returns the cache grown by it and the step's rows. */
  private async step(cache: Cache, ids: Int32Array, pos: Int32Array, wantHidden: boolean): Promise<{ cache: Cache; out: StepOut }> {
    const L = this.layout;
    const B = ids.length;
    const T = cache.cols + 1;
    const inIds = new BigInt64Array(B);
    const inPos = new BigInt64Array(B);
    const mask = new BigInt64Array(B * T);
    for (let r = 0; r < B; r++) {
      inIds[r] = BigInt(ids[r]);
      inPos[r] = BigInt(pos[r]);
      mask.fill(ONE, r * T + cache.pads[r], (r + 1) * T);
    }
    const feeds: Feeds = {
      [L.inputIds]: new ort.Tensor('int64', inIds, [B, 1]),
      [L.attentionMask]: new ort.Tensor('int64', mask, [B, T]),
    };
    if (L.positionIds) feeds[L.positionIds] = new ort.Tensor('int64', inPos, [B, 1]);
    if (L.useCacheBranch) feeds[L.useCacheBranch] = new ort.Tensor('bool', new Uint8Array([1]), [1]);
    for (let i = 0; i < L.layers; i++) {
      feeds[L.pastKeys[i]] = cache.tensors[2 * i];
      feeds[L.pastValues[i]] = cache.tensors[2 * i + 1];
    }
    const out = await this.session.run(feeds, this.outputs(wantHidden));
    return {
      cache: { tensors: this.presents(out), cols: T, pads: cache.pads },
      out: { logits: out[L.logits].data as Float32Array, hidden: wantHidden ? (out[L.hidden!].data as Float32Array) : undefined },
    };
  }

  async forward(sequences: Int32Array[]): Promise<ForwardOut> {
    const L = this.layout;
    const cols = Math.max(...sequences.map((s) => s.length));
    const out = await this.session.run(this.batchFeeds(sequences, cols, false), this.outputs(true, false));
    return { cols, logits: out[L.logits].data as Float32Array, hidden: out[L.hidden!].data as Float32Array };
  }

  async clear(): Promise<void> {
    this.cache = NONE;
    this.pending = NONE;
  }

  async close(): Promise<void> {
    await this.clear();
    await this.session.release();
  }
}

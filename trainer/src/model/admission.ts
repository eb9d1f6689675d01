// What one prefill may take from the waiting prompts: the bounds that keep a batch's memory
// in check whatever `maxBatch` allows. Each is about memory, not speed.
import type { ModelLayout } from './folder';
import { prefillLogitRows } from './runner';

/**
 * Bound on prompt tokens × hidden size of one prefill batch. onnxruntime's arena keeps the
 * largest run's activations for the session's life, and they grow faster than the batch: at
 * Qwen3-0.6B, a prefill of 2 × 254 tokens left the resident size where loading put it, one of
 * 8 × 254 added 1.7 GB. Past the bound, waiting prompts prefill in more batches.
 */
export const PREFILL_FLOATS = 2 ** 19;

/** Bound on the logits floats of one prefill or forward batch. */
export const LOGIT_FLOATS = 2 ** 25;

export interface Bounds {
  logitFloats: number;
  prefillFloats: number;
  /** KV cache of every sequence decoded at once, reserved for prompt and maxNewTokens. */
  kvCacheBytes: number;
  maxPositions: number;
}

/** A sequence as admission sees it. */
export interface Reserving {
  prompt: { length: number };
  opts: { maxNewTokens: number };
}

/** KV cache bytes of one token: keys and values of every layer. */
export function kvTokenBytes(layout: ModelLayout): number {
  return 2 * layout.layers * layout.kvHeads * layout.headDim * (layout.kvType === 'float16' ? 2 : 4);
}

/** KV cache a batch reserves: rows × the longest reservation, as the cache is padded to it. */
export function reservedBytes(layout: ModelLayout, rows: readonly Reserving[], maxPositions: number): number {
  const longest = Math.max(0, ...rows.map((s) => Math.min(s.prompt.length + s.opts.maxNewTokens, maxPositions)));
  return rows.length * longest * kvTokenBytes(layout);
}

/**
 * How many of `waiting`, in order, a lane running `running` prefills next, at most `room`
 * rows in all, while other lanes reserve `others` bytes of KV cache. One sequence always
 * runs when nothing else does, whatever the bounds.
 */
export function admitCount(
  layout: ModelLayout, bounds: Bounds, waiting: readonly Reserving[], running: readonly Reserving[], others: number, room: number,
): number {
  const lengths: number[] = [];
  let n = 0;
  while (n < waiting.length && running.length + n < room) {
    lengths.push(waiting[n].prompt.length);
    const rows = n + 1;
    const fits = rows * prefillLogitRows(lengths) * layout.vocab <= bounds.logitFloats
      && rows * Math.max(...lengths) * layout.hiddenSize <= bounds.prefillFloats
      && others + reservedBytes(layout, [...running, ...waiting.slice(0, rows)], bounds.maxPositions) <= bounds.kvCacheBytes;
    if (!fits && (n || running.length || others)) break;
    n++;
  }
  return n;
}

// User code (judges, workflows) hands back arbitrary values; a run must be able to write any of
// them. `plainData` copies a value into JSON-safe data: cycles, BigInts, functions, symbols and
// values whose getters or toJSON throw become marked placeholders, and the copy stops at a size
// budget with a truncation marker instead of growing without bound.

/** Every placeholder starts with this, so readers and tests can find them. */
export const UNSERIALIZABLE = '[unserializable';
export const TRUNCATED_KEY = '$truncated';

/** Default budget for a judge's `details` and a workflow's events, per rollout (`rollout.user_data_max_kb`). */
export const USER_DATA_MAX_BYTES = 256 * 1024;
const MAX_DEPTH = 64;
/** A value that has no JSON of its own is copied up to this size (shared parts are copied each time they appear). */
const LAST_RESORT_MAX_BYTES = 64 << 20;

export interface PlainResult {
  value: unknown;
  /** JSON length of `value`, near enough (within a few bytes per truncation). */
  bytes: number;
  truncated: boolean;
}

/** A JSON-safe copy of `value` whose JSON is at most about `maxBytes` long. */
export function plainData(value: unknown, maxBytes = USER_DATA_MAX_BYTES): PlainResult {
  let budget = maxBytes;
  let truncated = false;
  const seen = new Set<object>();
  const marker = (): unknown => {
    truncated = true;
    return { [TRUNCATED_KEY]: true, reason: `more than ${maxBytes} bytes; the rest was dropped` };
  };
  const take = (n: number) => {
    budget -= n;
    return budget >= 0;
  };
  const walk = (v: unknown, depth: number): unknown => {
    if (budget < 0) return undefined;
    switch (typeof v) {
      case 'string':
        if (!take(v.length + 2)) {
          const keep = Math.max(0, v.length + budget - 64);
          truncated = true;
          budget = Math.min(budget, -1);
          return `${v.slice(0, keep)}…[truncated ${v.length - keep} characters]`;
        }
        return v;
      case 'number':
        take(8);
        return Number.isFinite(v) ? v : `${UNSERIALIZABLE} number: ${v}]`;
      case 'boolean':
        take(5);
        return v;
      case 'undefined':
        return undefined;
      case 'bigint':
        take(24);
        return `${UNSERIALIZABLE} BigInt: ${v}]`;
      case 'function':
        take(32);
        return `${UNSERIALIZABLE} function: ${(v as { name?: string }).name || 'anonymous'}]`;
      case 'symbol':
        take(32);
        return `${UNSERIALIZABLE} symbol: ${String((v as symbol).description ?? '')}]`;
    }
    if (v === null) {
      take(4);
      return null;
    }
    const obj = v as Record<string, unknown>;
    if (seen.has(obj)) {
      take(32);
      return `${UNSERIALIZABLE} circular reference]`;
    }
    if (depth >= MAX_DEPTH) {
      take(32);
      return `${UNSERIALIZABLE} nested deeper than ${MAX_DEPTH}]`;
    }
    seen.add(obj);
    try {
      if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
        return walk((obj as { toJSON(): unknown }).toJSON(), depth + 1);
      }
      if (Array.isArray(obj)) {
        take(2);
        const out: unknown[] = [];
        for (let i = 0; i < obj.length; i++) {
          if (budget < 0) {
            out.push(marker());
            break;
          }
          const x = walk(obj[i], depth + 1);
          out.push(x === undefined ? null : x);
          take(1);
        }
        return out;
      }
      if (ArrayBuffer.isView(obj)) {
        take(32);
        return `${UNSERIALIZABLE} ${obj.constructor.name} of ${obj.byteLength} bytes]`;
      }
      take(2);
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(obj)) {
        if (budget < 0) {
          out[TRUNCATED_KEY] = true;
          truncated = true;
          break;
        }
        take(key.length + 4);
        let item: unknown;
        try {
          item = obj[key];
        } catch (e) {
          item = `${UNSERIALIZABLE} reading it threw: ${String((e as Error)?.message ?? e).slice(0, 200)}]`;
        }
        const x = walk(item, depth + 1);
        if (x !== undefined) out[key] = x;
      }
      return out;
    } catch (e) {
      take(64);
      return `${UNSERIALIZABLE} reading it threw: ${String((e as Error)?.message ?? e).slice(0, 200)}]`;
    } finally {
      seen.delete(obj);
    }
  };
  let out = walk(value, 0);
  if (budget < 0 && !truncated) truncated = true;
  if (out === undefined && value !== undefined) out = marker();
  return { value: out, bytes: maxBytes - budget, truncated };
}

/** JSON text of any value: plain JSON when it has it, the safe copy's otherwise. */
export function safeStringify(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text;
  } catch {
    // a cycle, a BigInt or a throwing toJSON: fall through to the safe copy
  }
  return JSON.stringify(plainData(value, LAST_RESORT_MAX_BYTES).value) ?? 'null';
}

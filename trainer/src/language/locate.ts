// Finds what sits under an offset in a parsed config: a key, or a scalar value, with its
// key path. Used where the text parses (hover, go to definition); completion reads
// half-written text with `LineIndex` instead.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Scalar } from 'yaml';
import type { KeyPath } from '../config/validate';

export interface Located {
  path: KeyPath;
  on: 'key' | 'value';
  /** Offsets [start, end) of the key or the scalar value. */
  start: number;
  end: number;
  /** The scalar under the offset (the key itself when on a key). */
  scalar?: Scalar;
}

export function parseConfigDocument(text: string): Document.Parsed {
  return parseDocument(text, { lineCounter: new LineCounter(), uniqueKeys: false, prettyErrors: false, strict: false });
}

export function locate(doc: Document, offset: number): Located | undefined {
  const path: KeyPath = [];
  let node: unknown = doc.contents;
  const within = (r: readonly number[] | null | undefined) => !!r && offset >= r[0] && offset <= r[1];
  for (let depth = 0; depth < 64; depth++) {
    if (isMap(node)) {
      let next: unknown;
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key) && within(key.range)) {
          return { path: [...path, String(key.value)], on: 'key', start: key.range![0], end: key.range![1], scalar: key };
        }
        const v = pair.value as { range?: number[] } | null;
        if (isScalar(key) && v && within(v.range)) {
          path.push(String(key.value));
          next = v;
          break;
        }
      }
      if (next === undefined) return undefined;
      node = next;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((it) => within((it as { range?: number[] })?.range));
      if (i < 0) return undefined;
      path.push(i);
      node = node.items[i];
    } else if (isScalar(node) && node.range) {
      return { path, on: 'value', start: node.range[0], end: node.range[1], scalar: node };
    } else {
      return undefined;
    }
  }
  return undefined;
}

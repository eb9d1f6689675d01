// Where a key path lies in a parsed YAML document.
import { isMap, isScalar, type Document, type Node, type Pair } from 'yaml';
import type { KeyPath } from './lines';

/** A JSON pointer (as ajv reports paths) as a key path. */
export function decodePointer(pointer: string): KeyPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function nodeAt(doc: Document, path: KeyPath): Node | undefined {
  if (path.length === 0) return (doc.contents as Node) ?? undefined;
  const n = doc.getIn(path, true);
  return n && typeof n === 'object' && 'range' in (n as object) ? (n as Node) : undefined;
}

export function pairAt(doc: Document, path: KeyPath): Pair | undefined {
  const parent = nodeAt(doc, path.slice(0, -1));
  if (!isMap(parent)) return undefined;
  const key = path[path.length - 1];
  return parent.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair | undefined;
}

export function rangeOf(node: unknown): [number, number] | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const r = (node as Node).range;
    if (r) return [r[0], r[1]];
  }
  return undefined;
}

/** The offsets of the key of the pair at `path`, else of its value. */
export function keyRange(doc: Document, path: KeyPath): [number, number] {
  const pair = pairAt(doc, path);
  return rangeOf(pair?.key) ?? rangeOf(nodeAt(doc, path)) ?? [0, 0];
}

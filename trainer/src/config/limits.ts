// Keeps config parsing linear in the file's size, so a hostile or generated file cannot hang
// `validate` or the editor. The yaml library's own duplicate-key check compares every key of a
// mapping with every other (quadratic: 170k keys took minutes); here a count of keys and items
// refuses absurd files before parsing, and duplicates are found with one hash set per mapping.
import { isMap, isScalar, visit, YAMLParseError, type Document } from 'yaml';

/** Most keys and items a config may hold: real configs hold hundreds. */
export const MAX_CONFIG_NODES = 20_000;

/**
 * Keys and items in the text, counted without parsing: every `: ` (or `:` at a line's end),
 * every `- ` that starts an item, every `,`. It over-counts (colons in strings and comments),
 * never under-counts, and stops at `limit`.
 */
export function countNodes(text: string, limit = MAX_CONFIG_NODES): number {
  let n = 0;
  let lineStart = true;
  for (let i = 0; i < text.length && n <= limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      continue;
    }
    if (c === 32 || c === 9) continue;
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 10;
    const spaceAfter = next === 32 || next === 9 || next === 10 || next === 13;
    if (c === 58 /* : */ && spaceAfter) n++;
    else if (c === 44 /* , */) n++;
    else if (c === 45 /* - */ && lineStart && spaceAfter) n++;
    lineStart = false;
  }
  return n;
}

/**
 * Adds a DUPLICATE_KEY error, as the yaml library's `uniqueKeys` would, for each key that
 * repeats one earlier in the same mapping. Linear: one set per mapping.
 */
export function addDuplicateKeyErrors(doc: Document): void {
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const v = pair.key.value;
        const id = `${typeof v}:${String(v)}`;
        if (seen.has(id)) {
          const [start, end] = pair.key.range ?? [0, 0];
          doc.errors.push(new YAMLParseError([start, end], 'DUPLICATE_KEY', 'Map keys must be unique'));
        } else seen.add(id);
      }
    },
  });
}

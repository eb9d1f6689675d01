// Where the cursor is in a config that is being typed, and therefore half-written: which
// mapping's key or which key's value. Read from indentation, line by line, because the YAML
// parser cannot place a cursor inside text that does not parse yet (`  tem` under
// `sampling:`). Lines inside multi-line scalars (`system_prompt: |`) are recognised and
// skipped.
/** A path of keys and item indexes into the config: ['tasks', 'train', 'path']. */
export type KeyPath = (string | number)[];

export interface CursorContext {
  kind: 'key' | 'value';
  /** key: the mapping that receives the key. value: the value being written. */
  path: KeyPath;
  /** Offsets [start, end) of the word a completion replaces. */
  start: number;
  end: number;
  /** What is typed between `start` and the cursor, quotes excluded. */
  prefix: string;
  /** key: keys the mapping already has, on other lines. */
  siblings: string[];
  /** value: the value is inside quotes. */
  quoted: boolean;
  /** key: the key is the first of a new list item (`- |`). */
  newItem: boolean;
}

interface Line {
  /** Column of the first non-space character; -1 for blank, comment and scalar-content lines. */
  first: number;
  /** Columns of `- ` list-item markers, left to right. */
  dashes: number[];
  key?: string;
  keyCol: number;
  /** Text after `key:`, trimmed, comment included. */
  rest: string;
}

const ENTRY = /^( *)((?:-[ \t]+)*)/;
const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#"'{}[\],:&*!|>%@`][^#]*?|[^\s#"'{}[\],&*!|>%@`:-][^#]*?)[ \t]*:(?=[ \t]|$)/;
const BLOCK_SCALAR = /^[|>][-+0-9]*[ \t]*(#.*)?$/;

export class LineIndex {
  readonly lines: string[];
  readonly starts: number[];
  private readonly info: Line[];

  constructor(readonly text: string) {
    this.lines = text.split(/\r?\n|\r/);
    this.starts = [];
    let off = 0;
    const seps = text.match(/\r?\n|\r/g) ?? [];
    for (let i = 0; i < this.lines.length; i++) {
      this.starts.push(off);
      off += this.lines[i].length + (seps[i]?.length ?? 0);
    }
    this.info = this.analyse();
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** 0-based line and character of an offset. */
  position(offset: number): { line: number; character: number } {
    const line = this.lineOf(Math.max(0, Math.min(offset, this.text.length)));
    return { line, character: Math.min(offset, this.text.length) - this.starts[line] };
  }

  offset(line: number, character: number): number {
    if (line >= this.starts.length) return this.text.length;
    return Math.min(this.starts[line] + character, line + 1 < this.starts.length ? this.starts[line + 1] : this.text.length);
  }

  private analyse(): Line[] {
    const out: Line[] = [];
    // While inside a block scalar, lines indented deeper than its key are its content.
    let blockParent = -2;
    let quote: '"' | "'" | undefined;
    for (const text of this.lines) {
      const trimmed = text.trim();
      const indent = text.length - text.trimStart().length;
      if (blockParent > -2 && (trimmed === '' || indent > blockParent)) {
        out.push({ first: -1, dashes: [], keyCol: -1, rest: '' });
        continue;
      }
      blockParent = -2;
      if (quote) {
        // A quoted scalar spanning lines ends at its closing quote.
        out.push({ first: -1, dashes: [], keyCol: -1, rest: '' });
        if (closesQuote(text, quote)) quote = undefined;
        continue;
      }
      if (trimmed === '' || trimmed.startsWith('#') || trimmed === '---' || trimmed === '...') {
        out.push({ first: -1, dashes: [], keyCol: -1, rest: '' });
        continue;
      }
      const m = ENTRY.exec(text)!;
      const dashes: number[] = [];
      let col = m[1].length;
      for (const d of m[2].matchAll(/-[ \t]+/g)) {
        dashes.push(col);
        col += d[0].length;
      }
      const after = text.slice(col);
      const k = KEY.exec(after);
      const line: Line = { first: indent, dashes, keyCol: col, rest: '' };
      let value = after;
      if (k) {
        line.key = unquote(k[1]);
        line.rest = after.slice(k[0].length).trim();
        value = line.rest;
      }
      out.push(line);
      const bare = value.replace(/[ \t]+#.*$/, '').trim();
      if (BLOCK_SCALAR.test(bare)) blockParent = k ? col : dashes.length ? dashes[dashes.length - 1] : indent;
      else if ((bare.startsWith('"') || bare.startsWith("'")) && !closesQuote(bare.slice(1), bare[0] as '"' | "'")) quote = bare[0] as '"' | "'";
    }
    return out;
  }

  /** True when the line holds only scalar content, a comment or nothing. */
  isFiller(line: number): boolean {
    return this.info[line].first < 0;
  }

  /** Path of the entry (key or list item) starting on `line` at column `col`. */
  private entryPath(line: number, col: number): KeyPath {
    const l = this.info[line];
    const base = this.collectionPath(line, col);
    if (l.dashes.includes(col)) return [...base, this.itemIndex(line, col)];
    return l.key !== undefined ? [...base, l.key] : base;
  }

  /** Path of the collection that holds the entry at (`line`, `col`). */
  collectionPath(line: number, col: number, isDash = this.info[line]?.dashes.includes(col) ?? false): KeyPath {
    const l = this.info[line];
    // An earlier marker on the same line holds this entry: `- ref:` puts `ref` in the item.
    if (l && l.first >= 0) {
      const before = [...l.dashes].filter((c) => c < col);
      if (before.length) return this.entryPath(line, before[before.length - 1]);
    }
    for (let i = line - 1; i >= 0; i--) {
      const p = this.info[i];
      if (p.first < 0 || p.first > col) continue;
      if (p.first === col) {
        // `key:` followed by `- item` at the same column: the list is the key's value.
        if (isDash && !p.dashes.length && p.key !== undefined && p.rest === '') return this.entryPath(i, col);
        continue;
      }
      const cols = [...p.dashes, ...(p.key !== undefined ? [p.keyCol] : [])].filter((c) => c < col);
      if (!cols.length) return [];
      return this.entryPath(i, cols[cols.length - 1]);
    }
    return [];
  }

  /**
   * Key path of what is written on the line holding `offset`, read from indentation alone:
   * it names the place of a syntax error even where the parser's tree is broken.
   */
  pathAt(offset: number): KeyPath {
    let line = this.lineOf(offset);
    while (line > 0 && this.info[line].first < 0) line--;
    const l = this.info[line];
    if (l.first < 0) return [];
    if (l.key !== undefined) return this.entryPath(line, l.keyCol);
    if (l.dashes.length) return this.entryPath(line, l.dashes[l.dashes.length - 1]);
    return this.collectionPath(line, l.first);
  }

  /** Index of the list item whose marker is on `line` at `col`. */
  itemIndex(line: number, col: number): number {
    let n = 0;
    for (let i = line - 1; i >= 0; i--) {
      const p = this.info[i];
      if (p.first < 0 || p.first > col) continue;
      if (p.first < col) break;
      if (p.dashes[0] === col) n++;
      else break;
    }
    return n;
  }

  /** Keys of the mapping whose keys sit at `col`, around `line` (which is left out). */
  siblingKeys(line: number, col: number): string[] {
    const keys: string[] = [];
    for (let i = line - 1; i >= 0; i--) {
      const p = this.info[i];
      if (p.first < 0 || p.first > col) continue;
      if (p.keyCol === col && p.key !== undefined) keys.push(p.key);
      if (p.first < col || p.dashes.includes(col)) break;
    }
    for (let i = line + 1; i < this.info.length; i++) {
      const p = this.info[i];
      if (p.first < 0 || p.first > col) continue;
      if (p.first < col || p.dashes.length) break;
      if (p.key !== undefined) keys.push(p.key);
    }
    return keys;
  }

  /** The cursor context at `offset`, or undefined inside comments and multi-line scalars. */
  contextAt(offset: number): CursorContext | undefined {
    const line = this.lineOf(offset);
    const ch = offset - this.starts[line];
    const text = this.lines[line];
    const before = text.slice(0, ch);
    if (this.isFiller(line) && before.trim() !== '') return undefined;
    if (inComment(before)) return undefined;
    if (this.info[line].first < 0 && before.trim() === '' && this.insideScalar(line, ch)) return undefined;

    const m = ENTRY.exec(before)!;
    const dashes: number[] = [];
    let col = m[1].length;
    for (const d of m[2].matchAll(/-[ \t]+/g)) {
      dashes.push(col);
      col += d[0].length;
    }
    const after = before.slice(col);

    const flow = flowContext(after);
    const k = KEY.exec(after);
    if (k && !flow) {
      // `key: val|`: the value of `key`.
      const key = unquote(k[1]);
      const holder = this.pathForNewEntry(line, col, dashes);
      const valueStart = col + k[0].length + (after.slice(k[0].length).length - after.slice(k[0].length).trimStart().length);
      return this.valueContext([...holder, key], line, valueStart, ch);
    }
    if (k && flow) {
      const key = unquote(k[1]);
      const holder = [...this.pathForNewEntry(line, col, dashes), key, ...flow.path];
      const start = col + k[0].length + flow.offset;
      if (flow.kind === 'key') return this.keyContext(holder, line, start, ch, flow.siblings, false);
      return this.valueContext(holder, line, start, ch);
    }
    if (dashes.length) {
      // `- |`: a new list item; a scalar, or the first key of a mapping item.
      const d = dashes[dashes.length - 1];
      const seq = this.collectionPath(line, d, true);
      const itemPath = [...seq, this.itemIndex(line, d)];
      if (after.includes(':') && !/^["']/.test(after)) return undefined;
      return this.keyContext(itemPath, line, col, ch, [], true);
    }
    if (/^["'{[]/.test(after) || after.includes(':')) return undefined;
    const holder = this.pathForNewEntry(line, col, []);
    return this.keyContext(holder, line, col, ch, this.siblingKeys(line, col), false);
  }

  /** The mapping that a key typed at (`line`, `col`) belongs to. */
  private pathForNewEntry(line: number, col: number, dashes: number[]): KeyPath {
    if (dashes.length) {
      const d = dashes[dashes.length - 1];
      return [...this.collectionPath(line, d, true), this.itemIndex(line, d)];
    }
    return this.collectionPath(line, col, false);
  }

  private keyContext(path: KeyPath, line: number, col: number, ch: number, siblings: string[], newItem: boolean): CursorContext {
    const text = this.lines[line];
    let end = ch;
    while (end < text.length && /[\w$-]/.test(text[end])) end++;
    return {
      kind: 'key',
      path,
      start: this.starts[line] + col,
      end: this.starts[line] + end,
      prefix: text.slice(col, ch),
      siblings,
      quoted: false,
      newItem,
    };
  }

  private valueContext(path: KeyPath, line: number, valueCol: number, ch: number): CursorContext {
    const text = this.lines[line];
    let start = valueCol;
    let quoted = false;
    if (text[start] === '"' || text[start] === "'") {
      quoted = true;
      start++;
    }
    let end = Math.max(ch, start);
    if (quoted) {
      const close = text.indexOf(text[start - 1], end);
      end = close < 0 ? text.length : close;
    } else {
      while (end < text.length && !/[\s,\]}#]/.test(text[end])) end++;
    }
    return {
      kind: 'value',
      path,
      start: this.starts[line] + start,
      end: this.starts[line] + end,
      prefix: text.slice(start, Math.max(start, ch)),
      siblings: [],
      quoted,
      newItem: false,
    };
  }

  /** A blank line inside a block scalar (the next content line is deeper than its parent). */
  private insideScalar(line: number, ch: number): boolean {
    for (let i = line + 1; i < this.info.length; i++) {
      if (this.lines[i].trim() === '') continue;
      return this.info[i].first < 0 && !this.lines[i].trim().startsWith('#') && ch >= 0 && this.lines[i].length - this.lines[i].trimStart().length <= ch;
    }
    return false;
  }
}

function unquote(k: string): string {
  if (k.startsWith('"')) {
    try {
      return JSON.parse(k) as string;
    } catch {
      return k.slice(1, -1);
    }
  }
  if (k.startsWith("'")) return k.slice(1, -1).replace(/''/g, "'");
  return k.trim();
}

function closesQuote(text: string, q: '"' | "'"): boolean {
  for (let i = 0; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return true;
    }
  }
  return false;
}

/** A `#` that starts a comment: at the line start or after whitespace, outside quotes. */
function inComment(before: string): boolean {
  let q: string | undefined;
  for (let i = 0; i < before.length; i++) {
    const c = before[i];
    if (q) {
      if (q === '"' && c === '\\') i++;
      else if (c === q) q = undefined;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s:[{,]/.test(before[i - 1])) q = c;
    } else if (c === '#' && (i === 0 || /\s/.test(before[i - 1]))) return true;
  }
  return false;
}

/**
 * Inside an unclosed flow collection after `key:` on this line (`lora: { rank: 8, al|`):
 * the path below the key, whether a key or a value is typed, and where that word starts.
 */
function flowContext(after: string): { kind: 'key' | 'value'; path: KeyPath; offset: number; siblings: string[] } | undefined {
  const k = KEY.exec(after);
  if (!k) return undefined;
  const body = after.slice(k[0].length);
  const stack: { open: '{' | '['; index: number; key?: string; keys: string[]; segStart: number }[] = [];
  let q: string | undefined;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (q) {
      if (q === '"' && c === '\\') i++;
      else if (c === q) q = undefined;
      continue;
    }
    if (c === '"' || c === "'") q = c;
    else if (c === '{' || c === '[') {
      const top = stack[stack.length - 1];
      if (top) top.key = top.open === '{' ? segmentKey(body.slice(top.segStart, i)) : undefined;
      stack.push({ open: c, index: 0, keys: [], segStart: i + 1 });
    } else if (c === '}' || c === ']') stack.pop();
    else if (c === ',' && stack.length) {
      const top = stack[stack.length - 1];
      const key = segmentKey(body.slice(top.segStart, i));
      if (key) top.keys.push(key);
      top.index++;
      top.segStart = i + 1;
    }
  }
  if (!stack.length) return undefined;
  const path: KeyPath = [];
  for (const [i, s] of stack.entries()) {
    if (i === stack.length - 1) break;
    if (s.open === '[') path.push(s.index);
    else if (s.key) path.push(s.key);
  }
  const top = stack[stack.length - 1];
  const seg = body.slice(top.segStart);
  const lead = seg.length - seg.trimStart().length;
  if (top.open === '[') return { kind: 'value', path: [...path, top.index], offset: top.segStart + lead, siblings: [] };
  const colon = /^([^:]*?):[ \t]*/.exec(seg.trimStart());
  if (colon) return { kind: 'value', path: [...path, unquote(colon[1])], offset: top.segStart + lead + colon[0].length, siblings: top.keys };
  return { kind: 'key', path, offset: top.segStart + lead, siblings: top.keys };
}

function segmentKey(seg: string): string | undefined {
  const m = /^\s*([^:{}[\],]+?)\s*:/.exec(seg);
  return m ? unquote(m[1]) : undefined;
}

// The extraction and normalisation of the `builtin:math` that `equal.ts` belongs to, kept
// unchanged as the peer of `npm run bench:judge`.
// Finding the final answer in a solution: the last `\boxed{}`, the text after `####`, "the
// answer is ...", a GSM8K-style `A: ...` line, and failing those the last number.

import { MATH_WORDS, UNIT_WORDS } from './normalize';

export type ExtractMethod = 'boxed' | 'hash' | 'answer_is' | 'answer_line' | 'last_number' | 'whole';

export interface Extracted {
  text: string;
  method: ExtractMethod;
}

/** The content of the last `\boxed{...}` or `\fbox{...}` (nested braces), or `\boxed 5`. */
export function lastBoxed(text: string): string | null {
  const at = Math.max(text.lastIndexOf('\\boxed'), text.lastIndexOf('\\fbox'));
  if (at === -1) return null;
  let i = at + (text.startsWith('\\boxed', at) ? 6 : 5);
  while (text[i] === ' ') i++;
  if (text[i] !== '{') {
    // `\boxed 5` (no braces): up to the next space, `$` or end.
    const m = /^\s*([^\s$]+)/.exec(text.slice(at + 6));
    return m ? m[1] : null;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const ch = text[j];
    if (ch === '\\') {
      j++;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return text.slice(i + 1, j);
  }
  return null; // unbalanced: the answer was cut off
}

/** Text after the last `####`, to the end of its line. */
export function afterHashes(text: string): string | null {
  const at = text.lastIndexOf('####');
  if (at === -1) return null;
  const line = text.slice(at + 4).split('\n')[0].trim();
  return line || null;
}

/** End of the sentence holding an answer: a period followed by space or end, not a decimal point. */
function sentence(rest: string): string {
  let s = rest.split('\n')[0];
  const stop = /\.(?=\s|$)|(?<=\S)\s+(?:because|since|as|so|which|and so|I hope)\b/i.exec(s);
  if (stop) s = s.slice(0, stop.index);
  return s.trim().replace(/^[:=\s]+/, '').replace(/[.,;!]+$/, '').trim();
}

const ANSWER_IS = /(?:final\s+answer|the\s+answer|answer)\s*(?:is|was|would\s+be|will\s+be|should\s+be|=|:)\s*:?/gi;

/** What follows the last "the answer is" / "Final answer:" / "Answer:". */
export function afterAnswerPhrase(text: string): string | null {
  let last: RegExpExecArray | null = null;
  for (let m = ANSWER_IS.exec(text); m; m = ANSWER_IS.exec(text)) last = m;
  ANSWER_IS.lastIndex = 0;
  if (!last) return null;
  const s = sentence(text.slice(last.index + last[0].length));
  return s || null;
}

/** The GSM8K example-solution form: a last line `A: 18`. */
export function answerLine(text: string): string | null {
  const matches = [...text.matchAll(/(?:^|\n)\s*A\s*:\s*([^\n]*)/g)];
  if (matches.length === 0) return null;
  const s = matches[matches.length - 1][1].trim().replace(/[.;,!]+$/, '').trim();
  return s || null;
}

// A number as written in text: -1,234.5 · 3/4 · .5 · 2.5e3, with an optional leading $.
const NUMBER = /-?\$?\s?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?:\s*\/\s*\d+)?|\.\d+)/g;

/** The last number in the text; GSM8K calculator annotations `<<2*3=6>>` are skipped. */
export function lastNumber(text: string): string | null {
  const clean = text.replace(/<<[^>]*>>/g, ' ');
  let last: string | null = null;
  for (const m of clean.matchAll(NUMBER)) last = m[0];
  return last === null ? null : last.replace(/\$\s?/, '').replace(/\s+/g, '');
}

/** Whether a text is itself an answer (`3/4`, `x^2+1`, `\frac{1}{2}`, `18 dollars`), not a sentence around one. */
export function isBareAnswer(text: string): boolean {
  const t = text.trim();
  if (!t || t.length > 200 || t.includes('\n') || (t.match(/=/g) ?? []).length > 1) return false;
  const words = t.replace(/\\[a-zA-Z]+/g, ' ').match(/[a-zA-Z]{2,}/g) ?? [];
  // Every word is math or a unit ("x^2 + y^2 = 1", "18 dollars"), or the whole text is a
  // word or two without digits ("Tuesday", "(B)").
  if (words.every((w) => MATH_WORDS.has(w.toLowerCase()) || UNIT_WORDS.has(w.toLowerCase()))) return true;
  return !/[\d=.!?]/.test(t) && t.split(/\s+/).length <= 2;
}

export interface ExtractOptions {
  /** When no marker is found: the last number (model output) or the whole text (references). */
  fallback?: 'last_number' | 'whole' | 'none';
  /** Also read GSM8K example-solution `A: ...` lines. */
  answerLines?: boolean;
}

/** The final answer in `text`, by the first rule that finds one. */
export function extractAnswer(text: string | null | undefined, options: ExtractOptions = {}): Extracted | null {
  if (text === null || text === undefined) return null;
  const boxed = lastBoxed(text);
  if (boxed !== null && boxed.trim()) return { text: boxed.trim(), method: 'boxed' };
  const hash = afterHashes(text);
  if (hash !== null) return { text: hash, method: 'hash' };
  if (options.answerLines) {
    const line = answerLine(text);
    if (line !== null) return { text: line, method: 'answer_line' };
  }
  const phrase = afterAnswerPhrase(text);
  if (phrase !== null) return { text: phrase, method: 'answer_is' };
  const fallback = options.fallback ?? 'last_number';
  if (fallback === 'whole' || (fallback === 'last_number' && isBareAnswer(text))) {
    const t = text.trim();
    if (t) return { text: t, method: 'whole' };
  }
  if (fallback === 'last_number') {
    const n = lastNumber(text);
    if (n !== null) return { text: n, method: 'last_number' };
  }
  return null;
}

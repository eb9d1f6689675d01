// An extracted answer made ready for the LaTeX parser: notation that carries no value is
// removed (text and units, spacing, display delimiters, currency, degrees, base subscripts),
// plain and Python-style math is spelled as LaTeX, and what the parser would silently repair
// (`x^^2`, unbalanced braces) is refused. Each step is named, for the verdict's explanation.
import { UNIT_WORDS } from './normalize';

export interface Prepared {
  /** The LaTeX the parser reads. */
  latex: string;
  /** The answer carried `%` or the word "percent". */
  percent: boolean;
  /** A time of day (`20:34`, `8:34 P.M.`), in minutes after midnight, with whether AM/PM was said. */
  time?: { minutes: number; half: boolean };
  /** Plain text when the answer is words (`Monday`, `(B)`), compared without case. */
  words?: string;
  /** Why the answer cannot be read safely; the comparison is then undecided. */
  malformed?: string;
  /** The clean-up steps that changed something. */
  steps: string[];
}

/** Longest answer the parser reads, and deepest bracket nesting: beyond these, undecided. */
export const MAX_ANSWER_CHARS = 2000;
export const MAX_NESTING = 60;

const TEXT_COMMANDS = 'text|textbf|textit|textrm|textsf|texttt|textnormal|textup|mbox|hbox|mathrm|mathbf|mathit|mathsf|mathtt|mathnormal|operatorname|emph|bm|boldsymbol';
const TEXT_ARG = new RegExp(`\\\\(?:${TEXT_COMMANDS})\\s*\\{((?:[^{}]|\\{[^{}]*\\})*)\\}(?:\\s*\\^\\s*\\{?[23]\\}?)?`, 'g');
const FUNCTIONS = 'sqrt|sin|cos|tan|sec|csc|cot|arcsin|arccos|arctan|sinh|cosh|tanh|log|ln|exp';
const CURRENCY = /\\\$|€|£|¥|₹|\bUSD\b|\bEUR\b/g;

/** Deepest nesting of (), [], {} in `s`. */
export function nesting(s: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) max = Math.max(max, ++depth);
    else if (c === 41 || c === 93 || c === 125) depth--;
  }
  return max;
}

function braceBalanced(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth < 0) return false;
  }
  return depth === 0;
}

/** `sqrt(x)` → `\sqrt{x}` with the parenthesis matched, so that the argument stays whole. */
function plainRoots(s: string): string {
  for (let guard = 0; guard < 50; guard++) {
    const m = /(?<![\\a-zA-Z])sqrt\s*\(/.exec(s);
    if (!m) break;
    let depth = 0;
    let end = -1;
    for (let j = m.index + m[0].length - 1; j < s.length; j++) {
      if (s[j] === '(') depth++;
      else if (s[j] === ')' && --depth === 0) {
        end = j;
        break;
      }
    }
    if (end === -1) break;
    s = `${s.slice(0, m.index)}\\sqrt{${s.slice(m.index + m[0].length, end)}}${s.slice(end + 1)}`;
  }
  return s;
}

/** Plain and Python-style math in LaTeX spelling: `x**2`, `sqrt(2)`, `pi`, `>=`, `inf`. */
function plainToLatex(s: string): string {
  s = s.replace(/\*\*/g, '^');
  s = plainRoots(s);
  s = s.replace(new RegExp(`(?<![\\\\a-zA-Z])(${FUNCTIONS})(?![a-zA-Z])`, 'g'), '\\$1');
  s = s.replace(/(?<![\\a-zA-Z])pi(?![a-zA-Z])/g, '\\pi ');
  s = s.replace(/(?<![\\a-zA-Z])(?:infinity|inf|oo)(?![a-zA-Z])/gi, '\\infty ');
  return s;
}

const UNICODE: [RegExp, string][] = [
  [/×|·/g, '\\times '],
  [/÷/g, '\\div '],
  [/−|–/g, '-'],
  [/π/g, '\\pi '],
  [/∞/g, '\\infty '],
  [/≤/g, '\\le '],
  [/≥/g, '\\ge '],
  [/≠/g, '\\ne '],
  [/≈/g, '\\approx '],
  [/∪/g, '\\cup '],
  [/√/g, '\\sqrt '],
  [/∈/g, '\\in '],
];

/** Whether text after a value is a unit or other words: known units, or words of `minWord` letters or more. */
function isUnitText(t: string, minWord = 2): boolean {
  const words = t
    .toLowerCase()
    .replace(/\^\s*\{?\d\}?/g, '')
    .split(/[\s/.-]+/)
    .filter(Boolean);
  return words.length > 0 && words.every((w) => UNIT_WORDS.has(w) || new RegExp(`^[a-z]{${minWord},}$`).test(w));
}

/** A time of day: `20:34`, `8:34 pm`, `08:34 P.M.`. */
function timeOfDay(s: string): Prepared['time'] | undefined {
  const m = /^(\d{1,2})\s*:\s*(\d{2})\s*(?:\\text\{\s*)?([ap])?\.?\s*(?:m\.?)?\s*\}?$/i.exec(s.replace(/\\[,;!]|\\ /g, ' ').trim());
  if (!m) return undefined;
  let h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return undefined;
  const half = m[3] !== undefined;
  if (half) {
    if (h < 1 || h > 12) return undefined;
    h = (h % 12) + (m[3].toLowerCase() === 'p' ? 12 : 0);
  }
  return { minutes: h * 60 + min, half };
}

/** A whole answer of letters only, read as words: `Monday`, `(B)`, `\text{yes}`. */
function wordsOf(s: string): string | undefined {
  const inText = s.replace(/\\(?:text|textbf|textit|textrm|textsf|textnormal|mbox|hbox)\s*\{([^{}]*)\}/g, '$1');
  const t = inText
    .replace(new RegExp(`\\\\(?:${TEXT_COMMANDS})\\s*\\{([^{}]*)\\}`, 'g'), '$1')
    .replace(/^\(([^()]*)\)$/, '$1')
    .trim();
  if (!/^[A-Za-z][A-Za-z ]*$/.test(t)) return undefined;
  // A lone letter is a variable, unless it is a choice: an upper-case A to E, or one in parentheses or \text.
  if (t.length === 1) return /^[A-E]$/.test(t) || /^\(.\)$/.test(inText.trim()) || inText !== s ? t.toLowerCase() : undefined;
  // Two letters are a product of variables (ab = ba) unless written as text.
  if (t.length === 2 && inText === s) return undefined;
  return t.toLowerCase().replace(/\s+/g, ' ');
}

export function prepare(raw: string): Prepared {
  const steps: string[] = [];
  const step = (name: string, next: string, prev: string) => {
    if (next !== prev) steps.push(name);
    return next;
  };
  let s = raw.trim();
  if (s.length > MAX_ANSWER_CHARS) return { latex: '', percent: false, steps, malformed: `longer than ${MAX_ANSWER_CHARS} characters` };
  if (nesting(s) > MAX_NESTING) return { latex: '', percent: false, steps, malformed: `brackets nested deeper than ${MAX_NESTING}` };
  s = step('display delimiters', s.replace(/^\$+|\$+$/g, '').replace(/^\\\(|\\\)$/g, '').replace(/^\\\[|\\\]$/g, '').trim(), s);
  // `\\dfrac` from a doubly escaped string; a matrix row break `\\` is left alone.
  s = step('escaped backslashes', s.replace(/\\\\(?=(?:[dtc]?frac|sqrt|text|mathrm|pi|times|cdot|infty|left|right|le|ge|leq|geq|neq|pm|circ|sin|cos|tan|log|ln)(?![a-zA-Z]))/g, '\\'), s);
  s = step('trailing backslash', s.replace(/\\+$/, '').replace(/[.;]+$/, '').trim(), s);
  for (const [re, to] of UNICODE) s = s.replace(re, to);
  if (/\^\s*\^|_\s*_|\^\s*$|\^\s*\{\s*\^/.test(s)) return { latex: s, percent: false, steps, malformed: 'a doubled or dangling ^ or _' };
  if (!braceBalanced(s)) return { latex: s, percent: false, steps, malformed: 'unbalanced braces' };

  const time = timeOfDay(s);
  if (time) return { latex: s, percent: false, time, steps: [...steps, 'time of day'] };
  const words = wordsOf(s);
  if (words !== undefined) return { latex: s, percent: false, words, steps: [...steps, 'words'] };

  s = step('spacing', s.replace(/(?<!\\)\\[,;:!> ]|\\(?:quad|qquad|enspace|thinspace|medspace|thickspace)(?![a-zA-Z])|~/g, ' ').replace(/\{,\}/g, ''), s);
  s = step('sizing', s.replace(/\\(?:displaystyle|textstyle|scriptstyle|big|Big|bigg|Bigg)[lr]?(?![a-zA-Z])/g, ''), s);
  s = step('\\dfrac, \\tfrac', s.replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac'), s);
  s = step('currency', s.replace(CURRENCY, ' '), s);
  let percent = false;
  const noPercent = s.replace(/\\?%|\bpercent\b/gi, ' ');
  if (noPercent !== s) {
    percent = true;
    s = step('percent', noPercent, s);
  }
  // Connectives between alternatives: "x = 1 \text{ or } x = 2", "x < -1 or x > 1".
  s = step('connectives', s.replace(/\\text\s*\{\s*(or|and)\s*\}|(?<=\s)(or|and)(?=\s)/g, (_m, a: string, b: string) => ((a ?? b) === 'or' ? ' \\lor ' : ' \\land ')), s);
  // Text after a value is a unit or a word ("5\text{ cm}", "3 \textnormal{ miles}"): dropped.
  s = step(
    'units',
    s.replace(TEXT_ARG, (m, arg: string, at: number, all: string) => {
      const before = all.slice(0, at).trimEnd();
      return isUnitText(arg) && /[\d})\]]$/.test(before) ? ' ' : m;
    }),
    s,
  );
  // Remaining text commands keep their content as math: \textbf{5} → 5, \mathrm{i} stays for the parser.
  s = s.replace(new RegExp(`\\\\(?:text|textbf|textit|textrm|textnormal|mbox|hbox|emph|bm|boldsymbol|mathbf|mathit)\\s*\\{([^{}]*)\\}`, 'g'), ' $1 ');
  // Degrees stand for themselves in a plain angle (90^\circ = 90), and for radians inside trigonometry.
  const trig = /\\(?:sin|cos|tan|sec|csc|cot)(?![a-zA-Z])/.test(s);
  if (!trig) s = step('degrees', s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree|°/g, ''), s);
  else s = s.replace(/°|\\degree/g, '^\\circ');
  // A base subscript on a number (4210_{7}) is notation: the digits are the answer.
  s = step('base subscript', s.replace(/(\d)_\s*\{?\s*\d+\s*\}?/g, '$1'), s);
  if (!s.includes('\\')) s = step('plain math', plainToLatex(s), s);
  s = step('decimal comma', decimalComma(s), s);
  s = step('thousands separators', s.replace(/(^|[^\d.,{])(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?)(?![\d,]*\d)/g, (m, pre: string, num: string) => (isListy(s) ? m : pre + num.replace(/,/g, ''))), s);
  s = step('units', trailingUnit(s), s);
  // A mixed number "2 1/2"; any other space between digits leaves the number unclear.
  s = step('mixed number', s.replace(/^(-?)(\d+)\s+(\d+)\s*\/\s*(\d+)$/, '$1($2+\\frac{$3}{$4})'), s);
  if (/^-?\d{1,3}(?: \d{3})+(?:\.\d+)?$/.test(s.trim())) s = step('thousands separators', s.replace(/ /g, ''), s);
  if (/^[-\d.\s]+$/.test(s.trim()) && /\d\s+\d/.test(s)) return { latex: s, percent, steps, malformed: 'digits separated by a space' };
  return { latex: s.trim(), percent, steps };
}

/** Brackets around commas: `(1, 234)` is a pair, not one thousand two hundred thirty-four. */
function isListy(s: string): boolean {
  return /^\s*(?:\\left\s*)?[([{]|\\\{/.test(s);
}

/** `1000,99` and `0,111` are decimals: no thousands separator leaves 2 digits or follows a lone 0. */
export function decimalComma(s: string): string {
  const m = /^(-?)(\d+),(\d+)$/.exec(s.trim());
  if (!m) return s;
  const [, sign, whole, frac] = m;
  const grouped = whole.length <= 3 && whole[0] !== '0' && frac.length === 3;
  if (grouped) return s;
  if (whole === '0' || (whole.length >= 4 && frac.length !== 3)) return `${sign}${whole}.${frac}`;
  return s;
}

/** A plain unit word after a number: "18 square feet", "60mph". */
function trailingUnit(s: string): string {
  const m = /^(.*?\d\.?)(\s*)([a-zA-Z][a-zA-Z\s./]*?)\s*(?:\^\s*\{?[23]\}?)?$/.exec(s);
  if (!m) return s;
  const tail = m[3].trim();
  // Glued to the number only a known unit ("60mph", not "2xy"); after a space, words of 3+ letters too ("7 apples").
  const known = tail.split(/[\s/.]+/).every((w) => UNIT_WORDS.has(w.toLowerCase()));
  return known || (m[2] !== '' && isUnitText(tail, 3)) ? m[1] : s;
}

// The extraction and normalisation of the `builtin:math` that `equal.ts` belongs to, kept
// unchanged as the peer of `npm run bench:judge`.
// Final answers to a canonical form that `equal.ts` can compare: LaTeX to plain math (mathjs
// syntax), and what surrounds the value in word problems (currency, units, percent, thousands
// separators, "x = ") stripped. Percent is remembered, so "50%" can equal 50 or 0.5.

export interface Normalized {
  /** Canonical text: `3/4`, `sqrt(2)/2`, `(1, 2)`, `[0, Infinity)`, `18`. */
  text: string;
  /** The answer carried a percent sign or the word "percent". */
  percent: boolean;
}

/** Reads one LaTeX argument at `i`: a `{...}` group, a `\command`, or a single character. */
export function readArg(s: string, i: number): { arg: string; end: number } | null {
  while (s[i] === ' ') i++;
  if (i >= s.length) return null;
  if (s[i] === '{') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      if (s[j] === '\\') {
        j++;
        continue;
      }
      if (s[j] === '{') depth++;
      else if (s[j] === '}' && --depth === 0) return { arg: s.slice(i + 1, j), end: j + 1 };
    }
    return { arg: s.slice(i + 1), end: s.length };
  }
  if (s[i] === '\\') {
    const m = /^\\[a-zA-Z]+/.exec(s.slice(i));
    if (m) return { arg: m[0], end: i + m[0].length };
  }
  return { arg: s[i], end: i + 1 };
}

/** Replaces every `\name{...}` (one argument) by `render(arg)`, innermost content first. */
function replaceCommand(s: string, names: string[], render: (arg: string) => string): string {
  const re = new RegExp(`\\\\(?:${names.join('|')})(?![a-zA-Z])`);
  for (let guard = 0; guard < 200; guard++) {
    const m = re.exec(s);
    if (!m) break;
    const a = readArg(s, m.index + m[0].length);
    if (!a) {
      s = s.slice(0, m.index) + s.slice(m.index + m[0].length);
      continue;
    }
    s = s.slice(0, m.index) + render(a.arg) + s.slice(a.end);
  }
  return s;
}

/** `\frac{a}{b}`, `\dfrac`, `\tfrac`, `\frac12`, and mixed numbers `2\frac{1}{2}`. */
function replaceFractions(s: string): string {
  const re = /\\(?:[dtc]?frac)(?![a-zA-Z])/;
  for (let guard = 0; guard < 200; guard++) {
    const m = re.exec(s);
    if (!m) break;
    const num = readArg(s, m.index + m[0].length);
    const den = num && readArg(s, num.end);
    if (!num || !den) {
      s = s.slice(0, m.index) + s.slice(m.index + m[0].length);
      continue;
    }
    const frac = `(${num.arg})/(${den.arg})`;
    // A whole number right before a fraction of whole numbers is a mixed number: 2\frac{1}{2} = 5/2.
    const before = /(-?)(\d+)\s*$/.exec(s.slice(0, m.index));
    if (before && /^\s*\d+\s*$/.test(num.arg) && /^\s*\d+\s*$/.test(den.arg) && !/[\d.)}\]a-zA-Z]$/.test(s.slice(0, before.index))) {
      const mixed = `${before[1]}(${before[2]}+${frac})`;
      s = s.slice(0, before.index) + mixed + s.slice(den.end);
    } else {
      // Right after a value a fraction multiplies it: x\frac{1}{2} = x/2.
      const times = /[a-zA-Z0-9)]\s*$/.test(s.slice(0, m.index)) ? '*' : '';
      s = s.slice(0, m.index) + `${times}(${frac})` + s.slice(den.end);
    }
  }
  return s;
}

/** `\sqrt{x}` → `sqrt(x)`, `\sqrt[3]{x}` → `nthRoot(x, 3)`, `\sqrt2` → `sqrt(2)`. */
function replaceRoots(s: string): string {
  for (let guard = 0; guard < 200; guard++) {
    const m = /\\sqrt(?![a-zA-Z])/.exec(s);
    if (!m) break;
    let i = m.index + m[0].length;
    let index: string | undefined;
    const open = s.slice(i).match(/^\s*\[/);
    if (open) {
      const close = s.indexOf(']', i);
      if (close !== -1) {
        index = s.slice(i + open[0].length, close);
        i = close + 1;
      }
    }
    const a = readArg(s, i);
    const arg = a ? a.arg : '';
    const end = a ? a.end : i;
    s = s.slice(0, m.index) + (index ? ` nthRoot(${arg}, ${index})` : ` sqrt(${arg})`) + s.slice(end);
  }
  return s;
}

const SET_OPEN = '\u0001';
const SET_CLOSE = '\u0002';

const WRAPPERS = ['text', 'textbf', 'textit', 'textrm', 'textsf', 'texttt', 'mathrm', 'mathbf', 'mathit', 'mathsf', 'mathtt', 'mbox', 'hbox', 'operatorname', 'boxed', 'fbox', 'displaystyle', 'bm', 'mathnormal', 'emph'];

const SPACING = /\\(?:,|;|:|!|\s|quad|qquad|enspace|thinspace|medspace|thickspace)|~/g;
const SIZING = /\\(?:left|right|big|Big|bigg|Bigg|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|middle)(?![a-zA-Z])/g;

const SYMBOLS: [RegExp, string][] = [
  [/\\(?:cdot|times|ast)(?![a-zA-Z])/g, '*'],
  [/\\div(?![a-zA-Z])/g, '/'],
  [/\\pi(?![a-zA-Z])/g, ' pi '],
  [/\\infty(?![a-zA-Z])|∞/g, 'Infinity'],
  [/\\(?:le|leq|leqslant)(?![a-zA-Z])|≤/g, '<='],
  [/\\(?:ge|geq|geqslant)(?![a-zA-Z])|≥/g, '>='],
  [/\\(?:ne|neq)(?![a-zA-Z])|≠/g, '!='],
  [/\\cup(?![a-zA-Z])|∪/g, ' U '],
  [/\\ln(?![a-zA-Z])/g, 'log'],
  [/\\(sin|cos|tan|sec|csc|cot|arcsin|arccos|arctan|sinh|cosh|tanh|exp|log)(?![a-zA-Z])/g, '$1'],
  [/\\(?:dots|ldots|cdots)(?![a-zA-Z])/g, '...'],
  [/×|·/g, '*'],
  [/÷/g, '/'],
  [/−|–/g, '-'],
  [/π/g, 'pi'],
  [/√\s*(\d+(?:\.\d+)?|[a-zA-Z])/g, 'sqrt($1)'],
];

const CURRENCY = /\\\$|\$|€|£|¥|₹|\bUSD\b|\bEUR\b|\bRs\.?(?=\s*\d)/g;

/** Words a number in a word problem may be followed by; stripped when they follow the value. */
export const UNIT_WORDS = new Set(
  (
    'dollar dollars cent cents euro euros pound pounds yen rupee rupees usd ' +
    'second seconds sec secs minute minutes min mins hour hours hr hrs h day days week weeks month months year years yr yrs ' +
    'mm cm m km meter meters metre metres kilometer kilometers kilometre kilometres centimeter centimeters millimeter millimeters ' +
    'inch inches in ft foot feet yard yards yd mile miles mi ' +
    'mg g kg gram grams kilogram kilograms lb lbs ounce ounces oz ton tons tonne tonnes ' +
    'ml l liter liters litre litres gallon gallons gal quart quarts pint pints cup cups ' +
    'mph kph km/h kmh m/s ' +
    'degree degrees deg ° square sq cubic units unit per each ' +
    'percent percentage points point'
  ).split(/\s+/),
);
/** Units that may be written right against the number: `5cm`, `60mph`. */
const ATTACHED_UNITS = /^(?:mm|cm|km|m|kg|mg|g|lbs?|oz|ft|in|yd|mi|mph|kph|km\/h|m\/s|ml|l|hrs?|h|mins?|secs?|s|gal)(?:\^?[23])?$/i;
const FILLER = /^(?:approximately|approx\.?|about|around|roughly|nearly|exactly|only|just|total(?:\s+of)?|a\s+total\s+of|is|are|was|were|equals|equal\s+to|=|~|≈)\s+/i;

/** Drops a trailing unit phrase after a number: "18 square feet" → "18", "5 \text{ cm}^2" → "5". */
function stripUnits(s: string): string {
  const m = /^(.*?\d\.?)\s*([a-zA-Z°][a-zA-Z°\s./^\d-]*)$/.exec(s);
  if (!m) return s;
  const [, value, tail] = m;
  const words = tail
    .replace(/\^\s*\d/g, '')
    .split(/[\s/.-]+/)
    .filter(Boolean);
  if (words.length === 0) return s;
  const attached = !/\s$/.test(s.slice(0, s.length - tail.length)) && !/\s/.test(tail.trim());
  if (attached) return ATTACHED_UNITS.test(tail.trim()) ? value : s;
  // Any word of two letters or more, or a known unit, ends the value: "7 apples", "3 m".
  const isUnit = (w: string) => UNIT_WORDS.has(w.toLowerCase()) || (/^[a-zA-Z]{2,}$/.test(w) && !MATH_WORDS.has(w.toLowerCase()));
  return words.every(isUnit) ? value : s;
}

/** Words that are math, not units: they must survive unit stripping. */
export const MATH_WORDS = new Set(['pi', 'sqrt', 'nthroot', 'infinity', 'infty', 'inf', 'log', 'ln', 'sin', 'cos', 'tan', 'sec', 'csc', 'cot', 'exp', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh', 'frac', 'dfrac', 'and', 'or', 'yes', 'no', 'true', 'false', 'none', 'undefined']);

/** LaTeX and typography to plain math, without the word-problem clean-up. */
export function latexToPlain(input: string): string {
  let s = input;
  s = s.replace(/^\s*\$+|\$+\s*$/g, '');
  s = s.replace(/^\s*\\\(|\\\)\s*$/g, '').replace(/^\s*\\\[|\\\]\s*$/g, '');
  s = s.replace(SIZING, '');
  s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle)(?![a-zA-Z])/g, '');
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree|°/g, '');
  s = s.replace(/\{,\}/g, '');
  s = s.replace(SPACING, ' ');
  s = replaceCommand(s, WRAPPERS, (a) => ` ${a} `);
  s = s.replace(/\\%/g, '%');
  // Set braces survive the brace-to-parenthesis step as placeholders.
  s = s.replace(/\\\{/g, SET_OPEN).replace(/\\\}/g, SET_CLOSE);
  s = replaceFractions(s);
  s = replaceRoots(s);
  // log bases: \log_2 8, \log_{10}{x}
  s = s.replace(/\\log_\s*(\{[^{}]*\}|\d+)\s*(\{[^{}]*\}|\(?[\w.]+\)?)/g, (_m, b: string, x: string) => `log(${x.replace(/^[{(]|[})]$/g, '')}, ${b.replace(/^\{|\}$/g, '')})`);
  for (const [re, to] of SYMBOLS) s = s.replace(re, to);
  return s;
}

/** Unwraps `{...}` groups to parentheses and tidies spacing: the form mathjs reads. */
function bracesToParens(s: string): string {
  return s
    .replace(/\^\s*\{/g, '^(')
    .replace(/\{/g, '(')
    .replace(/\}/g, ')')
    .split(SET_OPEN)
    .join('{')
    .split(SET_CLOSE)
    .join('}');
}

function isBracketed(s: string): boolean {
  return /^[([{]/.test(s) && /[)\]}]$/.test(s);
}

/** A thousands-grouped number: `1,234,567.5`. */
const GROUPED = /(^|[^\d.,])(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?)(?![\d,]*\d)/g;

export function normalizeAnswer(raw: string): Normalized {
  let s = latexToPlain(raw.trim());
  let percent = false;
  if (/%|\bpercent\b|\bpercentage points?\b/i.test(s)) {
    percent = true;
    s = s.replace(/%|\bpercentage points?\b|\bpercent\b/gi, ' ');
  }
  s = s.replace(CURRENCY, ' ');
  s = s.replace(/\s+/g, ' ').trim();
  s = s.replace(/[.;,!]+$/, '').trim();
  // "x = 5", "k=3", "a) 4": keep the value
  for (let guard = 0; guard < 3; guard++) {
    const before = s;
    s = s.replace(FILLER, '').trim();
    s = s.replace(/^[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*(?!=)/, '').trim();
    if (s === before) break;
  }
  if (!isBracketed(s)) {
    s = s.replace(GROUPED, (_m, pre: string, num: string) => pre + num.replace(/,/g, ''));
    // "1 000 000" with spaces as separators, when that is the whole answer.
    if (/^-?\d{1,3}(?: \d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/ /g, '');
  }
  s = stripUnits(s).trim();
  // A bare mixed number: "2 1/2", "-3 3/4".
  const mixed = /^(-?)(\d+)\s+(\d+)\s*\/\s*(\d+)$/.exec(s);
  if (mixed) s = `${mixed[1]}(${mixed[2]}+${mixed[3]}/${mixed[4]})`;
  s = bracesToParens(s);
  s = s
    .replace(/\s*([+*/^=<>])\s*/g, '$1')
    .replace(/\s*,\s*/g, ', ')
    .replace(/\s+/g, ' ')
    .replace(/([([{])\s+/g, '$1')
    .replace(/\s+([)\]}])/g, '$1')
    .trim();
  // A plain decimal loses trailing zeros and a trailing point: 18.00 → 18, 2.50 → 2.5.
  if (/^-?\d+\.\d*$/.test(s)) s = s.replace(/\.?0+$/, '').replace(/\.$/, '');
  if (/^-?\.\d+$/.test(s)) s = s.replace(/^(-?)\./, '$10.');
  if (s === '-0') s = '0';
  return { text: s, percent };
}

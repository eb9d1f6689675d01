// Synthetic GSM8K-like arithmetic word problems: a running quantity changed by 1–4 operations
// (+ − × ÷, every intermediate an exact positive integer), told in one of several everyday
// scenarios. Deterministic for a given seed, so `builtin:arith/train|test` and the embedded
// model's training data can be rebuilt byte for byte.

export interface ArithTask {
  id: string;
  question: string;
  /** GSM8K style: one line per step, then `#### <number>`. */
  answer: string;
  /** Operation count plus magnitude: 1 (one small step) up to about 11. */
  difficulty: number;
}

/** A task with what the generator knows about it: the whole computation as one expression. */
export interface ArithProblem extends ArithTask {
  /** The whole problem as one calculator expression, e.g. `(12 + 7) * 3`. */
  expression: string;
  value: number;
  ops: number;
  /** Index into SCENARIOS. */
  scenario: number;
}

/** mulberry32: small, fast and good enough for picking words and numbers. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

interface Scenario {
  name: string;
  items: string;
  /** `{n}` the actor, `{p}` subject pronoun, `{o}` object pronoun, `{s}` possessive, `{x}` the amount. */
  start: string[];
  /** Start as a product: `{x}` groups of `{y}`. */
  startGroups: string[];
  add: string[];
  sub: string[];
  /** Add `{x}` groups of `{y}`. */
  addGroups: string[];
  subGroups: string[];
  mul: string[];
  /** Split into `{x}` equal parts; the question then asks for one part. */
  div: string[];
  question: string[];
  divQuestion: string[];
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'shopping',
    items: 'dollars',
    start: ['{n} has ${x}.', '{n} starts the day with ${x}.'],
    startGroups: ['{n} has {x} envelopes with ${y} in each.'],
    add: ['{P} earns ${x} more.', 'Then {p} finds ${x}.'],
    sub: ['{P} spends ${x} on groceries.', 'Then {p} pays ${x} for a jacket.'],
    addGroups: ['{P} sells {x} old books for ${y} each.'],
    subGroups: ['{P} buys {x} notebooks that cost ${y} each.'],
    mul: ['Then {s} money grows to {x} times as much.'],
    div: ['{P} shares all of {s} money equally among {x} friends.'],
    question: ['How many dollars does {n} have now?', 'How much money does {n} have left?'],
    divQuestion: ['How many dollars does each friend get?'],
  },
  {
    name: 'distance',
    items: 'kilometers',
    start: ['{n} drives {x} kilometers on Monday.', '{n} cycles {x} kilometers in the morning.'],
    startGroups: ['{n} runs {x} laps of a {y} kilometer track.'],
    add: ['Then {p} travels {x} kilometers more.', 'After lunch {p} goes another {x} kilometers.'],
    sub: ['{P} has to turn back {x} kilometers because of a closed road.'],
    addGroups: ['Then {p} makes {x} trips of {y} kilometers each.'],
    subGroups: ['{P} skips {x} stages of {y} kilometers each.'],
    mul: ['The next week the distance is {x} times as long.'],
    div: ['The whole distance is split into {x} equal stages.'],
    question: ['How many kilometers is that in total?', 'How far does {n} travel in all, in kilometers?'],
    divQuestion: ['How many kilometers long is each stage?'],
  },
  {
    name: 'workers',
    items: 'bricks',
    start: ['A crew led by {n} lays {x} bricks on a wall.', '{n} has {x} bricks at the building site.'],
    startGroups: ['{x} workers each carry {y} bricks to the site.'],
    add: ['A delivery brings {x} more bricks.', 'Then {n} adds {x} bricks.'],
    sub: ['{x} bricks break and are thrown away.', 'Then {p} uses {x} bricks for a path.'],
    addGroups: ['Then {x} trucks arrive with {y} bricks each.'],
    subGroups: ['{x} walls are built using {y} bricks each.'],
    mul: ['By Friday the pile is {x} times as large.'],
    div: ['The bricks are divided equally among {x} teams.'],
    question: ['How many bricks are there now?', 'How many bricks does {n} have in the end?'],
    divQuestion: ['How many bricks does each team get?'],
  },
  {
    name: 'baking',
    items: 'cookies',
    start: ['{n} bakes {x} cookies.', 'The bakery of {n} has {x} cookies on the shelf.'],
    startGroups: ['{n} bakes {x} trays of {y} cookies each.'],
    add: ['{P} bakes {x} more cookies.', 'Then {s} friend brings {x} cookies.'],
    sub: ['{P} eats {x} cookies.', 'Then {x} cookies are sold.'],
    addGroups: ['Then {p} bakes {x} more batches of {y} cookies.'],
    subGroups: ['{P} gives {x} neighbors {y} cookies each.'],
    mul: ['A big order comes in and the number of cookies becomes {x} times as many.'],
    div: ['{P} packs all the cookies equally into {x} boxes.'],
    question: ['How many cookies does {n} have now?', 'How many cookies are left?'],
    divQuestion: ['How many cookies are in each box?'],
  },
  {
    name: 'farm',
    items: 'eggs',
    start: ['The farm of {n} collects {x} eggs.', '{n} has {x} eggs in the barn.'],
    startGroups: ['{x} hens each lay {y} eggs.'],
    add: ['The next day {x} more eggs are collected.', '{n} buys {x} more eggs.'],
    sub: ['{x} eggs are cracked.', 'Then {n} sells {x} eggs at the market.'],
    addGroups: ['Then {p} gets {x} cartons with {y} eggs each.'],
    subGroups: ['{P} fills {x} cartons of {y} eggs and sends them away.'],
    mul: ['After a good month the farm has {x} times as many eggs.'],
    div: ['All the eggs are shared equally among {x} families.'],
    question: ['How many eggs are there now?', 'How many eggs does the farm have left?'],
    divQuestion: ['How many eggs does each family get?'],
  },
  {
    name: 'library',
    items: 'books',
    start: ['A library run by {n} has {x} books.', '{n} owns {x} books.'],
    startGroups: ['A library run by {n} has {x} shelves with {y} books on each.'],
    add: ['It receives {x} new books.', 'Then {n} buys {x} more books.'],
    sub: ['{x} books are lent out.', 'Then {n} donates {x} books.'],
    addGroups: ['Then {x} boxes of {y} books each are donated.'],
    subGroups: ['{x} classes borrow {y} books each.'],
    mul: ['Over the year the collection grows to {x} times its size.'],
    div: ['The books are placed equally on {x} new shelves.'],
    question: ['How many books are there now?', 'How many books does {n} have in the end?'],
    divQuestion: ['How many books go on each shelf?'],
  },
  {
    name: 'factory',
    items: 'widgets',
    start: ['A factory run by {n} makes {x} widgets.', '{n} has {x} widgets in stock.'],
    startGroups: ['{x} machines each make {y} widgets.'],
    add: ['The night shift makes {x} more widgets.', 'Then {x} widgets are returned to stock.'],
    sub: ['{x} widgets fail inspection.', 'Then {x} widgets are shipped.'],
    addGroups: ['Then {x} machines make {y} more widgets each.'],
    subGroups: ['{x} stores order {y} widgets each.'],
    mul: ['A new line makes the output {x} times as large.'],
    div: ['The widgets are packed equally into {x} crates.'],
    question: ['How many widgets are there now?', 'How many widgets does the factory have?'],
    divQuestion: ['How many widgets are in each crate?'],
  },
  {
    name: 'savings',
    items: 'coins',
    start: ['{n} saves {x} coins.', '{n} has a jar with {x} coins.'],
    startGroups: ['{n} saves {y} coins a week for {x} weeks.'],
    add: ['{s} grandmother gives {o} {x} coins.', 'Then {p} saves {x} more coins.'],
    sub: ['{P} spends {x} coins at the fair.', 'Then {p} loses {x} coins.'],
    addGroups: ['Then {p} saves {y} coins a day for {x} days.'],
    subGroups: ['{P} buys {x} tickets for {y} coins each.'],
    mul: ['By winter {s} savings are {x} times as large.'],
    div: ['{P} splits all of {s} coins equally among {x} jars.'],
    question: ['How many coins does {n} have now?', 'How many coins are left?'],
    divQuestion: ['How many coins are in each jar?'],
  },
];

const PEOPLE: readonly [string, 'she' | 'he'][] = [
  ['Ana', 'she'], ['Ben', 'he'], ['Carla', 'she'], ['David', 'he'], ['Emma', 'she'], ['Farid', 'he'],
  ['Grace', 'she'], ['Hiro', 'he'], ['Ines', 'she'], ['Jack', 'he'], ['Kemi', 'she'], ['Liam', 'he'],
  ['Maria', 'she'], ['Noah', 'he'], ['Olga', 'she'], ['Pedro', 'he'], ['Rosa', 'she'], ['Sam', 'he'],
  ['Tara', 'she'], ['Omar', 'he'],
];

const PRONOUNS = { she: { p: 'she', o: 'her', s: 'her' }, he: { p: 'he', o: 'him', s: 'his' } };

/** Operand range for each magnitude level 1–4. */
const RANGES: readonly [number, number][] = [[2, 12], [10, 99], [100, 999], [1000, 9999]];
/** Factors stay smaller so products stay readable. */
const FACTORS: readonly [number, number][] = [[2, 5], [2, 9], [2, 12], [2, 25]];
const MAX_VALUE = 10_000_000;

/** One change to the running quantity; the group kinds add or remove `x` groups of `y`. */
interface Step {
  kind: 'add' | 'sub' | 'mul' | 'div' | 'addGroups' | 'subGroups';
  x: number;
  y: number;
}

function fill(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w)\}/g, (_, k: string) => String(vars[k]));
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function divisors(v: number, lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let d = lo; d <= Math.min(hi, v); d++) if (v % d === 0 && v / d >= 2) out.push(d);
  return out;
}

/** Generates problem `index` of the stream for `seed`: same arguments, same problem. */
export function generateProblem(seed: number, index: number): ArithProblem {
  const r = rng((seed * 0x9e3779b1 + index * 0x85ebca6b) >>> 0);
  for (;;) {
    const p = tryProblem(r, `${index}`);
    if (p) return p;
  }
}

function tryProblem(r: Rand, id: string): ArithProblem | undefined {
  const ops = int(r, 1, 4);
  const level = int(r, 1, 4);
  const [lo, hi] = RANGES[level - 1];
  const [flo, fhi] = FACTORS[level - 1];
  const scenarioIndex = int(r, 0, SCENARIOS.length - 1);
  const sc = SCENARIOS[scenarioIndex];
  const [name, gender] = pick(r, PEOPLE);
  const pron = PRONOUNS[gender];
  const vars = (x: number, y?: number) => ({ n: name, p: pron.p, P: capital(pron.p), o: pron.o, s: pron.s, x, y: y ?? 0 });

  const sentences: string[] = [];
  const lines: string[] = [];
  let value: number;
  let expr: string;
  let prec: number; // 3 atom, 2 product, 1 sum
  let used = 0;
  let largest: number;

  if (ops >= 2 && r() < 0.3) {
    const x = int(r, flo, Math.max(flo, fhi));
    const y = int(r, lo, hi);
    value = x * y;
    expr = `${x} * ${y}`;
    prec = 2;
    used = 2;
    sentences.push(fill(pick(r, sc.startGroups), vars(x, y)));
    lines.push(`${x} * ${y} = ${value}`);
  } else {
    value = int(r, lo, hi);
    expr = `${value}`;
    prec = 3;
    sentences.push(fill(pick(r, sc.start), vars(value)));
  }
  largest = value;

  let lastDiv = false;
  while (used < ops) {
    const left = ops - used;
    // Splitting changes what is counted (one share), so it can only be the last step.
    const kinds: Step['kind'][] = left === 1 ? ['add', 'sub', 'mul', 'div'] : ['add', 'sub', 'mul', 'addGroups', 'subGroups'];
    const kind = pick(r, kinds);
    let step: Step;
    if (kind === 'add') step = { kind, x: int(r, lo, hi), y: 0 };
    else if (kind === 'sub') {
      if (value <= lo + 1) continue;
      step = { kind, x: int(r, lo, Math.min(hi, value - 1)), y: 0 };
    } else if (kind === 'mul') step = { kind, x: int(r, flo, fhi), y: 0 };
    else if (kind === 'div') {
      const ds = divisors(value, 2, Math.max(fhi, 12));
      if (ds.length === 0) continue;
      step = { kind, x: pick(r, ds), y: 0 };
    } else {
      const x = int(r, flo, fhi);
      const y = int(r, lo, hi);
      if (kind === 'subGroups' && x * y >= value) continue;
      step = { kind, x, y };
    }
    const before = value;
    let text: string;
    if (step.kind === 'add') {
      value += step.x;
      expr = `${expr} + ${step.x}`;
      prec = 1;
      lines.push(`${before} + ${step.x} = ${value}`);
      text = pick(r, sc.add);
    } else if (step.kind === 'sub') {
      value -= step.x;
      expr = `${expr} - ${step.x}`;
      prec = 1;
      lines.push(`${before} - ${step.x} = ${value}`);
      text = pick(r, sc.sub);
    } else if (step.kind === 'mul' || step.kind === 'div') {
      value = step.kind === 'mul' ? value * step.x : value / step.x;
      const sym = step.kind === 'mul' ? '*' : '/';
      expr = `${prec < 2 ? `(${expr})` : expr} ${sym} ${step.x}`;
      prec = 2;
      lines.push(`${before} ${sym} ${step.x} = ${value}`);
      text = pick(r, step.kind === 'mul' ? sc.mul : sc.div);
    } else {
      const g = step.x * step.y;
      const sym = step.kind === 'addGroups' ? '+' : '-';
      value = step.kind === 'addGroups' ? value + g : value - g;
      expr = `${expr} ${sym} ${step.x} * ${step.y}`;
      prec = 1;
      lines.push(`${step.x} * ${step.y} = ${g}`, `${before} ${sym} ${g} = ${value}`);
      text = pick(r, step.kind === 'addGroups' ? sc.addGroups : sc.subGroups);
      used++;
    }
    used++;
    if (value > MAX_VALUE || value < 1) return undefined;
    largest = Math.max(largest, value, step.x, step.y);
    lastDiv = step.kind === 'div';
    sentences.push(capital(fill(text, vars(step.x, step.y))));
  }
  sentences.push(fill(pick(r, lastDiv ? sc.divQuestion : sc.question), vars(0)));
  const difficulty = ops + String(largest).length - 1;
  return {
    id,
    question: sentences.join(' '),
    answer: [...lines, `#### ${value}`].join('\n'),
    difficulty,
    expression: expr,
    value,
    ops,
    scenario: scenarioIndex,
  };
}

/** `count` distinct problems from the stream for `seed`, skipping any question in `exclude`. */
export function generateProblems(seed: number, count: number, exclude: ReadonlySet<string> = new Set(), idPrefix = ''): ArithProblem[] {
  const out: ArithProblem[] = [];
  const seen = new Set<string>();
  for (let i = 0; out.length < count; i++) {
    const p = generateProblem(seed, i);
    if (exclude.has(p.question) || seen.has(p.question)) continue;
    seen.add(p.question);
    out.push({ ...p, id: `${idPrefix}${out.length}` });
  }
  return out;
}

/** The task record shipped in builtin:arith/*.jsonl. */
export function toTask(p: ArithProblem): ArithTask {
  return { id: p.id, question: p.question, answer: p.answer, difficulty: p.difficulty };
}

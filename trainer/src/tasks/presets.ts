// The math data sets the field trains and evaluates on, in the layouts the Hugging Face hub
// delivers them: where each lives, which columns hold the question, the reference and the id,
// how to get the final answer out of the reference, and which columns are difficulty features.
// docs/datasets.md describes the same table for users; keep the two together.

/** How the reference answer is taken from the answer column. */
export type ReferenceRule = 'plain' | 'gsm8k' | 'boxed' | 'list';

export interface FeatureSpec {
  /** The feature's name on the task. */
  name: string;
  /** The column; the first present of several spellings. */
  from: string[];
  /** Turns a cell into a number; plain numbers and numeric strings when unset. */
  parse?: (v: unknown) => number | undefined;
  /** A preset's own feature: a cell without a number is a warning and the task goes without it. */
  optional?: boolean;
}

export interface Mapping {
  /** Candidate columns, first present wins; a dotted path reaches into structs (`reward_model.ground_truth`). */
  question: string[];
  answer: string[];
  /** The row's index in the source when none is present. */
  id: string[];
  features: FeatureSpec[];
  reference: ReferenceRule;
  /** Appended to each question, after a blank line. */
  suffix: string;
}

export interface Preset extends Mapping {
  name: PresetName;
  description: string;
  /** Where the set lives on the hub, read from the local cache. */
  hub: string;
  config?: string;
  /** Only shards whose path matches (a set stored with other domains). */
  match?: RegExp;
}

export const PRESET_NAMES = ['gsm8k', 'math', 'math500', 'aime24', 'aime25', 'olympiadbench', 'deepscaler', 'guru_math'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const BOXED_SUFFIX = 'Please reason step by step, and put your final answer within \\boxed{}.';
export const GSM8K_SUFFIX = 'Let\'s think step by step and output the final answer after "####".';

/** MATH writes its level as "Level 3"; a few problems have "Level ?", which is no number. */
export function parseLevel(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  const m = typeof v === 'string' ? /^\s*(?:level\s*)?(\d+)\s*$/i.exec(v) : null;
  return m ? Number(m[1]) : undefined;
}

const level: FeatureSpec = { name: 'level', from: ['level'], parse: parseLevel, optional: true };

export const PRESETS: Record<PresetName, Preset> = {
  gsm8k: {
    name: 'gsm8k',
    description: 'GSM8K grade-school word problems; the final answer follows `####` in `answer`.',
    hub: 'openai/gsm8k',
    config: 'main',
    question: ['question'],
    answer: ['answer'],
    id: [],
    features: [],
    reference: 'gsm8k',
    suffix: GSM8K_SUFFIX,
  },
  math: {
    name: 'math',
    description: 'MATH (Hendrycks et al.): competition problems; the reference is the last `\\boxed{}` of `solution`; `level` 1-5.',
    hub: 'DigitalLearningGmbH/MATH-lighteval',
    question: ['problem'],
    answer: ['solution'],
    id: [],
    features: [level],
    reference: 'boxed',
    suffix: BOXED_SUFFIX,
  },
  math500: {
    name: 'math500',
    description: 'MATH-500, the PRM800K test subset of MATH: a plain `answer` column, `unique_id`, `level` 1-5.',
    hub: 'HuggingFaceH4/MATH-500',
    question: ['problem'],
    answer: ['answer'],
    id: ['unique_id'],
    features: [level],
    reference: 'plain',
    suffix: BOXED_SUFFIX,
  },
  aime24: {
    name: 'aime24',
    description: 'AIME 2024, both papers (30 problems); integer answers.',
    hub: 'HuggingFaceH4/aime_2024',
    question: ['problem', 'Problem'],
    answer: ['answer', 'Answer'],
    id: ['id', 'ID'],
    features: [],
    reference: 'plain',
    suffix: BOXED_SUFFIX,
  },
  aime25: {
    name: 'aime25',
    description: 'AIME 2025, both papers (30 problems); integer answers.',
    hub: 'yentinglin/aime_2025',
    question: ['problem', 'question', 'Problem'],
    answer: ['answer', 'Answer'],
    id: ['id', 'ID'],
    features: [],
    reference: 'plain',
    suffix: BOXED_SUFFIX,
  },
  olympiadbench: {
    name: 'olympiadbench',
    description: 'OlympiadBench, open-ended text-only maths in English; `final_answer` is a list of LaTeX answers.',
    hub: 'Hothan/OlympiadBench',
    config: 'OE_TO_maths_en_COMP',
    question: ['question'],
    answer: ['final_answer'],
    id: ['id'],
    features: [],
    reference: 'list',
    suffix: BOXED_SUFFIX,
  },
  deepscaler: {
    name: 'deepscaler',
    description: 'DeepScaleR-Preview: 40k AIME, AMC, Omni-MATH and STILL problems with a plain `answer`.',
    hub: 'agentica-org/DeepScaleR-Preview-Dataset',
    question: ['problem'],
    answer: ['answer'],
    id: [],
    features: [],
    reference: 'plain',
    suffix: BOXED_SUFFIX,
  },
  guru_math: {
    name: 'guru_math',
    description: 'The maths domain of Guru (guru-RL-92k), in verl layout, with per-model pass rates as difficulty.',
    hub: 'LLM360/guru-RL-92k',
    match: /(^|\/)math/i,
    question: ['prompt'],
    answer: ['reward_model.ground_truth'],
    id: ['extra_info.index'],
    features: [
      { name: 'qwen2.5_7b_pass_rate', from: ['qwen2.5_7b_pass_rate'], optional: true },
      { name: 'qwen3_30b_pass_rate', from: ['qwen3_30b_pass_rate'], optional: true },
    ],
    reference: 'plain',
    // Guru's prompts already ask for a boxed answer.
    suffix: '',
  },
};

export function isPresetName(s: unknown): s is PresetName {
  return typeof s === 'string' && (PRESET_NAMES as readonly string[]).includes(s);
}

/** The text of the last `\boxed{...}` (or `\fbox{...}`), braces balanced; undefined when there is none. */
export function lastBoxed(text: string): string | undefined {
  const re = /\\(?:boxed|fbox)\s*\{/g;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m;
  if (!last) {
    // `\boxed 5` without braces, as some MATH solutions write it.
    const bare = /\\boxed ([^\s$]+)/g;
    let b: RegExpExecArray | null = null;
    for (let m = bare.exec(text); m; m = bare.exec(text)) b = m;
    return b?.[1];
  }
  let depth = 1;
  const from = last.index + last[0].length;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(from, i).trim();
  }
  return undefined;
}

/** The answer after GSM8K's `####` marker; commas in numbers are dropped as GSM8K does. */
export function gsm8kFinalAnswer(answer: string): string {
  const i = answer.lastIndexOf('####');
  return (i < 0 ? answer : answer.slice(i + 4)).trim().replace(/(\d),(?=\d{3}\b)/g, '$1');
}

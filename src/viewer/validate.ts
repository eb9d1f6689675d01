// Checks one rollouts.jsonl line against the run format's JSON Schema (trainer/src/run/schema.ts)
// before the viewer trusts it. A line whose essential fields are missing or of the wrong type
// is rejected with a message naming the field; other problems are reported, and the row is
// shown with a stated fallback. Other fields may be missing (runs written by other tools), and
// fields the schema does not name (a newer format's) are ignored.
import Ajv, { type ErrorObject } from 'ajv';
import { PHASES as PHASE_LIST } from '../../trainer/src/run/constants';
import type { RolloutRecord } from '../../trainer/src/run/events';
import { ESSENTIAL_FIELDS, rolloutSchema } from '../../trainer/src/run/schema';
import { summaryOf, type RowSummary } from './protocol';

export interface Checked {
  row: RowSummary | null;
  /** Field-level problems, each naming the field. */
  problems: string[];
}

const PHASES = new Set<string>(PHASE_LIST);
const ESSENTIAL = new Set<string>(ESSENTIAL_FIELDS);
const validate = new Ajv({ allErrors: true, strict: false }).compile(rolloutSchema);

/** What each optional field falls back to when it is invalid. */
const FALLBACK: Record<string, string> = { group_id: 'using `task_id`', phase: 'using train', advantage: 'using null' };

export function checkRollout(value: unknown): Checked {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { row: null, problems: [`expected a rollout object, found ${Array.isArray(value) ? 'an array' : typeof value}`] };
  }
  const v = value as Record<string, unknown>;
  const hard: string[] = [];
  const soft: string[] = [];
  const seen = new Set<string>();
  if (!validate(v)) {
    for (const e of validate.errors ?? []) {
      const key = fieldOf(e);
      const top = e.instancePath.split('/').length <= 2;
      if (e.keyword === 'additionalProperties' || (e.keyword === 'required' && e.instancePath === '' && !ESSENTIAL.has(key))) continue;
      if (seen.has(key)) continue;
      seen.add(key);
      const text = describe(e, key, v);
      if (ESSENTIAL.has(key) && top) hard.push(text);
      else soft.push(FALLBACK[key] ? `${text}; ${FALLBACK[key]}` : text);
    }
  }
  if (hard.length) return { row: null, problems: hard };
  const r = v as unknown as RolloutRecord;
  const row = summaryOf({
    ...r,
    group_id: typeof v.group_id === 'string' ? v.group_id : r.task_id,
    phase: typeof v.phase === 'string' && PHASES.has(v.phase) ? r.phase : 'train',
    turns: Array.isArray(v.turns) ? r.turns : [],
    flags: Array.isArray(v.flags) ? r.flags : [],
    advantage: typeof v.advantage === 'number' ? v.advantage : null,
  });
  return { row, problems: soft };
}

function fieldOf(e: ErrorObject): string {
  if (e.keyword === 'required' && e.instancePath === '') return String((e.params as { missingProperty: string }).missingProperty);
  return e.instancePath.split('/')[1] ?? '';
}

function describe(e: ErrorObject, key: string, v: Record<string, unknown>): string {
  const schema = (rolloutSchema.properties as Record<string, { type?: string | readonly string[]; enum?: readonly string[] }>)[key];
  const expected = schema?.enum ? `one of ${schema.enum.join(', ')}` : [schema?.type ?? 'value'].flat().map((t) => (t === 'null' ? 'null' : `a${/^[aeiou]/.test(t) ? 'n' : ''} ${t}`)).join(' or ');
  if (!(key in v)) return `field \`${key}\` must be ${expected} (missing)`;
  if (e.instancePath !== `/${key}`) return `field \`${key}\`${e.instancePath.slice(key.length + 2).replace(/\//g, '.').replace(/^/, ' at ')}: ${e.message}`;
  return `field \`${key}\` must be ${expected}, found ${JSON.stringify(v[key])?.slice(0, 40)}`;
}

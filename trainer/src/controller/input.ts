// A gateway rollout's `input` (one data-set row, as the trainer sent it) as our Task,
// through the config's `tasks.*.fields`: the train source's for training rollouts, the test
// source's (or the train source's when there is none) for validation rollouts.
import { createHash } from 'node:crypto';
import type { TaskSourceConfig, TuneConfig } from '../config/types';
import type { Task } from '../sdk';
import { mappingFor, toTask } from '../tasks/records';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export function sourceFor(config: TuneConfig, isTrain: boolean): { source: TaskSourceConfig; key: string } {
  const test = config.tasks.test;
  return !isTrain && test ? { source: test, key: 'tasks.test' } : { source: config.tasks.train, key: 'tasks.train' };
}

export function taskFromInput(input: unknown, config: TuneConfig, isTrain: boolean): Task {
  const { source, key } = sourceFor(config, isTrain);
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    throw new InputError(`the rollout input is ${input === null ? 'null' : Array.isArray(input) ? 'an array' : `a ${typeof input}`}, not an object with the fields ${key}.fields names`);
  }
  const row = input as Record<string, unknown>;
  // The same mapping the local loader uses: fields over a preset, the built-in sets as GSM8K.
  const mapping = mappingFor(source.path?.startsWith('builtin:') ? { ...source, format: 'gsm8k' } : source);
  const { task, findings } = toTask(row, { file: 'the rollout input' }, mapping, 0);
  const error = findings.find((f) => f.severity === 'error');
  if (error || !task) throw new InputError(`${error?.message ?? 'it is not a task'} (${key}); its fields: ${fieldList(row)}`);
  return { ...task, id: taskId(row, mapping.id) };
}

/** The id field; else the gateway's usual data ids; else a digest of the row, the same for every sample of it. */
function taskId(row: Record<string, unknown>, fields: string[]): string {
  for (const k of [...fields, 'data_id', 'instance_id']) {
    const v = row[k];
    if (v !== undefined && v !== null && v !== '') return String(v);
  }
  return `input-${createHash('sha256').update(stableJson(row)).digest('hex').slice(0, 12)}`;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function fieldList(row: Record<string, unknown>): string {
  const keys = Object.keys(row);
  return keys.length ? keys.slice(0, 12).join(', ') + (keys.length > 12 ? ', ...' : '') : 'none';
}

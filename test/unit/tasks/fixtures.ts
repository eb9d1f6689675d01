// Writes data sets in the layouts the Hugging Face hub and `datasets` produce, for the task tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Table, Utf8, tableToIPC, vectorFromArray, type DataType } from 'apache-arrow';

export function tempDir(prefix = 'at-tasks-'): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeText(file: string, text: string | Uint8Array): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

export function writeJsonl(file: string, rows: unknown[]): string {
  return writeText(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

type Cell = string | number | null;

/** A flat Parquet table: string columns as UTF8, number columns as DOUBLE or INT64. */
export async function writeParquet(file: string, columns: Record<string, Cell[]>, opts: { rowGroupSize?: number; int?: string[] } = {}): Promise<string> {
  const { parquetWriteFile } = await import('hyparquet-writer');
  mkdirSync(dirname(file), { recursive: true });
  const columnData = Object.entries(columns).map(([name, data]) => {
    const sample = data.find((v) => v !== null);
    const type = typeof sample === 'number' ? (opts.int?.includes(name) ? 'INT64' : 'DOUBLE') : 'STRING';
    return { name, data: type === 'INT64' ? data.map((v) => (v === null ? null : BigInt(v as number))) : data, type } as never;
  });
  parquetWriteFile({ filename: file, columnData, rowGroupSize: opts.rowGroupSize });
  return file;
}

const utf8 = (name: string) => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });

/** guru-RL-92k's verl layout: a chat `prompt` list, `reward_model` and `extra_info` structs, pass-rate columns. */
export async function writeVerlParquet(
  file: string,
  rows: { data_source: string; prompt: string; ground_truth: string; index: number; pass7b: number | null; pass30b: number | null }[],
): Promise<string> {
  const { parquetWriteFile } = await import('hyparquet-writer');
  mkdirSync(dirname(file), { recursive: true });
  parquetWriteFile({
    filename: file,
    columnData: [
      { name: 'data_source', data: rows.map((r) => r.data_source) },
      { name: 'prompt', data: rows.map((r) => [{ role: 'user', content: r.prompt }]) },
      { name: 'ability', data: rows.map(() => 'math') },
      { name: 'reward_model', data: rows.map((r) => ({ ground_truth: r.ground_truth, style: 'rule' })) },
      { name: 'extra_info', data: rows.map((r) => ({ index: BigInt(r.index), split: 'train' })) },
      { name: 'qwen2.5_7b_pass_rate', data: rows.map((r) => r.pass7b) },
      { name: 'qwen3_30b_pass_rate', data: rows.map((r) => r.pass30b) },
    ] as never,
    schema: [
      { name: 'root', num_children: 7 },
      utf8('data_source'),
      { name: 'prompt', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
      utf8('content'),
      utf8('role'),
      utf8('ability'),
      { name: 'reward_model', repetition_type: 'OPTIONAL', num_children: 2 },
      utf8('ground_truth'),
      utf8('style'),
      { name: 'extra_info', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'index', type: 'INT64', repetition_type: 'OPTIONAL' },
      utf8('split'),
      { name: 'qwen2.5_7b_pass_rate', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      { name: 'qwen3_30b_pass_rate', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    ] as never,
  });
  return file;
}

/** One split as `datasets.Dataset.save_to_disk` writes it: Arrow IPC stream files, dataset_info.json, state.json. */
export function writeSavedDataset(dir: string, columns: Record<string, Cell[]>, shards = 1, types: Record<string, DataType> = {}): string {
  mkdirSync(dir, { recursive: true });
  const n = Object.values(columns)[0].length;
  const per = Math.ceil(n / shards);
  const files: { filename: string }[] = [];
  for (let s = 0; s < shards; s++) {
    const slice = Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, vectorFromArray(v.slice(s * per, (s + 1) * per), types[k] ?? (typeof v[0] === 'string' ? new Utf8() : undefined))]));
    const name = `data-${String(s).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.arrow`;
    writeFileSync(join(dir, name), tableToIPC(new Table(slice), 'stream'));
    files.push({ filename: name });
  }
  writeFileSync(join(dir, 'dataset_info.json'), JSON.stringify({ features: Object.fromEntries(Object.keys(columns).map((k) => [k, { dtype: 'string', _type: 'Value' }])) }));
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ _data_files: files, _fingerprint: 'f1', _format_type: null, _split: 'train' }));
  return dir;
}

/** A data set in a hub cache: `datasets--OWNER--NAME/{refs/main, snapshots/COMMIT/...}`. */
export function hubSnapshotDir(hubCache: string, repo: string, commit = '0123456789abcdef0123456789abcdef01234567', ref = 'main'): string {
  const repoDir = join(hubCache, `datasets--${repo.replace('/', '--')}`);
  writeText(join(repoDir, 'refs', ref), commit);
  const snap = join(repoDir, 'snapshots', commit);
  mkdirSync(snap, { recursive: true });
  return snap;
}

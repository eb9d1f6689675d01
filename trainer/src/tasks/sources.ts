// Resolves a task source (`tasks.*.path`) to the data files to read, with no network access:
// a file, a folder of shards (`data/train-*.parquet`, config folders such as `main/`), a
// `datasets.save_to_disk` folder, or `hf://datasets/OWNER/NAME[@REVISION][/CONFIG]` looked up in
// the local Hugging Face hub cache.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';

export type FileFormat = 'jsonl' | 'json' | 'gsm8k' | 'parquet' | 'arrow';

export interface DataFile {
  file: string;
  format: FileFormat;
}

export interface ResolvedSource {
  /** Data files in reading order. */
  files: DataFile[];
  /** The split the files belong to, when one was chosen. */
  split?: string;
}

export class SourceError extends Error {
  constructor(readonly source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = 'SourceError';
  }
}

export interface ResolveOptions {
  /** The split to read (`train`, `test`, ...); `fallbackSplit` is tried when this is unset. */
  split?: string;
  fallbackSplit?: string;
  /** A config (subset) of a multi-config data set: a subfolder, or a `configs` entry of README.md. */
  config?: string;
  /** Only files whose path relative to the data set matches (a preset's shard filter). */
  match?: RegExp;
  format?: FileFormat;
  env?: NodeJS.ProcessEnv;
}

const DATA_EXT: Record<string, FileFormat> = { '.parquet': 'parquet', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.json': 'json', '.arrow': 'arrow' };
const KNOWN_SPLITS = ['train', 'test', 'validation', 'valid', 'dev', 'eval'];
const SKIP_JSON = new Set(['dataset_info.json', 'state.json', 'dataset_dict.json', 'dataset_infos.json']);

export function formatOf(file: string): FileFormat | undefined {
  return DATA_EXT[extname(file).toLowerCase()];
}

/** The folder of the local hub cache: `HF_HUB_CACHE`, else `HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
export function hubCache(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

export interface HubRef {
  repo: string;
  revision?: string;
  config?: string;
}

export function parseHubRef(path: string): HubRef | undefined {
  const m = /^hf:\/\/datasets\/([^/@\s]+)\/([^/@\s]+)(?:@([^/\s]+))?(?:\/(.+))?$/.exec(path);
  if (!m) return undefined;
  return { repo: `${m[1]}/${m[2]}`, revision: m[3], config: m[4]?.replace(/\/+$/, '') || undefined };
}

/** The command that puts a data set into the hub cache. */
export function downloadCommand(ref: HubRef): string {
  return `huggingface-cli download --repo-type dataset ${ref.repo}${ref.revision ? ` --revision ${ref.revision}` : ''}`;
}

/** The snapshot folder of a data set in the local hub cache. */
export function hubSnapshot(ref: HubRef, env: NodeJS.ProcessEnv = process.env): string {
  const cache = hubCache(env);
  const repoDir = join(cache, `datasets--${ref.repo.replace('/', '--')}`);
  const shown = `hf://datasets/${ref.repo}${ref.revision ? `@${ref.revision}` : ''}`;
  const missing = (why: string) =>
    new SourceError(shown, `${why} in the hub cache ${cache}; download it with:\n  ${downloadCommand(ref)}${env.HF_HOME || env.HF_HUB_CACHE ? '' : '\n(or set HF_HOME or HF_HUB_CACHE to the cache that holds it)'}`);
  if (!existsSync(repoDir)) throw missing('is not');
  const revision = ref.revision ?? 'main';
  const refFile = join(repoDir, 'refs', revision);
  let commit = revision;
  if (existsSync(refFile)) commit = readFileSync(refFile, 'utf8').trim();
  const snapshot = join(repoDir, 'snapshots', commit);
  if (!existsSync(snapshot)) {
    if (ref.revision) throw missing(`revision "${ref.revision}" is not`);
    // No `main` ref (a download by commit): a single snapshot is unambiguous.
    const snaps = existsSync(join(repoDir, 'snapshots')) ? readdirSync(join(repoDir, 'snapshots')) : [];
    if (snaps.length === 1) return join(repoDir, 'snapshots', snaps[0]);
    throw missing(snaps.length ? `has ${snaps.length} snapshots and no "main" ref; name one with @REVISION` : 'has no snapshot');
  }
  return snapshot;
}

/** Resolves `path` (already made absolute, or `hf://...`) to its data files. */
export function resolveSource(path: string, opts: ResolveOptions = {}): ResolvedSource {
  const hub = parseHubRef(path);
  if (path.startsWith('hf://') && !hub) throw new SourceError(path, 'a hub source is written hf://datasets/OWNER/NAME, with @REVISION and /CONFIG optional');
  const root = hub ? hubSnapshot(hub, opts.env) : path;
  const config = opts.config ?? hub?.config;
  const shown = path;
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new SourceError(shown, 'no such file or folder');
  }
  if (st.isFile()) {
    // `gsm8k` names how answers are written; the file's own format still comes from its extension.
    const inferred = formatOf(root);
    const format = opts.format === 'gsm8k' ? (inferred && inferred !== 'jsonl' ? inferred : 'gsm8k') : (opts.format ?? inferred);
    if (!format) throw new SourceError(shown, `cannot tell the format from "${extname(root) || 'no extension'}"; set tasks.*.format to jsonl, json, gsm8k or parquet`);
    return { files: [{ file: root, format }] };
  }
  return resolveFolder(root, shown, { ...opts, config });
}

function resolveFolder(root: string, shown: string, opts: ResolveOptions): ResolvedSource {
  // A config declared in the data set card (README.md front matter) names its files exactly.
  const card = cardConfigs(root);
  let dir = root;
  if (opts.config) {
    const declared = card?.find((c) => c.name === opts.config);
    if (declared) return pickDeclared(root, shown, declared, opts);
    // A config folder at the top, or one level down (`OlympiadBench/OE_TO_maths_en_COMP/`).
    const found = [join(root, opts.config), ...subfolders(root).map((d) => join(root, d, opts.config!))].find((d) => statSafe(d)?.isDirectory());
    if (!found) {
      const names = [...new Set([...(card ?? []).map((c) => c.name), ...subfolders(root).filter((d) => d !== 'data')])];
      throw new SourceError(shown, `has no config "${opts.config}"${names.length ? `; its configs: ${names.join(', ')}` : ''}`);
    }
    dir = found;
  } else if (card?.length) {
    const dflt = card.find((c) => c.isDefault) ?? (card.length === 1 ? card[0] : card.find((c) => c.name === 'default'));
    if (dflt) return pickDeclared(root, shown, dflt, opts);
    throw new SourceError(shown, `holds several configs; choose one with tasks.*.config: ${card.map((c) => c.name).join(', ')}`);
  }
  // A `save_to_disk` DatasetDict: one folder per split.
  if (existsSync(join(dir, 'dataset_dict.json'))) {
    const splits = (JSON.parse(readFileSync(join(dir, 'dataset_dict.json'), 'utf8')) as { splits?: string[] }).splits ?? subfolders(dir);
    const split = chooseSplit(splits, opts, shown);
    return { files: savedArrow(join(dir, split), shown), split };
  }
  if (existsSync(join(dir, 'state.json'))) return { files: savedArrow(dir, shown) };

  const all = dataFiles(dir, opts.format).filter((f) => !opts.match || opts.match.test(relative(dir, f.file)));
  if (all.length === 0) throw new SourceError(shown, `holds no data files (.parquet, .jsonl, .json, .arrow)${opts.config ? ` for config "${opts.config}"` : ''}`);
  const bySplit = new Map<string, DataFile[]>();
  for (const f of all) {
    const s = splitOf(relative(dir, f.file));
    if (s) bySplit.set(s, [...(bySplit.get(s) ?? []), f]);
  }
  if (bySplit.size === 0) {
    if (opts.split) throw new SourceError(shown, `has no files for split "${opts.split}"; no file is named after a split`);
    // Several configs side by side (`main/`, `socratic/`) must not be read as one.
    const configs = new Set(all.map((f) => relative(dir, f.file).split(sep)[0]).filter((p) => !formatOf(p)));
    if (configs.size > 1 && !opts.config) throw new SourceError(shown, `holds several configs; choose one with tasks.*.config: ${[...configs].join(', ')}`);
    return { files: all };
  }
  const split = chooseSplit([...bySplit.keys()], opts, shown);
  const files = bySplit.get(split)!;
  const configs = new Set(files.map((f) => dirname1(relative(dir, f.file))).filter((p) => p && p !== 'data' && p !== split));
  if (configs.size > 1) throw new SourceError(shown, `holds split "${split}" for several configs; choose one with tasks.*.config: ${[...configs].join(', ')}`);
  return { files, split };
}

function dirname1(rel: string): string {
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[0] : '';
}

function chooseSplit(splits: string[], opts: ResolveOptions, shown: string): string {
  if (opts.split) {
    if (splits.includes(opts.split)) return opts.split;
    throw new SourceError(shown, `has no split "${opts.split}"; its splits: ${splits.join(', ')}`);
  }
  if (opts.fallbackSplit && splits.includes(opts.fallbackSplit)) return opts.fallbackSplit;
  if (splits.length === 1) return splits[0];
  throw new SourceError(shown, `holds the splits ${splits.join(', ')}; choose one with tasks.*.split`);
}

/** The split a data file belongs to, by the hub's naming rules: `train-00000-of-00001.parquet`, `test.jsonl`, `train/…`. */
export function splitOf(rel: string): string | undefined {
  const parts = rel.split(sep);
  const name = basename(rel).toLowerCase();
  for (const s of KNOWN_SPLITS) {
    if (name === s + extname(name) || name.startsWith(`${s}-`) || name.startsWith(`${s}_`) || name.startsWith(`${s}.`)) return s;
  }
  for (const p of parts.slice(0, -1)) if (KNOWN_SPLITS.includes(p.toLowerCase())) return p.toLowerCase();
  return undefined;
}

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name);
}

function dataFiles(dir: string, format?: FileFormat, depth = 0): DataFile[] {
  const out: DataFile[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    const isDir = e.isDirectory() || (e.isSymbolicLink() && statSafe(p)?.isDirectory());
    if (isDir) {
      if (depth < 3) out.push(...dataFiles(p, format, depth + 1));
      continue;
    }
    const f = formatOf(e.name);
    if (!f || SKIP_JSON.has(e.name)) continue;
    out.push({ file: p, format: f === 'jsonl' && format === 'gsm8k' ? 'gsm8k' : f });
  }
  return out;
}

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function savedArrow(dir: string, shown: string): DataFile[] {
  const statePath = join(dir, 'state.json');
  if (!existsSync(statePath)) throw new SourceError(shown, `${dir} has no state.json; it is not a save_to_disk folder`);
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as { _data_files?: { filename: string }[] };
  const names = state._data_files?.map((f) => f.filename) ?? readdirSync(dir).filter((n) => n.endsWith('.arrow')).sort();
  const files = names.map((n) => ({ file: join(dir, n), format: 'arrow' as const }));
  for (const f of files) if (!existsSync(f.file)) throw new SourceError(shown, `state.json lists ${basename(f.file)}, which is missing from ${dir}`);
  if (!files.length) throw new SourceError(shown, `${dir} holds no .arrow files`);
  return files;
}

interface CardConfig {
  name: string;
  isDefault: boolean;
  files: { split: string; patterns: string[] }[];
}

/** The `configs` of a data set card's YAML front matter, when it declares them. */
function cardConfigs(root: string): CardConfig[] | undefined {
  const readme = join(root, 'README.md');
  if (!existsSync(readme)) return undefined;
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readFileSync(readme, 'utf8'));
  if (!m) return undefined;
  let meta: unknown;
  try {
    meta = parseYaml(m[1]);
  } catch {
    return undefined;
  }
  const configs = (meta as { configs?: unknown })?.configs;
  if (!Array.isArray(configs)) return undefined;
  const out: CardConfig[] = [];
  for (const c of configs as Record<string, unknown>[]) {
    if (!c || typeof c.config_name !== 'string') continue;
    const df = c.data_files;
    const files: CardConfig['files'] = [];
    const asList = (v: unknown) => (Array.isArray(v) ? v.map(String) : [String(v)]);
    if (typeof df === 'string' || (Array.isArray(df) && df.every((x) => typeof x === 'string'))) files.push({ split: 'train', patterns: asList(df) });
    else if (Array.isArray(df)) for (const d of df as { split?: string; path?: unknown }[]) files.push({ split: d.split ?? 'train', patterns: asList(d.path) });
    out.push({ name: c.config_name, isDefault: c.default === true, files });
  }
  return out.length ? out : undefined;
}

function pickDeclared(root: string, shown: string, c: CardConfig, opts: ResolveOptions): ResolvedSource {
  const split = chooseSplit(c.files.map((f) => f.split), opts, `${shown} (config ${c.name})`);
  const patterns = c.files.filter((f) => f.split === split).flatMap((f) => f.patterns).map(globToRegExp);
  const files = dataFiles(root, opts.format).filter((f) => {
    const rel = relative(root, f.file).split(sep).join('/');
    return patterns.some((p) => p.test(rel)) && (!opts.match || opts.match.test(rel));
  });
  if (!files.length) throw new SourceError(shown, `config "${c.name}", split "${split}": none of its files are present; download them again`);
  return { files, split };
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

// Reads a config file, validates it, and resolves its paths against the file's folder.
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { keyPathString, MAX_CONFIG_BYTES, validateConfigBytes, type ConfigIssue } from './validate';
import type { TuneConfig } from './types';

export interface LoadedConfig {
  /** Absolute path of the config file. */
  file: string;
  /** Folder that relative paths resolve against. */
  dir: string;
  text: string;
  config: TuneConfig;
  warnings: ConfigIssue[];
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.filter((i) => i.severity === 'error').map(formatIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

/** `file:line:col  key.path  message`, the form the CLI and CI logs use. */
export function formatIssue(i: ConfigIssue): string {
  const tag = i.severity === 'warning' ? 'warning: ' : '';
  return `${i.file}:${i.line}:${i.column}  ${keyPathString(i.path)}  ${tag}${i.message}`;
}

export function loadConfig(file: string): LoadedConfig {
  const abs = resolve(file);
  const issue = (message: string): ConfigIssue => ({ file, line: 1, column: 1, start: 0, end: 0, path: [], message, severity: 'error' });
  let size: number;
  try {
    const st = statSync(abs);
    if (!st.isFile()) throw new ConfigError([issue('is not a file')]);
    size = st.size;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError([issue(`cannot read the config: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`)]);
  }
  if (size > MAX_CONFIG_BYTES) {
    throw new ConfigError([issue(`the file is ${(size / 1048576).toFixed(1)} MB; a config must be under ${MAX_CONFIG_BYTES / 1048576} MB`)]);
  }
  const bytes = readFileSync(abs);
  const result = validateConfigBytes(bytes, file);
  if (!result.config) throw new ConfigError(result.issues);
  return {
    file: abs,
    dir: dirname(abs),
    text: bytes.toString('utf8'),
    config: result.config,
    warnings: result.issues.filter((i) => i.severity === 'warning'),
  };
}

/** A path from the config, made absolute; `builtin:` references pass through. */
export function resolveConfigPath(dir: string, p: string): string {
  if (p.startsWith('builtin:') || isAbsolute(p)) return p;
  return resolve(dir, p);
}

export interface CodeRef {
  builtin?: string;
  file?: string;
  exportName: string;
}

/** Splits `./file.ts#name` or `builtin:name`; a ref without `#` names the default export. */
export function parseRef(dir: string, ref: string): CodeRef {
  if (ref.startsWith('builtin:')) return { builtin: ref.slice('builtin:'.length), exportName: 'default' };
  const hash = ref.lastIndexOf('#');
  const file = hash < 0 ? ref : ref.slice(0, hash);
  return { file: resolveConfigPath(dir, file), exportName: hash < 0 ? 'default' : ref.slice(hash + 1) };
}

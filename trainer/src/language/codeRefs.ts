// Checks a reference to user code (`./judge.ts#judge`) or to a built-in (`builtin:math`).
import { extname } from 'node:path';
import { BUILTIN_KIND_WORDS, BUILTIN_PREFIX, BUILTINS, builtinsOf, findBuiltin, type BuiltinKind } from '../config/builtins';
import { parseRef } from '../config/load';
import { suggest } from '../config/wording';
import { CODE_EXTENSIONS, listExports, type ModuleExports } from './exports';
import type { LanguageHost } from './host';

export interface RefProblem {
  message: string;
  severity: 'error' | 'warning';
  /** The part of the ref at fault: all of it, or the `#export` after the file. */
  part: 'all' | 'export';
}

/** Larger files are not lexed for exports: no hand-written module is that big. */
const MAX_MODULE_BYTES = 4 * 1024 * 1024;

const plural = (kind: BuiltinKind) => (kind === 'tasks' ? 'task sets' : `${BUILTIN_KIND_WORDS[kind]}s`);

/** Problems with a `builtin:` ref of the given kind; none when the name is known. */
export function checkBuiltin(kind: BuiltinKind, ref: string): RefProblem[] {
  if (findBuiltin(kind, ref)) return [];
  const name = ref.slice(BUILTIN_PREFIX.length);
  const known = builtinsOf(kind).map((b) => `${BUILTIN_PREFIX}${b.name}`);
  const other = BUILTINS.find((b) => b.name === name);
  if (other) {
    return [{ severity: 'error', part: 'all', message: `${ref} is a built-in ${BUILTIN_KIND_WORDS[other.kind]}, not a ${BUILTIN_KIND_WORDS[kind]}; built-in ${plural(kind)}: ${known.join(', ')}` }];
  }
  const hint = suggest(ref, known);
  return [{ severity: 'error', part: 'all', message: `unknown built-in ${BUILTIN_KIND_WORDS[kind]} "${ref}"${hint ? ` (did you mean ${hint}?)` : ''}; built-in ${plural(kind)}: ${known.join(', ')}` }];
}

export interface CodeRefResult {
  problems: RefProblem[];
  /** Absolute path of the module, when the ref names one. */
  file?: string;
}

export async function checkCodeRef(kind: BuiltinKind, ref: string, configDir: string, host: LanguageHost): Promise<CodeRefResult> {
  if (ref.startsWith(BUILTIN_PREFIX)) return { problems: checkBuiltin(kind, ref) };
  const { file, exportName } = parseRef(configDir, ref);
  if (!file) return { problems: [] };
  const shown = ref.includes('#') ? ref.slice(0, ref.lastIndexOf('#')) : ref;
  const err = (message: string, part: RefProblem['part'] = 'all'): CodeRefResult => ({ file, problems: [{ severity: 'error', part, message }] });
  if (!CODE_EXTENSIONS.includes(extname(file).toLowerCase())) {
    return err(`a ${BUILTIN_KIND_WORDS[kind]} ref names a TypeScript or JavaScript module (${CODE_EXTENSIONS.join(', ')}) and an export, like ./${kind}.ts#${kind}`);
  }
  const info = await host.stat(file);
  if (!info) return err(`cannot find ${shown}: no file at ${file}`);
  if (info.kind !== 'file') return err(`${shown} is a folder, not a module`);
  if (info.size > MAX_MODULE_BYTES) return { file, problems: [] };
  let mod: ModuleExports;
  try {
    mod = await exportsOf(host, file, info.mtimeMs, info.size);
  } catch (e) {
    return err(`cannot read ${shown}: ${(e as Error).message}`);
  }
  if (mod.error) return err(`${shown} does not parse: ${mod.error.message} (${shown}:${mod.error.line}:${mod.error.column})`);
  const found = mod.exports.find((e) => e.name === exportName);
  if (found?.typeOnly) return err(`"${exportName}" is a type in ${shown}, not a value the trainer can load`, 'export');
  if (found || mod.reexportsAll) return { file, problems: [] };
  const values = mod.exports.filter((e) => !e.typeOnly).map((e) => e.name);
  const hint = suggest(exportName, values);
  const what = exportName === 'default' ? `${shown} has no default export; name one with ${shown}#name` : `${shown} has no export "${exportName}"`;
  return err(`${what}${hint ? ` (did you mean "${hint}"?)` : ''}; ${values.length ? `its exports: ${values.join(', ')}` : 'it exports nothing'}`, 'export');
}

/** Export lists by file, kept while the file's time and size stay the same: the editor re-checks on every keystroke. */
const cache = new Map<string, { mtimeMs: number; size: number; transpile: boolean; mod: ModuleExports }>();
const CACHE_ENTRIES = 256;

async function exportsOf(host: LanguageHost, file: string, mtimeMs: number, size: number): Promise<ModuleExports> {
  const transpile = host.transpile !== false;
  const hit = cache.get(file);
  // A workspace trusted since the last check gets esbuild's message for a syntax error.
  if (hit && hit.mtimeMs === mtimeMs && hit.size === size && hit.transpile === transpile) return hit.mod;
  const mod = await listExports(await host.readText(file), file, { transpile });
  cache.delete(file);
  cache.set(file, { mtimeMs, size, transpile, mod });
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return mod;
}

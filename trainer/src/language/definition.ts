// Go to definition on a ref: the export inside the module, or the task file / model folder.
import { dirname, join, resolve } from 'node:path';
import { BUILTIN_PREFIX, builtinAssetPath, findBuiltin } from '../config/builtins';
import { parseRef } from '../config/load';
import { listExports } from './exports';
import { nodeHost, type LanguageHost } from './host';
import { locate, parseConfigDocument } from './locate';
import { refKindAt } from './schemaNav';

export interface Position {
  /** 0-based. */
  line: number;
  character: number;
}

export interface DefinitionTarget {
  file: string;
  start: Position;
  end: Position;
  /** Offsets [start, end) in the config of the text that links there. */
  originStart: number;
  originEnd: number;
}

export interface DefinitionOptions {
  file: string;
  host?: LanguageHost;
}

export async function definition(text: string, offset: number, opts: DefinitionOptions): Promise<DefinitionTarget | undefined> {
  const host = opts.host ?? nodeHost;
  let found;
  try {
    found = locate(parseConfigDocument(text), offset);
  } catch {
    return undefined;
  }
  if (!found || found.on !== 'value' || typeof found.scalar?.value !== 'string') return undefined;
  const kind = refKindAt(found.path);
  if (!kind) return undefined;
  const value = found.scalar.value;
  const origin = { originStart: found.start, originEnd: found.end };
  const top = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const configDir = dirname(opts.file);

  if (value.startsWith(BUILTIN_PREFIX)) {
    // Built-in assets open where they are shipped; built-in code has no file to show.
    const b = findBuiltin(kind.builtin, value);
    const asset = b && builtinAssetPath(b);
    if (!asset) return undefined;
    const target = kind.files === 'model' ? join(asset, 'config.json') : asset;
    return (await host.stat(target))?.kind === 'file' ? { file: target, ...top, ...origin } : undefined;
  }
  if (kind.files === 'model') {
    const target = join(resolve(configDir, value), 'config.json');
    return (await host.stat(target)) ? { file: target, ...top, ...origin } : undefined;
  }
  if (kind.files === 'data') {
    const target = resolve(configDir, value);
    return (await host.stat(target))?.kind === 'file' ? { file: target, ...top, ...origin } : undefined;
  }
  const ref = parseRef(configDir, value);
  if (!ref.file || (await host.stat(ref.file))?.kind !== 'file') return undefined;
  let source: string;
  try {
    source = await host.readText(ref.file);
  } catch {
    return undefined;
  }
  const exp = (await listExports(source, ref.file, { transpile: host.transpile !== false })).exports.find((e) => e.name === ref.exportName);
  if (!exp) return { file: ref.file, ...top, ...origin };
  return { file: ref.file, start: positionIn(source, exp.start), end: positionIn(source, exp.end), ...origin };
}

function positionIn(text: string, offset: number): Position {
  let line = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, character: offset - lineStart };
}

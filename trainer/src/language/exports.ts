// Lists the exports of a user's TypeScript or JavaScript module without running it:
// es-module-lexer reads ES modules (TypeScript included) and gives each export's position;
// cjs-module-lexer, the lexer Node itself uses, reads CommonJS; esbuild explains syntax
// errors with a file position, unless the caller forbids transpiling the module.
import { init as initCjs, parse as parseCjs } from 'cjs-module-lexer';
import { init as initEsm, parse as parseEsm } from 'es-module-lexer';
import { transform } from 'esbuild';
import { extname } from 'node:path';

export interface ModuleExport {
  name: string;
  /** Offsets [start, end) of the exported name, or of the declaration it names. */
  start: number;
  end: number;
  typeOnly: boolean;
}

export interface ModuleExports {
  exports: ModuleExport[];
  /** `export * from '…'`: names beyond this file that cannot be listed without resolving. */
  reexportsAll: boolean;
  /** A syntax error: message with the 1-based line and column inside the module. */
  error?: { message: string; line: number; column: number };
}

/** Extensions the trainer loads user code from (it transpiles them with esbuild). */
export const CODE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

let ready: Promise<unknown> | undefined;
function lexers(): Promise<unknown> {
  ready ??= Promise.all([initEsm(), initCjs()]);
  return ready;
}

export interface ListOptions {
  /** Hand a module that does not lex to esbuild for its error message; else the lexer's position is all. */
  transpile?: boolean;
}

export async function listExports(source: string, file: string, opts: ListOptions = {}): Promise<ModuleExports> {
  await lexers();
  const ext = extname(file).toLowerCase();
  let esm: ReturnType<typeof parseEsm> | undefined;
  try {
    esm = parseEsm(source, file);
  } catch (e) {
    const error = opts.transpile === false ? lexerError(source, e) : await syntaxError(source, file);
    return { exports: [], reexportsAll: false, error };
  }
  const [, found, , hasModuleSyntax] = esm;
  if (!hasModuleSyntax && (ext === '.js' || ext === '.cjs' || ext === '.cts')) return commonJs(source);
  const out: ModuleExport[] = [];
  let reexportsAll = false;
  for (const e of found) {
    if (e.type === 'reexport-all') {
      reexportsAll = true;
      continue;
    }
    let start = e.start;
    let end = e.end;
    // `export { local as name }` points at the specifier; the declaration is more useful.
    if (e.type === 'direct' && e.localName && e.localStart >= 0 && e.localStart !== e.start) {
      const decl = declarationOf(source, e.localName);
      if (decl) [start, end] = decl;
    } else if (e.type === 'direct' && e.name === 'default' && e.localName && e.localStart >= 0) {
      [start, end] = [e.localStart, e.localEnd];
    }
    out.push({ name: e.name, start, end, typeOnly: e.typeOnly });
  }
  return { exports: out, reexportsAll };
}

/** `const|let|var|function|class name` declared at any depth; good enough for a jump target. */
function declarationOf(source: string, name: string): [number, number] | undefined {
  const esc = name.replace(/[$]/g, '\\$');
  const m = new RegExp(`\\b(?:const|let|var|function\\*?|class)\\s+(${esc})(?![\\w$])`).exec(source);
  if (!m) return undefined;
  const start = m.index + m[0].length - name.length;
  return [start, start + name.length];
}

function commonJs(source: string): ModuleExports {
  try {
    const { exports } = parseCjs(source);
    return {
      exports: exports.map((name) => {
        const m = new RegExp(`\\bexports\\.${name.replace(/[$]/g, '\\$')}\\b`).exec(source);
        const start = m ? m.index + m[0].length - name.length : 0;
        return { name, start, end: m ? start + name.length : 0, typeOnly: false };
      }),
      reexportsAll: false,
    };
  } catch {
    return { exports: [], reexportsAll: false };
  }
}

async function syntaxError(source: string, file: string): Promise<ModuleExports['error']> {
  const ext = extname(file).toLowerCase();
  const loader = ext.endsWith('ts') ? 'ts' : 'js';
  try {
    await transform(source, { loader, format: 'esm', sourcefile: file, logLevel: 'silent' });
  } catch (e) {
    const first = (e as { errors?: { text: string; location?: { line: number; column: number } }[] }).errors?.[0];
    if (first) return { message: first.text, line: first.location?.line ?? 1, column: (first.location?.column ?? 0) + 1 };
  }
  return { message: 'the module could not be read as JavaScript or TypeScript', line: 1, column: 1 };
}

/** Where es-module-lexer stopped (its error carries the offset as `idx`). */
function lexerError(source: string, e: unknown): ModuleExports['error'] {
  const idx = (e as { idx?: unknown }).idx;
  const at = typeof idx === 'number' && idx >= 0 ? Math.min(idx, source.length) : 0;
  const before = source.slice(0, at);
  const line = before.split('\n').length;
  const column = at - (before.lastIndexOf('\n') + 1) + 1;
  return { message: 'syntax error (the module is only lexed while the workspace is untrusted; trust it for the full message)', line, column };
}

// Loads users' TypeScript with esbuild, keeping inline source maps so a debugger attached to
// the trainer shows and breaks on the TypeScript lines. `agent-tune` resolves to this SDK
// whether or not the user's workspace installed it.
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { extname } from 'node:path';
import { transformSync, type TransformFailure } from 'esbuild';

const LOADERS: Record<string, 'ts' | 'tsx'> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx' };

export class UserCodeError extends Error {
  constructor(message: string, readonly location?: string) {
    super(location ? `${location}: ${message}` : message);
    this.name = 'UserCodeError';
  }
}

type Resolve = (request: string, parent: unknown, ...rest: unknown[]) => string;

export function installTypeScriptLoader(sdkPath: string): void {
  const extensions = (Module as unknown as { _extensions: Record<string, (m: unknown, file: string) => void> })._extensions;
  for (const ext of Object.keys(LOADERS)) {
    extensions[ext] = (mod, filename) => {
      const source = readFileSync(filename, 'utf8');
      let code: string;
      try {
        code = transformSync(source, {
          loader: LOADERS[extname(filename)],
          format: 'cjs',
          target: 'node20',
          sourcemap: 'inline',
          sourcefile: filename,
          sourcesContent: true,
        }).code;
      } catch (e) {
        const first = (e as TransformFailure).errors?.[0];
        if (!first) throw e;
        const loc = first.location;
        throw new UserCodeError(`syntax error: ${first.text}`, loc ? `${filename}:${loc.line}:${loc.column + 1}` : filename);
      }
      (mod as { _compile(code: string, file: string): void })._compile(code, filename);
    };
  }
  const M = Module as unknown as { _resolveFilename: Resolve };
  const resolve = M._resolveFilename;
  M._resolveFilename = function (request, parent, ...rest) {
    if (request === 'agent-tune') return sdkPath;
    return resolve.call(this, request, parent, ...rest);
  };
}

/** The first stack frame inside the user's file, as `file:line:col`. */
export function userLocation(error: unknown, file: string): string | undefined {
  const stack = (error as Error)?.stack ?? '';
  for (const line of stack.split('\n')) {
    const i = line.indexOf(file);
    if (i >= 0) {
      const m = /:(\d+):(\d+)\)?$/.exec(line.slice(i + file.length));
      if (m) return `${file}:${m[1]}:${m[2]}`;
    }
  }
  return undefined;
}

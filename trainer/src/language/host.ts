// What the language service needs from the file system. The CLI passes `nodeHost`; the
// editor passes a host that also sees unsaved editor buffers; tests pass either.
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface FileInfo {
  kind: 'file' | 'dir';
  size: number;
  mtimeMs: number;
}

export interface DirEntry {
  name: string;
  kind: 'file' | 'dir';
}

export interface LanguageHost {
  /** Undefined when nothing is there. */
  stat(path: string): Promise<FileInfo | undefined>;
  /** Text of a whole (small) file: source modules, JSON metadata. */
  readText(path: string): Promise<string>;
  /** Up to `length` bytes from `start`: the head or tail of a data file that may be large. */
  readBytes(path: string, start: number, length: number): Promise<Uint8Array>;
  readDir(path: string): Promise<DirEntry[]>;
  /**
   * Whether user modules may be handed to esbuild (to explain a syntax error). False where
   * the user has not trusted the code (VS Code's Restricted Mode): modules are then only
   * lexed, never transpiled. True when left out.
   */
  readonly transpile?: boolean;
}

export const nodeHost: LanguageHost = {
  async stat(path) {
    try {
      const s = await stat(path);
      return { kind: s.isDirectory() ? 'dir' : 'file', size: s.size, mtimeMs: s.mtimeMs };
    } catch {
      return undefined;
    }
  },
  readText: (path) => readFile(path, 'utf8'),
  async readBytes(path, start, length) {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, start);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  },
  async readDir(path) {
    const entries = await readdir(path, { withFileTypes: true });
    const out: DirEntry[] = [];
    for (const e of entries) {
      if (e.isFile() || e.isDirectory()) out.push({ name: e.name, kind: e.isDirectory() ? 'dir' : 'file' });
      else if (e.isSymbolicLink()) {
        // A link counts as what it points to; a dangling one is left out.
        const target = await nodeHost.stat(join(path, e.name));
        if (target) out.push({ name: e.name, kind: target.kind });
      }
    }
    return out;
  },
};

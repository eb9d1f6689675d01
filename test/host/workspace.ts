import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A throw-away copy of `source` for a test to open and change; remove it with the returned function. */
export function copyWorkspace(source: string): { folder: string; remove(): void } {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-tune-ws-'));
  const folder = path.join(parent, path.basename(source));
  fs.cpSync(source, folder, { recursive: true });
  return { folder, remove: () => fs.rmSync(parent, { recursive: true, force: true }) };
}

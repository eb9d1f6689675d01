// A throw-away copy of examples/math-agent for the debugger tests, with the config changed
// through the YAML document (comments and layout kept).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';

export const repoRoot = resolve(__dirname, '..', '..');
export const adapterPath = join(repoRoot, 'dist', 'debugAdapter.js');

export interface Workspace {
  dir: string;
  config: string;
  remove(): void;
}

/** `edits` maps dotted config paths to values, e.g. `{ 'rollout.group_size': 2 }`. */
export function mathWorkspace(edits: Record<string, unknown> = {}, files: Record<string, string> = {}): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'agent-tune-dap-'));
  cpSync(join(repoRoot, 'examples', 'math-agent'), dir, { recursive: true });
  for (const [name, source] of Object.entries(files)) cpSync(source, join(dir, name));
  const config = join(dir, 'math.tune.yaml');
  const doc = parseDocument(readFileSync(config, 'utf8'));
  for (const [path, value] of Object.entries(edits)) doc.setIn(path.split('.'), value);
  writeFileSync(config, doc.toString());
  return { dir, config, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// The VSIX of this machine's platform, packed from the current tree by scripts/package.mjs,
// for the tests that install it or run the trainer from it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { ROOT } from './cli';

/** The VS Code target this machine installs, or undefined where no VSIX is built for it. */
export function hostTarget(platform: string = process.platform, arch: string = process.arch): string | undefined {
  const target = `${platform}-${arch}`;
  return ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64'].includes(target) ? target : undefined;
}

/** Packs the VSIX for `target` into a fresh folder and returns its path. */
export function packVsix(target: string): string {
  const out = mkdtempSync(join(tmpdir(), 'agent-tune-vsix-'));
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), '--target', target, '--out', out], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 10 * 60_000,
  });
  const { name, version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  return join(out, `${name}-${target}-${version}.vsix`);
}

/** Unpacks a VSIX as VS Code installs it; returns the extension's folder. */
export function unpackVsix(file: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'agent-tune-installed-'));
  new AdmZip(file).extractAllTo(dir, true, true);
  return join(dir, 'extension');
}

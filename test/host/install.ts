// Installs code-server (VS Code server + web workbench) from the npm registry into the
// gitignored cache, following docs/testing.md. VS Code's own download site is out of reach
// here, so @vscode/test-electron cannot be used; code-server carries the same workbench.
//
// Idempotent: a finished install has a marker file; later calls return at once. The install
// is built in a staging folder and renamed into place, so an interrupted or concurrent run
// never leaves a half-installed host behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { npmChildEnv } from '../support/npm';
import { CODE_SERVER_VERSION, hostDir } from './paths';
import { killTree, spawnGroup } from './processes';

const MARKER = '.agent-tune-host.json';
const STEP_TIMEOUT_MS = 5 * 60_000;

/** Native modules of VS Code's server that npm must build for this Node (kerberos is optional). */
const VSCODE_NATIVE = ['native-watchdog', 'node-pty', '@parcel/watcher', '@vscode/deviceid', '@vscode/spdlog'];

interface Marker {
  codeServer: string;
  nodeAbi: string;
  ripgrep: string;
}

export class HostUnavailableError extends Error {}

/** The ripgrep binary the workbench's search (and `workspaceContains` activation) runs. */
export function findRipgrep(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'rg');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return fs.realpathSync(candidate);
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

export function isHostInstalled(): boolean {
  return readMarker(hostDir) !== undefined;
}

/** Installs the host if needed and returns its folder. */
export async function installHost(log: (line: string) => void = (l) => console.log(l)): Promise<string> {
  if (isHostInstalled()) return hostDir;
  const ripgrep = findRipgrep();
  if (!ripgrep) throw new HostUnavailableError('ripgrep (rg) is not on PATH; install it (Debian: apt-get install ripgrep).');

  removeStaleStaging();
  const staging = `${hostDir}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const logFile = `${hostDir}.install.log`;
  fs.writeFileSync(logFile, '');
  const started = Date.now();
  log(`[host] installing code-server ${CODE_SERVER_VERSION} (VS Code 1.96.4) into ${path.relative(process.cwd(), hostDir) || hostDir}`);
  log(`[host] first run only, a few minutes; log: ${logFile}`);

  try {
    // Its own package.json, so npm installs here instead of walking up to the repository.
    fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify({ name: 'agent-tune-test-host', private: true }, null, 2));
    const step = (title: string, args: string[], cwd: string) => runStep(title, args, cwd, logFile, log);
    const vscodeDir = path.join(staging, 'node_modules', 'code-server', 'lib', 'vscode');

    await step('download code-server', ['install', '--ignore-scripts', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], staging);
    pinProxyAgentToRegistry(vscodeDir);
    await step("install VS Code's server dependencies", ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], vscodeDir);
    await step('build native modules', ['rebuild', ...VSCODE_NATIVE], vscodeDir);
    linkFixedPaths(vscodeDir, ripgrep);
    const extensionsDir = path.join(vscodeDir, 'extensions');
    await step('install built-in extensions', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], extensionsDir);
    await runStep('prepare built-in extensions', ['postinstall.mjs'], extensionsDir, logFile, log, process.execPath);
    await step('build argon2', ['rebuild', 'argon2'], staging);

    const marker: Marker = { codeServer: CODE_SERVER_VERSION, nodeAbi: process.versions.modules, ripgrep };
    fs.writeFileSync(path.join(staging, MARKER), JSON.stringify(marker, null, 2) + '\n');
    moveIntoPlace(staging);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  log(`[host] installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return hostDir;
}

function readMarker(dir: string): Marker | undefined {
  try {
    const marker = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8')) as Marker;
    // Native modules are built for one Node ABI; a moved or removed rg breaks search.
    if (marker.codeServer !== CODE_SERVER_VERSION || marker.nodeAbi !== process.versions.modules) return undefined;
    if (!fs.existsSync(marker.ripgrep)) return undefined;
    return marker;
  } catch {
    return undefined;
  }
}

/**
 * VS Code's shrinkwrap pins @vscode/proxy-agent to a git commit that cannot be fetched here;
 * the same version (0.27.0) is published on the registry, so drop the git address and let npm
 * resolve it by name and version.
 */
function pinProxyAgentToRegistry(vscodeDir: string): void {
  const file = path.join(vscodeDir, 'npm-shrinkwrap.json');
  const shrinkwrap = JSON.parse(fs.readFileSync(file, 'utf8'));
  const entry = shrinkwrap.packages?.['node_modules/@vscode/proxy-agent'];
  if (!entry) throw new Error(`${file}: no entry for @vscode/proxy-agent; the recipe no longer matches this code-server`);
  delete entry.resolved;
  delete entry.integrity;
  fs.writeFileSync(file, JSON.stringify(shrinkwrap, null, 2) + '\n');
}

/** Paths VS Code expects from its own packaging step, and ripgrep, whose postinstall downloads a binary. */
function linkFixedPaths(vscodeDir: string, ripgrep: string): void {
  const rgBin = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgBin, { recursive: true });
  symlink(ripgrep, path.join(rgBin, 'rg'));
  symlink('node_modules', path.join(vscodeDir, 'node_modules.asar'));
  symlink('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
  symlink('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));
}

function symlink(target: string, file: string): void {
  fs.rmSync(file, { force: true });
  fs.symlinkSync(target, file);
}

function moveIntoPlace(staging: string): void {
  if (isHostInstalled()) {
    // Another run finished first; keep its copy.
    fs.rmSync(staging, { recursive: true, force: true });
    return;
  }
  fs.rmSync(hostDir, { recursive: true, force: true });
  fs.renameSync(staging, hostDir);
}

/** Removes staging folders left by runs that were killed. */
function removeStaleStaging(): void {
  const parent = path.dirname(hostDir);
  if (!fs.existsSync(parent)) return;
  const prefix = `${path.basename(hostDir)}.partial-`;
  for (const name of fs.readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && processExists(pid)) continue;
    fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function runStep(
  title: string,
  args: string[],
  cwd: string,
  logFile: string,
  log: (line: string) => void,
  command = 'npm',
): Promise<void> {
  const started = Date.now();
  log(`[host]   ${title} ...`);
  fs.appendFileSync(logFile, `\n$ (cd ${cwd} && ${command} ${args.join(' ')})\n`);
  const out = fs.openSync(logFile, 'a');
  try {
    const child = spawnGroup(command, args, { cwd, env: npmChildEnv(), stdio: ['ignore', out, out] });
    const timer = setTimeout(() => void killTree(child), STEP_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    }).finally(() => clearTimeout(timer));
    if (code !== 0) {
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      throw new HostUnavailableError(
        `${title} failed (${command} ${args.join(' ')} in ${cwd} exited ${code ?? 'on timeout'}); last lines of the log:\n${tail}`,
      );
    }
  } finally {
    fs.closeSync(out);
  }
  log(`[host]   ${title}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (require.main === module) {
  installHost().then(
    (dir) => console.log(`[host] ready: ${dir}`),
    (error: Error) => {
      console.error(`[host] ${error.message}`);
      process.exit(1);
    },
  );
}

// Starts code-server on a free loopback port with a fresh profile, and stops it with its
// whole process tree (extension host, file watcher, pty host, anything the tests spawned).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeServerEntry } from './paths';
import { killTree, spawnGroup } from './processes';

export interface CodeServerOptions {
  /** Folder opened when the workbench is loaded without `?folder=`. */
  workspace?: string;
  /** Added to the server's environment, which the extension host inherits. */
  env?: Record<string, string>;
  /** User settings, merged over the quiet defaults below. */
  settings?: Record<string, unknown>;
  /** VSIX files installed into the fresh extensions folder before the server starts. */
  extensions?: string[];
  /**
   * Workspace trust on, as a user has it: the folder opens untrusted, in Restricted Mode.
   * Off by default (`--disable-workspace-trust`), where every folder counts as trusted.
   */
  restricted?: boolean;
  /** A command (with its arguments) the server is started through; the extension host inherits what it sets up. */
  wrapper?: string[];
  startTimeoutMs?: number;
}

export interface CodeServer {
  /** Base address, e.g. http://127.0.0.1:41235/ */
  url: string;
  /** host:port, the authority of vscode-remote:// URIs. */
  authority: string;
  /** Fresh folder holding the user-data-dir, extensions-dir and server log; removed by stop(). */
  dataDir: string;
  userDataDir: string;
  /** Settles when the server process exits, for whatever reason. */
  exited: Promise<void>;
  /** Copies the server log and VS Code's logs (extension host included) into `dest`. */
  saveLogs(dest: string): void;
  stop(): Promise<void>;
}

/** Settings that keep a test workbench quiet and offline. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
};

/**
 * Restricted Mode. VS Code 1.96 in code-server trusts everything when the server has
 * `--disable-workspace-trust` or the setting is off; otherwise a folder is trusted only if
 * the user trusted it in this profile, and these profiles are new. No start-up dialog: the
 * folder stays in Restricted Mode until a test asks otherwise.
 */
const RESTRICTED_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
};

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  if (!fs.existsSync(codeServerEntry)) throw new Error(`code-server is not installed (${codeServerEntry}); run test/host/install.ts`);
  // Short path under the system temp folder: code-server puts a unix socket in the user-data-dir.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-tune-host-'));
  const userDataDir = path.join(dataDir, 'user-data');
  const extensionsDir = path.join(dataDir, 'extensions');
  const logFile = path.join(dataDir, 'server.log');
  const configFile = path.join(dataDir, 'config.yaml');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir);
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...(options.restricted ? RESTRICTED_SETTINGS : {}), ...options.settings }, null, 2));
  // Our own config file, so code-server neither reads nor writes ~/.config/code-server.
  fs.writeFileSync(configFile, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  for (const vsix of options.extensions ?? []) installExtension(vsix, configFile, userDataDir, extensionsDir);

  const args = [
    codeServerEntry,
    '--auth', 'none',
    '--bind-addr', '127.0.0.1:0',
    '--disable-telemetry',
    '--disable-update-check',
    ...(options.restricted ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--config', configFile,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
  ];
  if (options.workspace) args.push(options.workspace);

  const log = fs.openSync(logFile, 'a');
  const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath];
  const child = spawnGroup(command, [...prefix, ...args], {
    cwd: dataDir,
    // No extension gallery: the workbench would otherwise query one on the internet.
    env: { ...hostEnv(), EXTENSIONS_GALLERY: '{}', ...options.env },
    stdio: ['ignore', 'pipe', log],
  });
  fs.closeSync(log);

  const stop = async () => {
    await killTree(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const saveLogs = (dest: string) => {
    fs.mkdirSync(dest, { recursive: true });
    if (fs.existsSync(logFile)) fs.copyFileSync(logFile, path.join(dest, 'server.log'));
    const vscodeLogs = path.join(userDataDir, 'logs');
    if (fs.existsSync(vscodeLogs)) fs.cpSync(vscodeLogs, path.join(dest, 'vscode'), { recursive: true });
  };

  try {
    const url = await waitForListening(child, logFile, options.startTimeoutMs ?? 60_000);
    const authority = new URL(url).host;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    return { url, authority, dataDir, userDataDir, exited, saveLogs, stop };
  } catch (error) {
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
    await stop();
    throw new Error(`${(error as Error).message}\ncode-server log:\n${tail}`);
  }
}

/** Installs a VSIX the way a user does, with code-server's --install-extension. */
function installExtension(vsix: string, configFile: string, userDataDir: string, extensionsDir: string): void {
  const r = spawnSync(process.execPath, [codeServerEntry, '--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix], {
    env: { ...hostEnv(), EXTENSIONS_GALLERY: '{}' },
    encoding: 'utf8',
    timeout: 5 * 60_000,
  });
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
}

/** The calling environment, less what a surrounding VS Code (an integrated terminal) sets for itself. */
function hostEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE') delete env[key];
  }
  return env;
}

/** Resolves with the address code-server prints once its HTTP server listens. */
function waitForListening(child: ReturnType<typeof spawnGroup>, logFile: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let buffered = '';
    const finish = (error?: Error, url?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(url!);
    };
    const timer = setTimeout(() => finish(new Error(`code-server did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`code-server exited during start-up (${signal ?? `code ${code}`})`));
    child.once('exit', onExit);
    // Everything the server prints goes to its log, for the whole of its life.
    child.stdout!.on('data', (chunk: Buffer) => {
      try {
        fs.appendFileSync(logFile, chunk);
      } catch {
        // The data folder is gone: the server is being stopped.
      }
      if (settled) return;
      buffered += chunk.toString('utf8');
      const match = /HTTP server listening on (http:\/\/[^\s/]+)\/?\r?\n/.exec(buffered);
      if (match) finish(undefined, `${match[1]}/`);
    });
  });
}

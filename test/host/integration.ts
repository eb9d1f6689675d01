// `npm run test:integration [-- --grep PATTERN]`: installs the code-server host when needed,
// runs the extension-host suite (test/integration) inside it, then the UI tests (test/ui),
// which drive the workbench from outside with Playwright.
//
// Policy: when the host cannot be installed or Chromium is missing, the run fails under CI
// and is skipped, loudly, elsewhere.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { buildSuite } from './buildSuite';
import { findRipgrep, HostUnavailableError, installHost } from './install';
import { chromiumPath, CODE_SERVER_VERSION, repoRoot } from './paths';
import { runExtensionTests, type SuiteResult } from './runSuite';
import { hostTarget, packVsix } from '../support/vsix';
import { copyWorkspace } from './workspace';

const SUITE_TIMEOUT_MS = Number(process.env.AGENT_TUNE_SUITE_TIMEOUT_S ?? 600) * 1000;
const UI_TEST_TIMEOUT_MS = 3 * 60_000;
const uiTestDir = path.join(repoRoot, 'test', 'ui');

async function main(): Promise<number> {
  const started = Date.now();
  const grep = argValue('--grep');
  if (!process.versions.node.startsWith('20.')) {
    console.warn(`[host] warning: code-server ${CODE_SERVER_VERSION} is made for Node 20; this is Node ${process.versions.node}`);
  }
  const missing = missingPrerequisite();
  if (missing) return unavailable(missing);
  try {
    await installHost();
  } catch (error) {
    if (error instanceof HostUnavailableError) return unavailable(`the VS Code host could not be installed: ${error.message}`);
    throw error;
  }
  // A folder of this run's own: engineers sharing a checkout may run the suite at the same time.
  removeStaleRunFolders();
  const suiteDir = path.join(runFoldersParent, `${RUN_FOLDER_PREFIX}${process.pid}`);
  const workspace = copyWorkspace(path.join(repoRoot, 'examples'));
  let suite;
  try {
    const extensionTestsPath = await buildSuite(suiteDir);
    console.log('[host] extension-host tests (test/integration) in code-server');
    suite = await runExtensionTests({ workspace: workspace.folder, extensionTestsPath, grep, timeoutMs: SUITE_TIMEOUT_MS });
  } finally {
    workspace.remove();
    fs.rmSync(suiteDir, { recursive: true, force: true });
  }
  // A suite that crashed or timed out counts as a failure even if no test reported one.
  const totals = { passed: suite.passed, failed: Math.max(suite.failed, suite.exitCode === 0 ? 0 : 1), skipped: suite.skipped };
  let failedRun = suite.exitCode !== 0;

  if (!grep || /installed|vsix/i.test(grep)) {
    const installed = await runInstalledSuite(grep);
    totals.passed += installed.passed;
    totals.failed += Math.max(installed.failed, installed.exitCode === 0 ? 0 : 1);
    totals.skipped += installed.skipped;
    failedRun ||= installed.exitCode !== 0;
  }

  const uiFiles = testFiles(uiTestDir);
  if (uiFiles.length > 0) {
    console.log('\n[host] UI tests (test/ui) driving the workbench');
    const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout: UI_TEST_TIMEOUT_MS, color: Boolean(process.stdout.isTTY) });
    if (grep) mocha.grep(grep);
    for (const file of uiFiles) mocha.addFile(file);
    const stats = await new Promise<Mocha.Stats>((resolve) => {
      const runner = mocha.run(() => resolve(runner.stats!));
    });
    totals.passed += stats.passes;
    totals.failed += stats.failures;
    totals.skipped += stats.pending;
    failedRun ||= stats.failures > 0;
  }

  console.log(`\n[host] integration tests took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`integration: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  return failedRun ? 1 : 0;
}

/**
 * test/installed: this platform's VSIX, packed from the tree and installed into the host as a
 * user installs it, with a do-nothing development extension that only carries the test run.
 */
async function runInstalledSuite(grep: string | undefined): Promise<SuiteResult> {
  const target = hostTarget();
  if (!target) {
    console.log(`\n[host] no VSIX is built for ${process.platform}-${process.arch}: installed-VSIX tests skipped`);
    return { exitCode: 0, passed: 0, failed: 0, skipped: 1 };
  }
  console.log(`\n[host] packing the ${target} VSIX for the installed-extension tests (test/installed)`);
  const vsix = packVsix(target);
  const suiteDir = path.join(runFoldersParent, `${RUN_FOLDER_PREFIX}${process.pid}-installed`);
  const workspace = copyWorkspace(path.join(repoRoot, 'examples'));
  try {
    const extensionTestsPath = await buildSuite(suiteDir, path.join(repoRoot, 'test', 'installed'));
    console.log('[host] installed-VSIX tests (test/installed) in code-server');
    return await runExtensionTests({
      workspace: workspace.folder,
      extensionDevelopmentPath: path.join(repoRoot, 'test', 'installed', 'driver'),
      extensionTestsPath,
      extensions: [vsix],
      env: { AGENT_TUNE_REPO_ROOT: repoRoot },
      grep: grep && /installed|vsix/i.test(grep) ? undefined : grep,
      timeoutMs: SUITE_TIMEOUT_MS,
    });
  } finally {
    workspace.remove();
    fs.rmSync(suiteDir, { recursive: true, force: true });
    fs.rmSync(path.dirname(vsix), { recursive: true, force: true });
  }
}

const runFoldersParent = path.join(repoRoot, 'out', 'test');
const RUN_FOLDER_PREFIX = 'integration-run-';

/** Removes suites built by runs that were killed before cleaning up. */
function removeStaleRunFolders(): void {
  if (!fs.existsSync(runFoldersParent)) return;
  for (const name of fs.readdirSync(runFoldersParent)) {
    if (!name.startsWith(RUN_FOLDER_PREFIX)) continue;
    const pid = parseInt(name.slice(RUN_FOLDER_PREFIX.length), 10);
    try {
      process.kill(pid, 0);
      continue; // That run is still going.
    } catch {
      fs.rmSync(path.join(runFoldersParent, name), { recursive: true, force: true });
    }
  }
}

function missingPrerequisite(): string | undefined {
  try {
    fs.accessSync(chromiumPath, fs.constants.X_OK);
  } catch {
    return `${chromiumPath} is missing (Debian: apt-get install chromium; or set CHROMIUM_PATH)`;
  }
  if (!findRipgrep()) return 'ripgrep (rg) is not on PATH (Debian: apt-get install ripgrep)';
  return undefined;
}

function isCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

function unavailable(reason: string): number {
  const rule = '='.repeat(78);
  const verdict = isCI()
    ? 'CI is set, so this is a failure.'
    : 'Integration tests SKIPPED. Under CI=true this is a failure.';
  console.error(`\n${rule}\n  Integration tests cannot run: ${reason}\n  ${verdict}\n${rule}\n`);
  return isCI() ? 1 : 0;
}

function testFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => path.join(dir, name));
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);

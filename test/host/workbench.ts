// The VS Code workbench of a running code-server, in headless Debian Chromium driven by
// Playwright: the reusable surface for UI tests and for the extension-test runner.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { chromiumPath, repoRoot, resultsDir } from './paths';
import { startCodeServer, type CodeServer } from './server';

/** Flags for a root, offline, GPU-less machine; without the networking ones Chromium keeps dialling out. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface WorkbenchOptions {
  /** The extension under development; the repository by default, `null` for none. */
  extensionDevelopmentPath?: string | null;
  /** A compiled suite following the @vscode/test-electron `run()` contract. */
  extensionTestsPath?: string;
  /** Called with the suite's exit code when `run()` settles (extensionTestsPath only). */
  onExit?: (code: number) => void;
  /** Added to the environment of code-server and so of the extension host. */
  env?: Record<string, string>;
  /** User settings for this workbench. */
  settings?: Record<string, unknown>;
  /** VSIX files installed before the server starts, as a user installs them. */
  extensions?: string[];
  /** Opens the folder untrusted, in Restricted Mode (see CodeServerOptions.restricted). */
  restricted?: boolean;
  /** Starts code-server through this command (see CodeServerOptions.wrapper). */
  wrapper?: string[];
  viewport?: { width: number; height: number };
  /** Limit for the workbench to appear. */
  loadTimeoutMs?: number;
}

export interface Workbench {
  page: Page;
  server: CodeServer;
  browser: Browser;
  /** Browser console messages and page errors, in order. */
  console: string[];
  /** Runs a command by its palette title, e.g. "Agent Tune: Validate Config". */
  runCommand(title: string): Promise<void>;
  /** Waits for a notification toast containing `text` to be fully shown, and returns it. */
  notification(text: string | RegExp, timeoutMs?: number): Promise<Locator>;
  /** Opens a workspace file through Quick Open and waits for its editor. */
  openFile(relativePath: string): Promise<void>;
  /** The content frame of a webview (the first one, or the one whose iframe matches `iframeSelector`). */
  webview(iframeSelector?: string): FrameLocator;
  /** Saves a PNG under test-results/screenshots/ and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Copies server and VS Code logs and the browser console under test-results/logs/<name>/. */
  saveLogs(name: string): string;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  // Playwright gives each launch a fresh, temporary --user-data-dir.
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** Starts code-server and opens `workspace` in a new headless Chromium. Call close() when done. */
export async function openWorkbench(workspace: string, options: WorkbenchOptions = {}): Promise<Workbench> {
  const server = await startCodeServer({ env: options.env, settings: options.settings, extensions: options.extensions, restricted: options.restricted, wrapper: options.wrapper });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.stack ?? e.message}`));
    // The workbench calls this when an extension test suite finishes; expose it before loading.
    await page.exposeFunction('codeAutomationExit', (code: number) => options.onExit?.(code));

    const remote = (p: string) => `vscode-remote://${server.authority}${path.resolve(p)}`;
    const payload: [string, string][] = [];
    const dev = options.extensionDevelopmentPath === undefined ? repoRoot : options.extensionDevelopmentPath;
    if (dev) payload.push(['extensionDevelopmentPath', remote(dev)]);
    if (options.extensionTestsPath) payload.push(['extensionTestsPath', remote(options.extensionTestsPath)]);
    const url = `${server.url}?folder=${encodeURIComponent(path.resolve(workspace))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url, { timeout: options.loadTimeoutMs ?? 90_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: options.loadTimeoutMs ?? 90_000 });

    const b = browser;
    return {
      page,
      server,
      browser: b,
      console: consoleLines,
      runCommand: (title) => runCommand(page, title),
      openFile: (relativePath) => openFile(page, relativePath),
      notification: async (text, timeoutMs = 30_000) => {
        // fade-in-done: the slide-in animation is over, so a screenshot shows the whole toast.
        const toast = page.locator('.notification-toast.notification-fade-in-done', { hasText: text }).first();
        await toast.waitFor({ state: 'visible', timeout: timeoutMs });
        return toast;
      },
      webview: (iframeSelector = 'iframe.webview.ready') => page.frameLocator(iframeSelector).first().frameLocator('#active-frame'),
      screenshot: async (name) => {
        const file = path.join(resultsDir, 'screenshots', `${safeName(name)}.png`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        await page.screenshot({ path: file });
        return file;
      },
      saveLogs: (name) => {
        const dest = path.join(resultsDir, 'logs', safeName(name));
        server.saveLogs(dest);
        fs.writeFileSync(path.join(dest, 'browser-console.log'), consoleLines.join('\n') + '\n');
        return dest;
      },
      close: async () => {
        await b.close().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (error) {
    await browser?.close().catch(() => undefined);
    server.saveLogs(path.join(resultsDir, 'logs', 'workbench-start-failure'));
    await server.stop();
    throw error;
  }
}

/**
 * Opens `workspace` in a workbench, runs `fn`, and always closes it. When `fn` throws, a
 * screenshot and the logs are kept under test-results/ as `failure-<label>`.
 */
export async function withWorkbench<T>(
  workspace: string,
  fn: (workbench: Workbench) => Promise<T>,
  options: WorkbenchOptions & { label?: string } = {},
): Promise<T> {
  const workbench = await openWorkbench(workspace, options);
  try {
    return await fn(workbench);
  } catch (error) {
    const label = `failure-${options.label ?? path.basename(workspace)}`;
    await workbench.screenshot(label).catch(() => undefined);
    workbench.saveLogs(label);
    throw error;
  } finally {
    await workbench.close();
  }
}

async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
}

async function openFile(page: Page, relativePath: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(relativePath);
  const name = path.basename(relativePath);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await row.click();
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 20_000 });
  await page.locator('.editor-group-container.active .monaco-editor').first().waitFor({ timeout: 20_000 });
}

function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').slice(0, 120);
}

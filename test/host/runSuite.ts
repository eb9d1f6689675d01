// Runs an extension test suite inside code-server's extension host and relays its output.
//
// The suite's reporter cannot reach our stdout (the extension host is a grandchild of
// code-server and its console goes to the browser), so the suite writes its report to a
// file named by AGENT_TUNE_TEST_OUTPUT, which this runner tails onto stdout as it grows.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { repoRoot, suiteEntry } from './paths';
import { openWorkbench, type Workbench } from './workbench';

export interface SuiteOptions {
  /** Folder opened in the workbench. */
  workspace: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  /** VSIX files installed into the host before it starts. */
  extensions?: string[];
  /** Added to the extension host's environment. */
  env?: Record<string, string>;
  /** Whole-run limit: start-up, tests and shut-down. */
  timeoutMs?: number;
  /** Only tests whose full title matches (mocha --grep). */
  grep?: string;
  /** Where the report goes; stdout by default. */
  write?: (text: string) => void;
}

export interface SuiteResult {
  /** 0 when every test passed. */
  exitCode: number;
  passed: number;
  failed: number;
  skipped: number;
}

export async function runExtensionTests(options: SuiteOptions): Promise<SuiteResult> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-tune-suite-'));
  const reportFile = path.join(outDir, 'report.txt');
  const statsFile = path.join(outDir, 'stats.json');
  fs.writeFileSync(reportFile, '');

  let exitCode: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (exitCode = resolve));
  const tail = tailFile(reportFile, write);
  let workbench: Workbench | undefined;
  let opened: Promise<Workbench> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));

  try {
    const env: Record<string, string> = {
      AGENT_TUNE_TEST_OUTPUT: reportFile,
      AGENT_TUNE_TEST_STATS: statsFile,
      AGENT_TUNE_TEST_COLOR: process.stdout.isTTY && !process.env.NO_COLOR ? '1' : '0',
    };
    if (options.grep) env.AGENT_TUNE_TEST_GREP = options.grep;
    Object.assign(env, options.env);
    opened = openWorkbench(options.workspace, {
      extensionDevelopmentPath: options.extensionDevelopmentPath ?? repoRoot,
      extensionTestsPath: options.extensionTestsPath ?? suiteEntry,
      onExit: (code) => exitCode(code),
      extensions: options.extensions,
      env,
    }).then((w) => {
      // A dead browser or server never reports an exit code: stop waiting for one.
      w.page.once('crash', () => exitCode(1));
      w.browser.once('disconnected', () => exitCode(1));
      void w.server.exited.then(() => exitCode(1));
      return (workbench = w);
    });
    const outcome = await Promise.race([opened.then(() => Promise.race([exited, timedOut])), timedOut]);
    tail.flush();
    const stats = readStats(statsFile);
    let code: number;
    if (outcome === 'timeout') {
      write(`\n[host] extension tests did not finish within ${timeoutMs / 1000} s; stopping the host\n`);
      code = 1;
    } else if (!stats) {
      // An extension host that dies mid-suite can still make the workbench report exit code 0:
      // only a suite that wrote its totals has finished.
      write(`\n[host] the extension-host suite stopped before its end (exit code ${outcome}): did the extension host crash?\n`);
      code = outcome || 1;
    } else {
      code = stats.failed > 0 ? outcome || 1 : outcome;
    }
    if (code !== 0 && workbench) {
      const dir = workbench.saveLogs(outcome === 'timeout' ? 'extension-tests-timeout' : 'extension-tests-failure');
      write(`[host] logs kept in ${path.relative(process.cwd(), dir)}\n`);
    }
    return { exitCode: code, ...(stats ?? { passed: 0, failed: 0, skipped: 0 }) };
  } finally {
    clearTimeout(timer);
    if (workbench) await workbench.close();
    // Timed out while the workbench was still opening: close it once it is up.
    else opened?.then((w) => w.close(), () => undefined);
    tail.stop();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

function readStats(file: string): { passed: number; failed: number; skipped: number } | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Follows a growing file, handing each new piece to `write`. */
function tailFile(file: string, write: (text: string) => void): { flush(): void; stop(): void } {
  let offset = 0;
  const decoder = new StringDecoder('utf8');
  const flush = () => {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = fs.readSync(fd, buffer, 0, buffer.length, offset);
        if (n <= 0) break;
        offset += n;
        write(decoder.write(buffer.subarray(0, n)));
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  const interval = setInterval(flush, 100);
  return {
    flush,
    stop: () => {
      clearInterval(interval);
      flush();
    },
  };
}

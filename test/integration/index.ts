// Entry of the extension-host test suite, following the @vscode/test-electron contract: VS Code
// loads this module in the extension host and calls run(); it resolves when every test passed.
// Runs every compiled *.test.js beside it with mocha (bdd, like the unit tests).
//
// When AGENT_TUNE_TEST_OUTPUT names a file (the code-server runner, test/host/runSuite.ts),
// the report and the tests' console output go there, because the extension host's own
// console ends up in the browser; otherwise (test-electron) they go to the console.
import { Console } from 'node:console';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const restoreConsole = redirectConsole(process.env.AGENT_TUNE_TEST_OUTPUT);
  try {
    const mocha = new Mocha({
      ui: 'bdd',
      reporter: 'spec',
      timeout: 60_000,
      color: process.env.AGENT_TUNE_TEST_COLOR === '1',
    });
    if (process.env.AGENT_TUNE_TEST_GREP) mocha.grep(process.env.AGENT_TUNE_TEST_GREP);
    for (const file of testFiles(__dirname)) mocha.addFile(file);
    const stats = await new Promise<Mocha.Stats>((resolve) => {
      const runner = mocha.run(() => resolve(runner.stats!));
    });
    const passed = stats.passes;
    const failed = stats.failures;
    const skipped = stats.pending;
    console.log(`extension-host: ${passed} passed, ${failed} failed, ${skipped} skipped`);
    if (process.env.AGENT_TUNE_TEST_STATS) {
      fs.writeFileSync(process.env.AGENT_TUNE_TEST_STATS, JSON.stringify({ passed, failed, skipped }));
    }
    if (failed > 0) throw new Error(`${failed} extension-host test(s) failed`);
    if (passed === 0 && !process.env.AGENT_TUNE_TEST_GREP) throw new Error('no extension-host test ran');
  } finally {
    restoreConsole();
  }
}

function testFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((name) => name.endsWith('.test.js'))
    .sort()
    .map((name) => path.join(dir, name));
}

/**
 * Sends console output to `file` until the returned function is called. The extension host
 * locks the methods of its console (they forward to the workbench), so the whole global
 * console is swapped; mocha's reporter keeps its own reference and is pointed at it too.
 */
function redirectConsole(file: string | undefined): () => void {
  if (!file) return () => undefined;
  const fd = fs.openSync(file, 'a');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      fs.writeSync(fd, chunk);
      done();
    },
  });
  const fileConsole = new Console({ stdout: sink, stderr: sink });
  const savedConsole = globalThis.console;
  const savedReporterLog = Mocha.reporters.Base.consoleLog;
  Object.defineProperty(globalThis, 'console', { value: fileConsole, writable: true, configurable: true });
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => fileConsole.log(...args);
  return () => {
    Object.defineProperty(globalThis, 'console', { value: savedConsole, writable: true, configurable: true });
    Mocha.reporters.Base.consoleLog = savedReporterLog;
    fs.closeSync(fd);
  };
}

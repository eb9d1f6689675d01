import * as path from 'node:path';

/** The VS Code build the tests run in; code-server 4.96.4 carries VS Code 1.96.4 and runs on Node 20. */
export const CODE_SERVER_VERSION = '4.96.4';

export const repoRoot = path.resolve(__dirname, '..', '..');

/** Gitignored cache holding the installed host; one folder per version so upgrades never mix. */
export const cacheRoot = path.join(repoRoot, '.vscode-test');
export const hostDir = path.join(cacheRoot, `code-server-${CODE_SERVER_VERSION}`);
export const codeServerEntry = path.join(hostDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** Compiled extension-host suite (built by buildSuite.ts). */
export const suiteOutDir = path.join(repoRoot, 'out', 'test', 'integration');
export const suiteEntry = path.join(suiteOutDir, 'index.js');

/** Screenshots and logs that CI keeps as artifacts. */
export const resultsDir = path.join(repoRoot, 'test-results');

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

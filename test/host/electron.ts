// `npm run test:electron [-- --grep PATTERN]`: the same extension-host suite in desktop VS Code, downloaded by
// @vscode/test-electron (needs access to VS Code's download site). VS Code version from
// VSCODE_TEST_VERSION: 'stable' (default), 'insiders' or a release such as 1.96.4.
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { buildSuite } from './buildSuite';
import { cacheRoot, repoRoot, suiteEntry } from './paths';
import { copyWorkspace } from './workspace';

async function main(): Promise<number> {
  const grepAt = process.argv.indexOf('--grep');
  const grep = grepAt >= 0 ? process.argv[grepAt + 1] : undefined;
  await buildSuite();
  const workspace = copyWorkspace(path.join(repoRoot, 'examples'));
  try {
    return await runTests({
      version: process.env.VSCODE_TEST_VERSION ?? 'stable',
      cachePath: cacheRoot,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: suiteEntry,
      extensionTestsEnv: grep ? { AGENT_TUNE_TEST_GREP: grep } : undefined,
      launchArgs: [workspace.folder, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
  } finally {
    workspace.remove();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`VS Code tests failed: ${error.message}`);
    process.exit(1);
  },
);

// Compiles the extension-host suite (test/integration/**/*.ts) into out/test/integration, one
// bundle per file. Packages stay external and load from node_modules at run time; `vscode` is
// provided by the extension host.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, suiteOutDir } from './paths';

/**
 * Builds the suite in `sourceDir` (test/integration by default) into `outDir`
 * (out/test/integration by default) and returns the suite's entry file.
 */
export async function buildSuite(outDir = suiteOutDir, sourceDir = path.join(repoRoot, 'test', 'integration')): Promise<string> {
  const entryPoints = (fs.readdirSync(sourceDir, { recursive: true }) as string[])
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => path.join(sourceDir, name));
  // Start clean: a compiled test whose source was deleted must not run.
  fs.rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints,
    outbase: sourceDir,
    outdir: outDir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    absWorkingDir: repoRoot,
  });
  return path.join(outDir, 'index.js');
}

/** A throw-away copy of examples/ for the "Extension Tests" launch configuration to open. */
function prepareLaunchWorkspace(): void {
  const folder = path.join(repoRoot, 'out', 'test', 'workspace');
  fs.rmSync(folder, { recursive: true, force: true });
  fs.cpSync(path.join(repoRoot, 'examples'), folder, { recursive: true });
}

if (require.main === module) {
  buildSuite()
    .then(() => process.argv.includes('--launch-workspace') && prepareLaunchWorkspace())
    .catch((error: Error) => {
      console.error(error.message);
      process.exit(1);
    });
}

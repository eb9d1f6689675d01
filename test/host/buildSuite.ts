// Compiles the extension-host suite (test/integration/**/*.ts) into out/test/integration, one
// bundle per file. Packages stay external and load from node_modules at run time; `vscode` is
// provided by the extension host.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, suiteOutDir } from './paths';

const sourceDir = path.join(repoRoot, 'test', 'integration');

export async function buildSuite(): Promise<void> {
  const entryPoints = (fs.readdirSync(sourceDir, { recursive: true }) as string[])
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => path.join(sourceDir, name));
  // Start clean: a compiled test whose source was deleted must not run.
  fs.rmSync(suiteOutDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints,
    outbase: sourceDir,
    outdir: suiteOutDir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
    absWorkingDir: repoRoot,
  });
}

if (require.main === module) {
  buildSuite().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}

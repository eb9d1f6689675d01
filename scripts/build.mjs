// Builds the extension, the standalone debug adapter, the webview client, the trainer CLI and
// the trainer's type declarations.
// Usage: node scripts/build.mjs [--watch] [--production] [--out DIR]
// --out writes the bundles under DIR (DIR/dist, DIR/trainer/dist) instead of the repository,
// as packaging does; the generated docs are left alone then, and the declarations stay in
// trainer/types, where packaging copies them from.
import * as esbuild from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readFileSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const outFlag = process.argv.indexOf('--out');
const outRoot = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : root;

// Native or self-spawning packages stay outside the bundles.
const nodeExternal = ['vscode', 'onnxruntime-node', 'esbuild', '@huggingface/transformers'];

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

const targets = [
  { entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal },
  { entryPoints: { debugAdapter: 'src/debug/adapterMain.ts' }, outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal },
  { entryPoints: { webview: 'media/main.ts' }, outdir: 'dist', platform: 'browser', format: 'iife', target: 'es2022' },
  // The webview's styles with codicons and uPlot's CSS; the icon font is copied beside it.
  { entryPoints: { webview: 'media/styles.css' }, outdir: 'dist', loader: { '.ttf': 'file' }, assetNames: '[name]' },
  { entryPoints: { cli: 'trainer/src/cli.ts', index: 'trainer/src/index.ts', worker: 'trainer/src/user/worker.ts', relay: 'trainer/src/user/relay.ts', 'model-runner': 'trainer/src/model/runner-thread.ts' }, outdir: 'trainer/dist', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal },
]
  .map((t) => ({ ...t, entryPoints: Object.fromEntries(Object.entries(t.entryPoints).filter(([, p]) => existsSync(join(root, p)))) }))
  .filter((t) => Object.keys(t.entryPoints).length > 0)
  .map((t) => ({ ...t, outdir: join(outRoot, t.outdir) }));

async function writeSchema() {
  // The config schema lives in TypeScript; editors and Red Hat YAML read this JSON copy.
  const out = await esbuild.build({
    entryPoints: [join(root, 'trainer/src/config/schema.ts')], bundle: true, write: false,
    platform: 'node', format: 'cjs', logLevel: 'silent',
  });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, () => ({}));
  const text = JSON.stringify(mod.exports.tuneSchema, null, 2) + '\n';
  // The extension's copy, and the trainer package's (packed from the repository) for editors
  // pointed at it by `$schema`.
  for (const file of [join(outRoot, 'dist/tune.schema.json'), join(root, 'trainer/schema/tune.schema.json')]) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

async function writeConfigDocs() {
  // The reference part of docs/config.md is generated from the same schema.
  const out = await esbuild.build({
    entryPoints: [join(root, 'scripts/config-docs.ts')], bundle: true, write: false,
    platform: 'node', format: 'cjs', logLevel: 'silent', external: ['yaml', 'ajv'],
  });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', '__dirname', out.outputFiles[0].text)(mod, mod.exports, createRequire(import.meta.url), join(root, 'scripts'));
  const { DOC_FILE, renderDoc } = mod.exports;
  const current = readFileSync(DOC_FILE, 'utf8');
  const next = renderDoc(current);
  if (next !== current) writeFileSync(DOC_FILE, next);
}

/** The newest modification time of the given files and of every file under the given folders. */
function newestMtime(paths) {
  let newest = 0;
  for (const p of paths) {
    const stat = statSync(p);
    if (stat.isDirectory()) newest = Math.max(newest, newestMtime(readdirSync(p).map((name) => join(p, name))));
    else newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

async function writeDeclarations() {
  // trainer/types: the packed trainer's `types`, and the SDK that the extension's TypeScript
  // server plugin (ts-plugin/) gives workspaces that import 'agent-tune' without installing it.
  // tsc takes seconds, so it runs only when a source is newer than the last emit.
  const out = join(root, 'trainer/types');
  const entry = join(out, 'index.d.ts');
  const config = join(root, 'trainer/tsconfig.types.json');
  const inputs = [join(root, 'trainer/src'), config, join(root, 'tsconfig.json')];
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(inputs)) return;
  rmSync(out, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const failure = await new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', config], { cwd: root }, (error, stdout, stderr) => resolve(error && `${stdout}${stderr}`.trim()));
  });
  if (!existsSync(entry)) throw new Error(`tsc wrote no ${entry}:\n${failure}`);
  if (failure) {
    // Declarations are written despite type errors; `npm run typecheck` reports those. Emit again next build.
    console.warn(`trainer declarations written with errors:\n${failure}`);
    utimesSync(entry, 0, 0);
  } else {
    const now = new Date();
    utimesSync(entry, now, now);
  }
}

await writeSchema();
if (outRoot === root) await writeConfigDocs();
const declarations = writeDeclarations();
if (watch) {
  for (const t of targets) await (await esbuild.context({ ...common, ...t })).watch();
  console.log('watching for changes');
} else {
  await Promise.all(targets.map((t) => esbuild.build({ ...common, ...t })));
}
await declarations;

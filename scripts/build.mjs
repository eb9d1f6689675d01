// Builds the extension, the standalone debug adapter, the webview client and the trainer CLI.
// Usage: node scripts/build.mjs [--watch] [--production] [--out DIR]
// --out writes the bundles under DIR (DIR/dist, DIR/trainer/dist) instead of the repository,
// as packaging does; the generated docs are left alone then.
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
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
  { entryPoints: { cli: 'trainer/src/cli.ts', index: 'trainer/src/index.ts', worker: 'trainer/src/user/worker.ts', 'model-runner': 'trainer/src/model/runner-thread.ts' }, outdir: 'trainer/dist', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal },
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
  mkdirSync(join(outRoot, 'dist'), { recursive: true });
  writeFileSync(join(outRoot, 'dist/tune.schema.json'), JSON.stringify(mod.exports.tuneSchema, null, 2) + '\n');
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

await writeSchema();
if (outRoot === root) await writeConfigDocs();
if (watch) {
  for (const t of targets) await (await esbuild.context({ ...common, ...t })).watch();
  console.log('watching for changes');
} else {
  await Promise.all(targets.map((t) => esbuild.build({ ...common, ...t })));
}

// Writes one VSIX per platform that onnxruntime-node ships binaries for.
// Usage: node scripts/package.mjs [--target linux-x64,...] [--out DIR]
//
// Each VSIX is assembled in a staging folder: the production bundles, the trainer (bundled, with
// its embedded model and tasks), the examples, and a node_modules holding only what stays
// outside the bundles at run time: onnxruntime-node with that platform's native binary alone,
// onnxruntime-common, esbuild with that platform's binary package (the trainer transpiles user
// TypeScript with it), and the TypeScript server plugin. vsce then packs the folder for its target.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/** VS Code target -> onnxruntime-node's bin folder and esbuild's platform package. */
export const TARGETS = {
  'linux-x64': { ort: 'linux/x64', esbuild: '@esbuild/linux-x64' },
  'linux-arm64': { ort: 'linux/arm64', esbuild: '@esbuild/linux-arm64' },
  'darwin-arm64': { ort: 'darwin/arm64', esbuild: '@esbuild/darwin-arm64' },
  'win32-x64': { ort: 'win32/x64', esbuild: '@esbuild/win32-x64' },
  'win32-arm64': { ort: 'win32/arm64', esbuild: '@esbuild/win32-arm64' },
};

function arg(flag) {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function log(line) {
  process.stdout.write(`[package] ${line}\n`);
}

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
}

/** The installed folder of a package, links resolved (workspace packages are links). */
function packageDir(name) {
  for (const base of require.resolve.paths(name) ?? []) {
    if (existsSync(join(base, name, 'package.json'))) return realpathSync(join(base, name));
  }
  throw new Error(`${name} is not installed; run npm install`);
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function writeJson(file, value) {
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * A package as the registry has it, unpacked under .cache/ (npm pack fetches it once): a
 * platform's esbuild binary package is not installed on another machine, and an installed
 * esbuild may have had its launcher replaced by this machine's binary.
 */
function registryPackage(name, version) {
  const cache = join(root, '.cache', 'registry-packages', `${name.replace('/', '+')}@${version}`);
  const unpacked = join(cache, 'package');
  if (!existsSync(join(unpacked, 'package.json'))) {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    log(`fetching ${name}@${version}`);
    const out = run('npm', ['pack', `${name}@${version}`, '--silent', '--prefer-offline', '--pack-destination', cache], { cwd: cache }).trim().split('\n').pop();
    run('tar', ['-xzf', join(cache, out), '-C', cache]);
  }
  return unpacked;
}

/** Copies a package's files, leaving out what it keeps for building or installing itself. */
function copyPackage(from, to, skip = () => false) {
  cpSync(from, to, { recursive: true, dereference: true, filter: (src) => !skip(src.slice(from.length).replace(/\\/g, '/')) });
}

/** The extension manifest as published: no scripts, workspaces or development tooling. */
function manifest(dependencies) {
  const pkg = readJson(join(root, 'package.json'));
  for (const key of ['scripts', 'devDependencies', 'workspaces', 'allowScripts', 'private']) delete pkg[key];
  return { ...pkg, dependencies };
}

function stage(target, dir) {
  const { ort, esbuild } = TARGETS[target];
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--production', '--out', dir], { stdio: 'inherit' });

  for (const name of ['README.md', 'CHANGELOG.md', 'LICENSE', 'docs', 'syntaxes', 'media']) {
    if (existsSync(join(root, name))) cpSync(join(root, name), join(dir, name), { recursive: true, filter: (s) => !s.endsWith('.ts') });
  }
  cpSync(join(root, 'examples'), join(dir, 'examples'), { recursive: true, filter: (s) => !/[\\/]runs([\\/]|$)/.test(s) });
  const trainer = readJson(join(root, 'trainer', 'package.json'));
  for (const name of ['bin', 'models', 'tasks', 'types']) {
    if (existsSync(join(root, 'trainer', name))) cpSync(join(root, 'trainer', name), join(dir, 'trainer', name), { recursive: true });
  }
  writeJson(join(dir, 'trainer', 'package.json'), { ...trainer, dependencies: {}, devDependencies: undefined });

  // The runtime packages, at the top so that both dist/ and trainer/dist/ resolve them.
  const nm = join(dir, 'node_modules');
  const ortDir = packageDir('onnxruntime-node');
  const ortPkg = readJson(join(ortDir, 'package.json'));
  copyPackage(ortDir, join(nm, 'onnxruntime-node'), (p) => p.startsWith('/script') || (p.startsWith('/bin/napi-v6/') && p.split('/').length > 4 && !p.startsWith(`/bin/napi-v6/${ort}`)));
  // Its other dependencies serve only its install script, which is left out.
  writeJson(join(nm, 'onnxruntime-node', 'package.json'), { ...ortPkg, scripts: {}, dependencies: { 'onnxruntime-common': ortPkg.dependencies['onnxruntime-common'] } });
  copyPackage(packageDir('onnxruntime-common'), join(nm, 'onnxruntime-common'));
  const esbuildVersion = readJson(join(packageDir('esbuild'), 'package.json')).version;
  const esbuildDir = registryPackage('esbuild', esbuildVersion);
  const esbuildPkg = readJson(join(esbuildDir, 'package.json'));
  copyPackage(esbuildDir, join(nm, 'esbuild'), (p) => p === '/install.js');
  writeJson(join(nm, 'esbuild', 'package.json'), { ...esbuildPkg, scripts: {}, optionalDependencies: { [esbuild]: esbuildVersion } });
  copyPackage(registryPackage(esbuild, esbuildVersion), join(nm, ...esbuild.split('/')));
  const dependencies = { 'onnxruntime-node': ortPkg.version, esbuild: esbuildPkg.version };
  for (const { name } of readJson(join(root, 'package.json')).contributes.typescriptServerPlugins ?? []) {
    const from = packageDir(name);
    copyPackage(from, join(nm, name), (p) => p.startsWith('/node_modules') || p.startsWith('/test'));
    dependencies[name] = readJson(join(from, 'package.json')).version;
  }
  writeJson(join(dir, 'package.json'), manifest(dependencies));
  // The folder holds only what ships; source maps and TypeScript sources of packages stay out.
  writeFileSync(join(dir, '.vscodeignore'), '**/*.map\nnode_modules/*/lib/**/*.ts\n');
}

function folderBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

export function packageTargets(targets, outDir) {
  const version = readJson(join(root, 'package.json')).version;
  const name = readJson(join(root, 'package.json')).name;
  const written = [];
  mkdirSync(outDir, { recursive: true });
  for (const target of targets) {
    if (!TARGETS[target]) throw new Error(`unknown target ${target}; use one of ${Object.keys(TARGETS).join(', ')}`);
    const dir = join(root, '.cache', 'vsix-stage', target);
    log(`${target}: staging in ${dir}`);
    stage(target, dir);
    const file = join(outDir, `${name}-${target}-${version}.vsix`);
    run(process.execPath, [require.resolve('@vscode/vsce/vsce'), 'package', '--target', target, '--out', file, '--allow-missing-repository', '--no-rewrite-relative-links'], { cwd: dir, stdio: 'inherit' });
    const size = statSync(file).size;
    log(`${target}: ${file} (${(size / 2 ** 20).toFixed(1)} MiB, ${(folderBytes(dir) / 2 ** 20).toFixed(1)} MiB unpacked)`);
    written.push({ target, file, size });
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const targets = (arg('--target') ?? Object.keys(TARGETS).join(',')).split(',').map((t) => t.trim()).filter(Boolean);
  const outDir = resolve(arg('--out') ?? join(root, 'out', 'vsix'));
  try {
    packageTargets(targets, outDir);
  } catch (e) {
    process.stderr.write(`[package] ${e.message}\n`);
    process.exit(1);
  }
}

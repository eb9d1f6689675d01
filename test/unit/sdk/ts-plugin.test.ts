// The extension's TypeScript server plugin (ts-plugin/) inside a real TypeScript language service
// and a real tsserver: a judge in a folder outside the repository, which never installed
// `agent-tune`, type-checks against the SDK declarations the build writes to trainer/types/.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const repo = resolve(__dirname, '../../..');
const declarations = join(repo, 'trainer/types/index.d.ts');
// The plugin is plain CommonJS, loaded as tsserver loads it.
const pluginInit = require('../../../ts-plugin') as ((modules: { typescript: typeof ts }) => { create(info: unknown): ts.LanguageService }) & {
  findDeclarations(dir?: string): string | undefined;
};

// One registry, so the standard library is parsed once for all language services here.
const registry = ts.createDocumentRegistry();
const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  noEmit: true,
  types: [],
};

/** A language service host over real files, as a minimal editor integration would write it. */
function createHost(dir: string, files: string[], resolveItself: boolean): ts.LanguageServiceHost {
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => files,
    getScriptVersion: (f) => createHash('sha1').update(readFileSync(f)).digest('hex'),
    getScriptSnapshot: (f) => (existsSync(f) ? ts.ScriptSnapshot.fromString(readFileSync(f, 'utf8')) : undefined),
    getCurrentDirectory: () => dir,
    getCompilationSettings: () => options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
    realpath: ts.sys.realpath,
  };
  if (resolveItself) {
    // tsserver's projects resolve modules themselves; the plugin wraps that.
    host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions, sourceFile) =>
      literals.map((l) =>
        ts.resolveModuleName(l.text, containingFile, compilerOptions, ts.sys, undefined, redirected, ts.getModeForUsageLocation(sourceFile, l, compilerOptions)));
  }
  return host;
}

function withPlugin(host: ts.LanguageServiceHost): ts.LanguageService {
  const languageService = ts.createLanguageService(host, registry);
  return pluginInit({ typescript: ts }).create({ languageService, languageServiceHost: host, config: {} });
}

const diagnostics = (ls: ts.LanguageService, file: string) =>
  [...ls.getSyntacticDiagnostics(file), ...ls.getSemanticDiagnostics(file)].map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);

function quickInfo(ls: ts.LanguageService, file: string, word: string): { text: string; definition: string | undefined } {
  const at = readFileSync(file, 'utf8').lastIndexOf(word);
  assert.ok(at >= 0, `${word} is not in ${file}`);
  const info = ls.getQuickInfoAtPosition(file, at);
  return { text: ts.displayPartsToString(info?.displayParts), definition: ls.getDefinitionAtPosition(file, at)?.[0]?.fileName };
}

describe('TypeScript server plugin: agent-tune in any workspace', function () {
  this.timeout(120_000);
  let dir: string;
  let judge: string;

  before(function () {
    assert.ok(existsSync(declarations), `${declarations} is missing; "npm run build" writes it`);
  });
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'agent-tune-ts-plugin-')));
    judge = join(dir, 'judge.ts');
    copyFileSync(join(repo, 'examples/math-agent/judge.ts'), judge);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the declarations from the repository and from the extension layout', () => {
    assert.equal(pluginInit.findDeclarations(join(repo, 'node_modules/agent-tune-ts-plugin')), declarations);
    // An installed extension: <ext>/node_modules/agent-tune-ts-plugin and <ext>/trainer/types.
    const ext = join(dir, 'ext');
    mkdirSync(join(ext, 'node_modules/agent-tune-ts-plugin'), { recursive: true });
    mkdirSync(join(ext, 'trainer/types'), { recursive: true });
    writeFileSync(join(ext, 'trainer/types/index.d.ts'), 'export {};\n');
    assert.equal(pluginInit.findDeclarations(join(ext, 'node_modules/agent-tune-ts-plugin')), join(ext, 'trainer/types/index.d.ts'));
    assert.equal(pluginInit.findDeclarations(dir), undefined);
  });

  it('without the plugin, the copied judge reports ts(2307)', () => {
    const ls = ts.createLanguageService(createHost(dir, [judge], true), registry);
    assert.ok(diagnostics(ls, judge).some((d) => d.startsWith('TS2307:')), diagnostics(ls, judge).join('\n'));
  });

  for (const resolveItself of [true, false]) {
    it(`with the plugin, the judge type-checks against the SDK (${resolveItself ? 'host resolves modules, as tsserver' : 'language service resolves modules'})`, () => {
      const ls = withPlugin(createHost(dir, [judge], resolveItself));
      assert.deepEqual(diagnostics(ls, judge), []);
      const define = quickInfo(ls, judge, 'defineJudge(');
      assert.match(define.text, /^\(alias\) defineJudge\(judge: JudgeFn, options\?: \{\s*name\?: string;\s*\}\): Judge\s+import defineJudge$/);
      assert.equal(define.definition, join(repo, 'trainer/types/sdk.d.ts'));
      // The judge's input is typed: a misspelt field is an error, not `any`.
      writeFileSync(judge, readFileSync(judge, 'utf8').replace('task.reference', 'task.referenc'));
      const ls2 = withPlugin(createHost(dir, [judge], resolveItself));
      assert.ok(diagnostics(ls2, judge).some((d) => /TS2551: Property 'referenc' does not exist on type 'JudgeTask'/.test(d)), diagnostics(ls2, judge).join('\n'));
    });
  }

  it('an installed agent-tune wins over the shipped declarations', () => {
    const pkg = join(dir, 'node_modules/agent-tune');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'agent-tune', version: '9.9.9', types: 'index.d.ts' }));
    writeFileSync(join(pkg, 'index.d.ts'), 'export declare function defineJudge(judge: (input: { final_answer: string | null; task: { reference: string }; tool_calls: { name: string }[] }) => unknown): "installed";\n');
    const ls = withPlugin(createHost(dir, [judge], true));
    assert.deepEqual(diagnostics(ls, judge), []);
    assert.equal(quickInfo(ls, judge, 'defineJudge(').definition, join(pkg, 'index.d.ts'));
  });

  it('tsserver loads it as VS Code does (--globalPlugins, --pluginProbeLocations) and reports no error', async () => {
    const server = spawn(process.execPath, [
      require.resolve('typescript/lib/tsserver.js'),
      '--globalPlugins', 'agent-tune-ts-plugin',
      '--pluginProbeLocations', repo,
      '--disableAutomaticTypingAcquisition',
    ], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const responses = new Map<number, (body: unknown) => void>();
      let buffer = Buffer.alloc(0);
      server.stdout.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (let m; (m = /Content-Length: (\d+)\r\n\r\n/.exec(buffer.toString('latin1'))); ) {
          const start = m.index + m[0].length;
          const end = start + Number(m[1]);
          if (buffer.length < end) break;
          const message = JSON.parse(buffer.subarray(start, end).toString('utf8')) as { type: string; request_seq?: number; body?: unknown; success?: boolean; message?: string };
          buffer = buffer.subarray(end);
          if (message.type === 'response' && message.request_seq !== undefined) {
            responses.get(message.request_seq)?.(message.success === false ? { error: message.message } : message.body);
          }
        }
      });
      let seq = 0;
      const request = (command: string, args: unknown) =>
        new Promise<unknown>((done) => {
          const id = ++seq;
          responses.set(id, done);
          server.stdin.write(JSON.stringify({ seq: id, type: 'request', command, arguments: args }) + '\n');
        });
      server.stdin.write(JSON.stringify({ seq: ++seq, type: 'request', command: 'open', arguments: { file: judge, projectRootPath: dir } }) + '\n');
      const errors = (await request('semanticDiagnosticsSync', { file: judge })) as { text: string; code: number }[];
      assert.deepEqual(errors.map((e) => `TS${e.code}: ${e.text}`), []);
      const lines = readFileSync(judge, 'utf8').split('\n');
      const line = lines.findIndex((l) => l.includes('= defineJudge('));
      const offset = lines[line].indexOf('defineJudge(') + 1;
      const info = (await request('quickinfo', { file: judge, line: line + 1, offset })) as { displayString: string };
      assert.match(info.displayString, /^\(alias\) defineJudge\(judge: JudgeFn, options\?: \{\s*name\?: string;\s*\}\): Judge/);
    } finally {
      server.kill();
    }
  });
});

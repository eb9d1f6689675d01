// Broken configs of every kind: each must give an error at the right line, column and key
// path, through the same code the CLI and the editor use.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { keyPathString, validateConfigText, type ConfigIssue } from '../../../trainer/src/config/validate';
import { diagnoseFile } from '../../../trainer/src/language/diagnostics';

const ok = 'name: demo\ntasks:\n  train:\n    path: builtin:arith/train\n';

interface Expect {
  line: number;
  column: number;
  path: string;
  message: RegExp;
  /** The text the issue underlines. */
  covers?: string;
}

function only(text: string): ConfigIssue {
  const errors = validateConfigText(text, 'broken.tune.yaml').issues.filter((i) => i.severity === 'error');
  assert.equal(errors.length, 1, `expected one error, got:\n${errors.map((e) => `${e.line}:${e.column} ${keyPathString(e.path)} ${e.message}`).join('\n')}`);
  return errors[0];
}

function check(text: string, e: Expect): void {
  const i = only(text);
  assert.deepEqual({ line: i.line, column: i.column, path: keyPathString(i.path) }, { line: e.line, column: e.column, path: e.path });
  assert.match(i.message, e.message);
  if (e.covers !== undefined) assert.equal(text.slice(i.start, i.end), e.covers);
}

const cases: [string, string, Expect][] = [
  ['YAML syntax error: unclosed quote', 'name: "demo\ntasks:\n  train:\n    path: x.jsonl\n', { line: 1, column: 7, path: 'name', message: /closing "quote/, covers: '"demo' }],
  ['YAML syntax error: unclosed flow mapping', ok + 'algorithm: { type: grpo\n', { line: 5, column: 12, path: 'algorithm', message: /end with a \}/ }],
  ['YAML syntax error: over-indented key', 'name: demo\n  tasks:\n  train: x\n', { line: 1, column: 7, path: 'name', message: /^YAML syntax/ }],
  ['YAML syntax error: unknown alias', ok + 'seed: *nope\n', { line: 5, column: 7, path: 'seed', message: /alias.*nope/, covers: '*nope' }],
  ['wrong type: string for integer', ok + 'seed: abc\n', { line: 5, column: 7, path: 'seed', message: /must be an integer, got "abc"/, covers: 'abc' }],
  ['wrong type: scalar for a section', ok + 'model: 5\n', { line: 5, column: 8, path: 'model', message: /must be a mapping/, covers: '5' }],
  ['wrong type: boolean', ok + 'algorithm:\n  scale_by_std: maybe\n', { line: 6, column: 17, path: 'algorithm.scale_by_std', message: /true or false/ }],
  ['wrong type: list item', ok + 'eval:\n  k: [1, "a"]\n', { line: 6, column: 10, path: 'eval.k[1]', message: /must be an integer/, covers: '"a"' }],
  ['unknown top-level key', ok + 'modle:\n  backend: onnx\n', { line: 5, column: 1, path: 'modle', message: /unknown key "modle" \(did you mean "model"\?\)/, covers: 'modle' }],
  ['unknown nested key', ok + 'model:\n  sampling:\n    temprature: 0.7\n', { line: 7, column: 5, path: 'model.sampling.temprature', message: /did you mean "temperature"/, covers: 'temprature' }],
  ['misspelt enum value', ok + 'algorithm:\n  type: grop\n', { line: 6, column: 9, path: 'algorithm.type', message: /"grop" is not allowed \(did you mean "grpo"\?\); use one of: grpo, rloo/, covers: 'grop' }],
  ['misspelt selector', ok.replace('tasks:\n', 'tasks:\n  selector: { type: shufle }\n'), { line: 3, column: 21, path: 'tasks.selector.type', message: /did you mean "shuffle"/, covers: 'shufle' }],
  ['missing required key at the root', 'tasks:\n  train:\n    path: x.jsonl\n', { line: 1, column: 1, path: 'name', message: /missing the required key "name"/, covers: 'tasks' }],
  ['missing required nested key', 'name: demo\ntasks:\n  test:\n    path: x.jsonl\n', { line: 2, column: 1, path: 'tasks.train', message: /`tasks` is missing the required key "train"/, covers: 'tasks' }],
  ['missing required key in a list item', ok + 'tools:\n  - timeout_s: 3\n', { line: 6, column: 5, path: 'tools[0].ref', message: /missing the required key "ref"/ }],
  ['duplicate key', ok + 'seed: 1\nseed: 2\n', { line: 6, column: 1, path: 'seed', message: /appears twice/, covers: 'seed' }],
  ['tab indentation', ok + 'model:\n\tbackend: onnx\n', { line: 6, column: 1, path: 'model.backend', message: /tabs are not allowed/ }],
  ['empty file', '', { line: 1, column: 1, path: '(root)', message: /the config is empty/ }],
  ['only comments', '# a config\n\n# nothing yet\n', { line: 1, column: 1, path: '(root)', message: /the config is empty/ }],
  ['a list instead of a mapping', '- name: demo\n', { line: 1, column: 1, path: '(root)', message: /must be a mapping of sections .* not a list/ }],
  ['a scalar instead of a mapping', 'hello\n', { line: 1, column: 1, path: '(root)', message: /not a string/ }],
  ['below the minimum', ok + 'rollout:\n  group_size: -1\n', { line: 6, column: 15, path: 'rollout.group_size', message: /must be at least 1, got -1/, covers: '-1' }],
  ['pattern: name with a space', 'name: my demo\ntasks:\n  train:\n    path: x.jsonl\n', { line: 1, column: 7, path: 'name', message: /"my demo" does not have the expected form/ }],
  ['pattern: base_url without scheme', ok + 'model:\n  backend: openai\n  openai:\n    base_url: localhost:8000\n    model: m\n', { line: 8, column: 15, path: 'model.openai.base_url', message: /"localhost:8000"/ }],
  ['GRPO with a group of one', ok + 'rollout:\n  group_size: 1\n', { line: 6, column: 15, path: 'rollout.group_size', message: /group_size must be at least 2, got 1/ }],
  ['pass@k above the sample count', ok + 'eval:\n  samples: 2\n  k: [1, 4]\n', { line: 7, column: 10, path: 'eval.k[1]', message: /k = 4 is larger than eval.samples = 2/, covers: '4' }],
  ['duplicate list values', ok + 'eval:\n  k: [1, 1]\n', { line: 6, column: 6, path: 'eval.k', message: /items 1 and 0 are equal/ }],
  ['openai backend without its section', ok + 'model:\n  backend: openai\n', { line: 6, column: 12, path: 'model.backend', message: /needs a `model.openai` section/ }],
  ['offline_easy2hard without a feature key', ok.replace('tasks:\n', 'tasks:\n  selector:\n    type: offline_easy2hard\n'), { line: 4, column: 11, path: 'tasks.selector.type', message: /set `tasks.selector.feature_key`/ }],
];

describe('broken configs', () => {
  for (const [name, text, e] of cases) it(name, () => check(text, e));

  describe('files', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'agent-tune-broken-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const fileIssue = async (name: string, bytes: Uint8Array | string) => {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const { issues } = await diagnoseFile(file);
      assert.equal(issues.length, 1);
      return issues[0];
    };

    it('binary garbage', async () => {
      const bytes = new Uint8Array(4096);
      let x = 7;
      for (let i = 0; i < bytes.length; i++) bytes[i] = x = (x * 1103515245 + 12345) & 0xff;
      const i = await fileIssue('garbage.tune.yaml', bytes);
      assert.deepEqual([i.line, i.column, keyPathString(i.path)], [1, 1, '(root)']);
      assert.match(i.message, /binary file|not valid UTF-8/);
    });

    it('text that is not UTF-8', async () => {
      const i = await fileIssue('latin1.tune.yaml', Buffer.from('name: caf\xe9\n', 'latin1'));
      assert.deepEqual([i.line, i.column], [1, 1]);
      assert.match(i.message, /not valid UTF-8/);
    });

    it('a 10 MB file is refused without being parsed', async () => {
      const line = 'description: ' + 'x'.repeat(100) + '\n';
      const i = await fileIssue('huge.tune.yaml', line.repeat(Math.ceil((10 * 1024 * 1024) / line.length)));
      assert.deepEqual([i.line, i.column, keyPathString(i.path)], [1, 1, '(root)']);
      assert.match(i.message, /10\.0 MB; a config must be under 2 MB/);
    });

    it('a missing file', async () => {
      const { issues } = await diagnoseFile(join(dir, 'absent.tune.yaml'));
      assert.match(issues[0].message, /no such file/);
    });

    it('the CLI prints file:line:col  key.path  message and exits 2', () => {
      const file = join(dir, 'cli.tune.yaml');
      writeFileSync(file, ok + 'algorithm:\n  type: grop\nmodle: {}\n');
      const root = resolve(__dirname, '../../..');
      const r = spawnSync(process.execPath, ['-r', 'esbuild-register', '-e', "require('./trainer/src/cli').main(process.argv.slice(1)).then((c) => { process.exitCode = c; })", 'validate', file], {
        cwd: root,
        encoding: 'utf8',
      });
      assert.equal(r.status, 2, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], `${file}:6:9  algorithm.type  "grop" is not allowed (did you mean "grpo"?); use one of: grpo, rloo`);
      assert.match(lines[1], new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7:1  modle  unknown key "modle"`));
    });
  });
});

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../../../src/debug/report';
import { makeRun } from '../../fixtures/make-run';

describe('problem report', () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'report-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('holds the versions, the run\'s provenance and last events, and the newest DAP trace', async () => {
    const f = makeRun(join(tmp, 'runs'), { steps: 1 });
    f.writer.writeProvenance({ format: 1, created: 'c', trainer_version: '9.9.9', node: 'v20', platform: 'linux', config_sha256: 'abc123', git: null, files: {} });
    f.writer.close();
    const traces = join(tmp, 'traces');
    rmSync(traces, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(traces);
    writeFileSync(join(traces, 'old.log'), 'From client: old()\n');
    utimesSync(join(traces, 'old.log'), new Date(2000, 1, 1), new Date(2000, 1, 1));
    writeFileSync(join(traces, 'new.log'), 'From client: launch({"config":"x"})\nTo client: ```fenced```\n');
    const report = await buildReport({ versions: { 'Agent Tune': '0.1.0', platform: 'linux x64' }, runDir: f.dir, traceDir: traces });
    assert.match(report, /- Agent Tune: 0\.1\.0/);
    assert.match(report, /"config_sha256": "abc123"/);
    assert.match(report, /"type":"run_finished"/);
    assert.match(report, /From client: launch\(\{"config":"x"\}\)/);
    assert.doesNotMatch(report, /old\(\)/, 'only the newest trace');
    assert.match(report, /````\nFrom client: launch/, 'a fence longer than any backtick run inside');
  });

  it('says how to get a trace when there is none, and survives a run folder that is gone', async () => {
    const report = await buildReport({ versions: {}, runDir: join(tmp, 'gone'), traceDir: join(tmp, 'none') });
    assert.match(report, /add "trace": true to the launch configuration/);
    assert.match(report, /\(not readable: ENOENT/);
  });
});

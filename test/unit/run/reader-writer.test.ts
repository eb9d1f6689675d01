import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAll, readJsonl, tailJsonl, type JsonlRecord } from '../../../trainer/src/run/reader';
import { RunWriter } from '../../../trainer/src/run/writer';
import type { RunEvent } from '../../../trainer/src/run/events';

describe('run directory reader and writer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-tune-run-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a torn last line for the next read', async () => {
    const f = join(dir, 'a.jsonl');
    writeFileSync(f, '{"a":1}\n{"a":2}\n{"a":');
    const first = await readAll<{ a: number }>(f);
    assert.deepEqual(first.records.map((r) => r.value.a), [1, 2]);
    assert.equal(first.next, Buffer.byteLength('{"a":1}\n{"a":2}\n'));
    assert.deepEqual(first.problems, []);
    appendFileSync(f, '3}\n');
    const second = await readAll<{ a: number }>(f, first.next);
    assert.deepEqual(second.records.map((r) => r.value.a), [3]);
    assert.equal(second.next, readFileSync(f).length);
  });

  it('resumes from a byte offset, counting multi-byte characters in bytes', async () => {
    const f = join(dir, 'b.jsonl');
    const rows = ['{"s":"π ≈ 3.14"}', '{"s":"日本語"}', '{"s":"plain"}'];
    writeFileSync(f, rows.join('\n') + '\n');
    const all = await readAll<{ s: string }>(f);
    assert.equal(all.records.length, 3);
    const from = all.records[1].offset;
    assert.equal(from, Buffer.byteLength(rows[0] + '\n'));
    const rest = await readAll<{ s: string }>(f, from);
    assert.deepEqual(rest.records.map((r) => r.value.s), ['日本語', 'plain']);
    assert.equal(rest.records[0].end, all.records[1].end);
  });

  it('reports corrupt lines in the middle and keeps reading', async () => {
    const f = join(dir, 'c.jsonl');
    writeFileSync(f, '{"a":1}\nnot json\n\n{"a":2}\n');
    const r = await readAll<{ a: number }>(f);
    assert.deepEqual(r.records.map((x) => x.value.a), [1, 2]);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0].line, 2);
    assert.match(r.problems[0].message, /line 2 is not valid JSON/);
  });

  it('reads a line longer than the read chunk', async () => {
    const f = join(dir, 'd.jsonl');
    const long = 'x'.repeat(300_000);
    writeFileSync(f, `{"a":1}\n{"long":"${long}"}\n{"a":3}\n`);
    const r = await readAll<{ a?: number; long?: string }>(f);
    assert.equal(r.records.length, 3);
    assert.equal(r.records[1].value.long?.length, long.length);
  });

  it('reads a file of 100k lines in bounded memory', async function () {
    this.timeout(120_000);
    const f = join(dir, 'big.jsonl');
    const fd = openSync(f, 'w');
    const pad = 'y'.repeat(400);
    let chunk = '';
    for (let i = 0; i < 100_000; i++) {
      chunk += JSON.stringify({ i, pad }) + '\n';
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    closeSync(fd);
    // The reader runs in a process whose heap is capped at well under the file's ~42 MB (and its
    // ~84 MB as JS strings): holding the file or its lines would end that process, while garbage
    // that is merely not yet collected cannot fail the test.
    const script = `
      const { readJsonl } = require(${JSON.stringify(require.resolve('../../../trainer/src/run/reader'))});
      (async () => {
        let count = 0, sum = 0;
        for await (const batch of readJsonl(process.argv[1])) for (const r of batch) { sum += r.value.i; count++; }
        process.stdout.write(JSON.stringify({ count, sum }));
      })().catch((e) => { console.error(e); process.exit(2); });`;
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--max-old-space-size=24', '-r', 'esbuild-register', '-e', script, f], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(out.code, 0, `the reader failed under a 24 MB heap:\n${out.stderr.slice(-2000)}`);
    assert.deepEqual(JSON.parse(out.stdout), { count: 100_000, sum: (99_999 * 100_000) / 2 });
  });

  it('follows a file another process appends to, torn writes included', async function () {
    this.timeout(30_000);
    const f = join(dir, 'live.jsonl');
    writeFileSync(f, '');
    const seen: number[] = [];
    const done = new Promise<void>((resolve) => {
      const tail = tailJsonl<{ i: number }>(
        f,
        (batch: JsonlRecord<{ i: number }>[]) => {
          for (const r of batch) seen.push(r.value.i);
          if (seen.length >= 500) {
            tail.close();
            resolve();
          }
        },
        { pollMs: 20 },
      );
    });
    // The child writes each line in two pieces with a pause between, so reads see torn lines.
    const child = spawn(process.execPath, [
      '-e',
      `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(f)},'a');let i=0;
       (function next(){ if(i>=500){fs.closeSync(fd);return;} const line=JSON.stringify({i:i++,pad:'z'.repeat(50)})+'\\n';
         fs.writeSync(fd,line.slice(0,20)); setTimeout(()=>{fs.writeSync(fd,line.slice(20)); setImmediate(next);}, i%50===0?5:0); })();`,
    ]);
    const exited = new Promise((r) => child.on('exit', r));
    await done;
    await exited;
    assert.deepEqual(seen, Array.from({ length: 500 }, (_, i) => i));
  });

  it('notices a file renamed over the one it follows, even one of the same size and ending', async () => {
    const file = join(dir, 'swap.jsonl');
    const line = (i: number, v: string) => JSON.stringify({ i, v }) + '\n';
    const lines = (v: string) => [0, 1, 2, 3, 4, 5, 6, 7].map((i) => line(i, i < 2 ? v : 'same-tail-padding-padding-padding')).join('');
    writeFileSync(file, lines('a'));
    let rewound = 0;
    const tail = tailJsonl(file, () => undefined, { pollMs: 20, onRewind: () => rewound++ });
    await tail.idle();
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(rewound, 0);
    // Same size, same last 256 bytes, another inode: what `rejudge --write` does with a changed early line.
    writeFileSync(join(dir, 'swap.new'), lines('b'));
    renameSync(join(dir, 'swap.new'), file);
    for (const end = Date.now() + 5000; rewound === 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    tail.close();
    assert.equal(rewound, 1);
  });

  it('writes a run directory whose events are numbered and whose files rewind to a checkpoint', async () => {
    const w = RunWriter.create(dir, 'demo', new Date('2026-01-02T03:04:05Z'));
    assert.match(w.dir, /20260102-030405-demo$/);
    const again = RunWriter.create(dir, 'demo', new Date('2026-01-02T03:04:05Z'));
    assert.match(again.dir, /20260102-030405-demo-2$/);
    again.close();
    const seen: RunEvent[] = [];
    w.onEvent((e) => seen.push(e));
    w.emit({ type: 'run_started', format: 1, run_id: 'r', name: 'demo', mode: 'debug', config_file: 'x.tune.yaml', pid: process.pid });
    w.emit({ type: 'log', level: 'info', message: 'hello' });
    const mark = w.offsets();
    w.emit({ type: 'log', level: 'info', message: 'after checkpoint' });
    w.metric({ step: 1, kind: 'train', metrics: { reward_mean: 0.5 } });
    w.rewind(mark);
    w.emit({ type: 'run_finished', duration_ms: 1 });
    w.sync();
    w.close();
    const events = (await readAll<RunEvent>(join(w.dir, 'events.jsonl'))).records.map((r) => r.value);
    assert.deepEqual(events.map((e) => [e.seq, e.type]), [[0, 'run_started'], [1, 'log'], [2, 'run_finished']]);
    assert.equal(readFileSync(join(w.dir, 'metrics.jsonl'), 'utf8'), '');
    assert.equal(seen.length, 4);
    assert.ok(readdirSync(w.dir).includes('checkpoints'));
  });
});

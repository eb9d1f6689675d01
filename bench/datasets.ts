// `npm run bench:datasets [-- --mb 2048 --keep]`: a GSM8K-layout Parquet source of the given size
// (generated in the temporary folder, deleted afterwards), and the time and peak memory of:
// opening its first page in the task preview; loading a 1,000-task sample (`limit`); and the
// data checks of `agent-tune validate` over every row. The peer, measured in the same run, is a
// plain hyparquet read of the same columns, row group by row group, doing nothing with the
// rows: the ratio says what the checks cost over reading the file. Each measurement runs in a
// fresh process so its peak memory is its own; CPU time is given beside wall time because a
// shared machine stretches the wall clock.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkTasks } from '../trainer/src/tasks/check';
import { loadTasks } from '../trainer/src/tasks/load';
import { TaskPreview } from '../trainer/src/tasks/preview';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { mb: { type: 'string', default: '2048' }, keep: { type: 'boolean', default: false }, child: { type: 'string' } } });

const WORDS = 'apples baker bought cakes dozen each friends garden hours inches jars kilograms liters miles notebooks oranges pencils quarters rides shelves tickets umbrellas vans weeks yards zebras'.split(' ');

async function generate(file: string, mb: number): Promise<number> {
  const { ParquetWriter, fileWriter } = (await import('hyparquet-writer')) as unknown as {
    ParquetWriter: new (o: unknown) => { write(o: unknown): void; finish(): void };
    fileWriter: (f: string) => unknown;
  };
  const schema = [
    { name: 'root', num_children: 2 },
    { name: 'question', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'answer', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
  // Uncompressed: writing stays quick, and the reader decodes every byte of the size asked for.
  const writer = new ParquetWriter({ writer: fileWriter(file), schema, codec: 'UNCOMPRESSED', statistics: false });
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const sentence = (n: number) => Array.from({ length: n }, () => (rand() < 0.3 ? String(Math.floor(rand() * 100000)) : WORDS[Math.floor(rand() * WORDS.length)])).join(' ');
  const pool = Array.from({ length: 4096 }, () => [sentence(40), sentence(60)]);
  const batch = 50_000;
  let rows = 0;
  while (statSync(file).size < mb * 1024 * 1024) {
    const question: string[] = [];
    const answer: string[] = [];
    for (let i = 0; i < batch; i++) {
      const [q, a] = pool[Math.floor(rand() * pool.length)];
      question.push(`Problem ${rows + i}: ${q}?`);
      answer.push(`${a}\n#### ${rows + i}`);
    }
    writer.write({ columnData: [{ name: 'question', data: question }, { name: 'answer', data: answer }], rowGroupSize: batch });
    rows += batch;
  }
  writer.finish();
  return rows;
}

interface Result {
  seconds: number;
  cpuSeconds: number;
  peakMB: number;
  rows: number;
}

/** One measurement in this process; prints its figures as JSON. */
async function child(kind: string, file: string): Promise<void> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const out: Record<string, unknown> = {};
  const spec = { path: file, format: 'gsm8k' as const };
  if (kind === 'preview') {
    const p = await TaskPreview.open({ train: spec }, '/');
    const page = await p.page({ source: 0, start: 0, count: 200 });
    out.rows = page.rows.length;
    out.total = p.sources[0].total;
  } else if (kind === 'sample') {
    out.rows = (await loadTasks({ ...spec, limit: 1000 }, '/')).length;
  } else if (kind === 'validate') {
    const [c] = await checkTasks({ train: spec }, '/', { judge: { ref: 'builtin:gsm8k' } });
    out.rows = c.result?.records;
    out.findings = c.result?.findings.length;
  } else if (kind === 'read') {
    const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
    const buffer = await asyncBufferFromFile(file);
    const meta = await parquetMetadataAsync(buffer);
    let start = 0;
    let n = 0;
    for (const g of meta.row_groups) {
      const end = start + Number(g.num_rows);
      n += (await parquetReadObjects({ file: buffer, metadata: meta, columns: ['question', 'answer'], rowStart: start, rowEnd: end })).length;
      start = end;
    }
    out.rows = n;
  }
  out.seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  out.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  out.peakMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(out));
}

async function main(): Promise<void> {
  if (args.child) return child(args.child, positionals[0]);
  const dir = mkdtempSync(join(tmpdir(), 'agent-tune-bench-datasets-'));
  const file = join(dir, 'train-00000-of-00001.parquet');
  try {
    const g0 = performance.now();
    const rows = await generate(file, Number(args.mb));
    const size = statSync(file).size;
    console.log(`source: ${(size / 1048576).toFixed(0)} MB Parquet, ${rows.toLocaleString()} rows, written in ${((performance.now() - g0) / 1000).toFixed(0)} s`);
    const run = (kind: string) => JSON.parse(execFileSync(process.execPath, ['-r', 'esbuild-register', __filename, '--child', kind, file], { encoding: 'utf8', maxBuffer: 1 << 20 })) as Result;
    const results: Record<string, Result> = {};
    for (const kind of ['preview', 'sample', 'read', 'validate']) {
      results[kind] = run(kind);
      const r = results[kind];
      console.log(`${kind.padEnd(9)} ${r.seconds.toFixed(2).padStart(8)} s wall ${r.cpuSeconds.toFixed(2).padStart(8)} s CPU  ${r.peakMB.toFixed(0).padStart(6)} MB peak  ${r.rows.toLocaleString()} rows`);
    }
    console.log(`validate / plain read: ${(results.validate.cpuSeconds / results.read.cpuSeconds).toFixed(2)}x the CPU time, ${(results.validate.peakMB / results.read.peakMB).toFixed(2)}x the peak memory`);
    console.log(`validate throughput: ${(size / 1048576 / results.validate.cpuSeconds).toFixed(0)} MB per CPU second, ${Math.round(results.validate.rows / results.validate.cpuSeconds).toLocaleString()} rows per CPU second`);
  } finally {
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${file}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

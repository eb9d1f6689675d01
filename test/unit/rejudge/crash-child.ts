// Run by write.test.ts as its own process: re-judges the run in argv[2] with its judge and
// writes the result, killing itself with SIGKILL when the write reaches the argv[4]-th time
// (from 1) it enters stage argv[3]: a crash at that exact point.
import { rejudge } from '../../../trainer/src/commands/rejudge';
import { writeRejudged } from '../../../trainer/src/commands/rejudgeWrite';

const [dir, stage, nth] = process.argv.slice(2);
let seen = 0;
void (async () => {
  const r = await rejudge(dir);
  writeRejudged(dir, r.records, new Set(r.changes.map((c) => c.id)), { judge: r.judgeRef, changed: r.changes.length }, (s) => {
    if (s === stage && ++seen === Number(nth)) process.kill(process.pid, 'SIGKILL');
  });
  process.stdout.write('finished without crashing\n');
})();

// Run by fs-errors.test.ts in a namespace or as another user: makes a run folder under argv[2]
// and writes to it, printing the error message the trainer would show.
import { RunWriter } from '../../../trainer/src/run/writer';

try {
  const w = RunWriter.create(process.argv[2], 'x');
  w.emit({ type: 'custom', rollout_id: 'r', name: 'fill', data: 'x'.repeat(200_000) });
  console.log('ok');
} catch (e) {
  console.log((e as Error).message);
}

// The new texts of a re-judged run's files: rollouts.jsonl with the re-scored lines replaced
// (every other line kept byte for byte), and metrics.jsonl with the reward-dependent metrics of
// the touched training steps recomputed by the one metrics function (run/metrics.ts).
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FILES, type MetricsRow, type RolloutRecord } from '../run/events';
import { rolloutMetrics } from '../run/metrics';
import { writeRevision, type RevisedFile, type WriteStage } from '../run/revision';
import { metricInput } from '../rollout/summary';
import { successBySource } from '../train/mix';

/** Writes `records` (all of the run's rollouts, some re-scored) into the run; returns the revision name. */
export function writeRejudged(
  runDir: string,
  records: RolloutRecord[],
  changedIds: ReadonlySet<string>,
  info: { judge: string; ids?: string[]; changed: number },
  onStage?: (stage: WriteStage) => void,
): string {
  const byId = new Map(records.filter((r) => changedIds.has(r.id)).map((r) => [r.id, r]));
  const next: Partial<Record<RevisedFile, string>> = { [RUN_FILES.rollouts]: replaceLines(join(runDir, RUN_FILES.rollouts), (v: RolloutRecord) => byId.get(v.id)) };
  const steps = new Set([...byId.values()].filter((r) => r.phase === 'train').map((r) => r.step));
  const metricsFile = join(runDir, RUN_FILES.metrics);
  if (steps.size && existsSync(metricsFile)) {
    const train = (step: number) => records.filter((r) => r.phase === 'train' && r.step === step);
    next[RUN_FILES.metrics] = replaceLines(metricsFile, (row: MetricsRow) =>
      row.kind === 'train' && steps.has(row.step) ? { ...row, metrics: { ...row.metrics, ...stepRolloutMetrics(train(row.step)) } } : undefined,
    );
  }
  return writeRevision(runDir, next, info, onStage);
}

/** The metrics of a training step that depend on its rollouts' rewards and verdicts. */
export function stepRolloutMetrics(records: RolloutRecord[]): Record<string, number> {
  return { ...rolloutMetrics(records.map(metricInput)), ...successBySource(records) };
}

/** The file's text with each line for which `replace` returns a value written anew; other lines as they were. */
function replaceLines<T>(file: string, replace: (value: T) => unknown): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  return lines
    .map((line) => {
      if (!line.trim()) return line;
      let value: T;
      try {
        value = JSON.parse(line) as T;
      } catch {
        return line;
      }
      const v = value && typeof value === 'object' ? replace(value) : undefined;
      return v === undefined ? line : JSON.stringify(v);
    })
    .join('\n');
}

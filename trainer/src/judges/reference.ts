// Whether the configured judge can read a task's reference answer. The data checks (validate,
// the editor, the task preview) ask it of every reference; they sit below the judges, so the
// command or the editor that runs them hands this in.
import type { ReferenceCheck } from '../tasks/lint';
import { builtinChecker } from './registry';

/** The check for `judge` (`builtin:math` when unset); undefined for judges with no rule to ask. */
export function referenceCheck(judge?: { ref?: string; options?: Record<string, unknown> }): ReferenceCheck | undefined {
  const name = judge?.ref ?? 'builtin:math';
  if (!name.startsWith('builtin:')) return undefined;
  let check: ReturnType<typeof builtinChecker>;
  try {
    check = builtinChecker(name);
  } catch {
    return undefined;
  }
  const options = judge?.options ?? {};
  return {
    name,
    why(reference) {
      const v = check(reference, reference, options);
      if (v.correct) return null;
      return v.gold.extracted === null || v.method === 'no_reference' || v.method === 'no_answer' ? 'finds no answer in it' : `cannot compare it with itself (${v.method})`;
    },
  };
}

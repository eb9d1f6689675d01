// Quick fixes for a config: the "did you mean" of an unknown key or value, applied.
import { validateConfigText } from '../config/validate';

export interface QuickFix {
  title: string;
  /** Offsets [start, end) to replace with `newText`. */
  start: number;
  end: number;
  newText: string;
  /** The message of the problem it fixes. */
  message: string;
}

/** The fixes for problems that touch [start, end] (a cursor or a selection). */
export function quickFixes(text: string, file: string, start: number, end = start): QuickFix[] {
  return validateConfigText(text, file)
    .issues.filter((i) => i.fix !== undefined && i.start <= end && start <= i.end)
    .map((i) => ({ title: `Change to "${i.fix}"`, start: i.start, end: i.end, newText: i.fix!, message: i.message }));
}

// Text search inside transcripts, done on the host over rollouts.jsonl so the webview never
// holds transcripts. A raw-text test on each line (the query JSON-escaped, case folded)
// skips most lines unparsed; the survivors are parsed and matched on their text fields only.
import { readJsonl } from '../../trainer/src/run/reader';
import type { RolloutRecord } from '../../trainer/src/run/events';
import type { HostMessage } from './protocol';

export function transcriptMatches(r: RolloutRecord, needle: string): boolean {
  const has = (s: unknown) => typeof s === 'string' && s.toLowerCase().includes(needle);
  if (has(r.question) || has(r.reference) || has(r.final_answer)) return true;
  for (const m of r.messages ?? []) {
    if (has(m.content)) return true;
    for (const c of m.tool_calls ?? []) if (has(c.name) || has(JSON.stringify(c.arguments))) return true;
  }
  return has(r.judge?.error) || (r.judge?.details !== undefined && has(JSON.stringify(r.judge.details)));
}

/**
 * Calls `onIds` with batches of matching rollout ids; resolves when the file is scanned or
 * `cancelled()` turns true.
 */
export async function searchRollouts(file: string, query: string, onIds: (ids: string[]) => void, cancelled: () => boolean = () => false): Promise<void> {
  const needle = query.toLowerCase();
  if (!needle) return;
  const raw = JSON.stringify(needle).slice(1, -1);
  const it = readJsonl<RolloutRecord>(file, { chunkSize: 1 << 20, accept: (text) => text.toLowerCase().includes(raw) });
  for await (const batch of it) {
    if (cancelled()) return;
    const ids: string[] = [];
    for (const { value } of batch) if (value && typeof value.id === 'string' && transcriptMatches(value, needle)) ids.push(value.id);
    if (ids.length) onIds(ids);
  }
}

/** The webview's searches: each answers in batches, and a newer one cancels the one before. */
export class SearchRequests {
  private gen = 0;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly post: (m: HostMessage) => void,
  ) {}

  async run(query: string): Promise<void> {
    const gen = ++this.gen;
    const q = query.trim();
    if (!q) return void this.post({ type: 'search', query, ids: [], done: true });
    try {
      await searchRollouts(
        this.file,
        q,
        (ids) => this.post({ type: 'search', query, ids, done: false }),
        () => gen !== this.gen || this.closed,
      );
      if (gen === this.gen) this.post({ type: 'search', query, ids: [], done: true });
    } catch (e) {
      this.post({ type: 'search', query, ids: [], done: true, error: (e as Error).message });
    }
  }

  close(): void {
    this.closed = true;
    this.gen++;
  }
}

// What the Agent Lightning trainer reads back from the gateway, for the stand-in and the
// contract tests (microsoft/agent-lightning c632d8dd804103bd421c65208bc501952689039f):
// routes/events.py `format=triplet` trimming and prompt de-duplication, and the trajectory
// merge of verl/rollout_adapter.py, where a call joins the sequence only when its prompt
// starts with the previous call's prompt and response token for token.
import type { GatewayEvent } from '../../trainer/src/controller/schema';

interface Choice {
  token_ids?: number[];
  prompt_token_ids?: number[];
  logprobs?: { content?: { logprob: number }[] } | null;
}

/** routes/events.py _to_triplet_format, then _dedupe_model_requests_by_prompt_token_ids. */
export function triplets(events: GatewayEvent[]): GatewayEvent[] {
  const trimmed = events.map((e): GatewayEvent => {
    if (e.event_type === 'model_request') {
      const resp = e.data.response as { prompt_token_ids?: number[]; choices?: Choice[]; error?: unknown } | undefined;
      const c = resp?.choices?.[0];
      const lps = c?.logprobs?.content;
      const server = (e.data.server ?? {}) as { model?: string; version?: number };
      return {
        ...e,
        data: {
          prompt_token_ids: resp?.prompt_token_ids?.length ? resp.prompt_token_ids : (c?.prompt_token_ids ?? []),
          response_token_ids: c?.token_ids ?? [],
          response_log_probs: Array.isArray(lps) && lps.every((t) => Number.isFinite(t?.logprob)) ? lps.map((t) => t.logprob) : null,
          server: { model: server.model ?? null, version: server.version ?? null },
          ...('http_status' in e.data ? { http_status: e.data.http_status } : {}),
          ...('status' in e.data ? { status: e.data.status } : {}),
          ...(resp && 'error' in resp ? { error: resp.error } : {}),
        },
      };
    }
    if (e.event_type === 'reward') {
      return { ...e, data: { value: e.data.value, ...('source' in e.data ? { source: e.data.source } : {}), ...('reason' in e.data ? { reason: e.data.reason } : {}) } };
    }
    return e;
  });
  const last = new Map<string, number>();
  trimmed.forEach((e, i) => {
    if (e.event_type === 'model_request') last.set(JSON.stringify(e.data.prompt_token_ids ?? []), i);
  });
  const keep = new Set(last.values());
  return trimmed.filter((e, i) => e.event_type !== 'model_request' || keep.has(i));
}

/** The training rows verl/rollout_adapter.py builds at `trajectory` level: merged where the tokens continue. */
export function mergeRows(events: GatewayEvent[]): { prompt: number[]; response: number[]; mask: number[] }[] {
  const calls = events.filter((e) => e.event_type === 'model_request').map((e) => ({ prompt: e.data.prompt_token_ids as number[], response: e.data.response_token_ids as number[] }));
  const rows: { prompt: number[]; response: number[]; mask: number[] }[] = [];
  let cur: { prompt: number[]; response: number[]; mask: number[] } | undefined;
  let context: number[] = [];
  for (const c of calls) {
    if (cur && startsWith(c.prompt, context)) {
      const observation = c.prompt.slice(context.length);
      cur.response.push(...observation, ...c.response);
      cur.mask.push(...observation.map(() => 0), ...c.response.map(() => 1));
    } else {
      if (cur) rows.push(cur);
      cur = { prompt: [...c.prompt], response: [...c.response], mask: c.response.map(() => 1) };
    }
    context = [...c.prompt, ...c.response];
  }
  if (cur) rows.push(cur);
  return rows;
}

function startsWith(a: number[], prefix: number[]): boolean {
  if (prefix.length > a.length) return false;
  for (let i = 0; i < prefix.length; i++) if (a[i] !== prefix[i]) return false;
  return true;
}

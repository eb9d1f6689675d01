// The Agent Lightning gateway's wire shapes, as far as a controller and an agent use them.
// They follow agentlightning/schemas.py and agentlightning/server/routes/*.py of
// microsoft/agent-lightning at the commit below (tag v1.0.0 and later); the test stand-in
// (test/support/gateway.ts) serves the same shapes.

export const AGENT_LIGHTNING = {
  version: 'v1.0.0',
  commit: 'c632d8dd804103bd421c65208bc501952689039f',
} as const;

/** schemas.py RolloutState; terminal states are final. */
export type RolloutState = 'queuing' | 'running' | 'succeeded' | 'failed';

/** schemas.py VALID_TRANSITIONS, which the store enforces (409 otherwise). */
export const VALID_TRANSITIONS: Record<RolloutState, readonly RolloutState[]> = {
  queuing: ['running', 'failed'],
  running: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
};

/** schemas.py DEFAULT_ATTEMPT_ID: events are read for `last_attempt_id`, or this. */
export const DEFAULT_ATTEMPT_ID = '0';

/** schemas.py RolloutLifecycleStatus. */
export interface RolloutStatus {
  state: RolloutState;
  k8s_job_name?: string | null;
  last_attempt_id?: string | null;
  error_message?: string | null;
  version: number;
  created_at: number;
  updated_at: number;
}

/** schemas.py RolloutConfig (the runner sections are opaque here). */
export interface RolloutConfig {
  timeout_seconds: number;
  local?: { agent_class?: string | null; env_map?: Record<string, string> } | null;
  k8s?: { job_template?: string | null } | null;
}

/** schemas.py Rollout. */
export interface Rollout {
  rollout_id: string;
  input: unknown;
  is_train: boolean;
  config: RolloutConfig;
  metadata: Record<string, unknown>;
  status: RolloutStatus;
}

/** schemas.py RolloutCreate. */
export interface RolloutCreate {
  input: unknown;
  is_train?: boolean;
  config?: Partial<RolloutConfig> | null;
  metadata?: Record<string, unknown> | null;
  rollout_id?: string | null;
}

/** schemas.py RolloutStatusPatch (extra keys forbidden). */
export interface RolloutStatusPatch {
  state?: RolloutState;
  k8s_job_name?: string;
  last_attempt_id?: string;
  error_message?: string;
}

/** schemas.py Event: position in the list is its identity. */
export interface GatewayEvent {
  event_type: string;
  rollout_id: string;
  attempt_id: string;
  timestamp: number;
  data: Record<string, unknown>;
}

/** schemas.py RewardData. */
export interface RewardData {
  value: number;
  message?: string | null;
  source?: string | null;
  reason?: string | null;
}

/** schemas.py ModelRequestData, with the `server` block proxy.py adds. */
export interface ModelRequestData {
  model: string;
  model_version?: number | null;
  request: Record<string, unknown>;
  response: Record<string, unknown>;
  server?: { model: string; endpoint: string; version: number };
  latency_ms?: number | null;
  http_status?: number | null;
  status: 'ok' | 'error';
  retry_count: number;
  usage?: Record<string, unknown> | null;
  finish_reason?: string | null;
}

/** schemas.py Model: one registered inference endpoint. */
export interface ModelEndpoint {
  model: string;
  endpoint: string;
  version: number;
}

/** routes/proxy.py PauseStateResponse. */
export interface PauseState {
  paused: boolean;
  retry_after_seconds: number;
  reason: string | null;
  inflight: number;
}

/** The agent-facing URLs of one attempt, as the pinned reconcilers build them. */
export function agentUrls(base: string, rolloutId: string, attemptId: string, isTrain: boolean): { openai: string; events: string } {
  const root = base.replace(/\/+$/, '');
  const rid = encodeURIComponent(rolloutId);
  const aid = encodeURIComponent(attemptId);
  return {
    openai: `${root}/proxy/rollout/${rid}/attempt/${aid}/mode/${isTrain ? 'train' : 'val'}/openai/v1`,
    events: `${root}/api/rollouts/${rid}/attempt/${aid}/events`,
  };
}

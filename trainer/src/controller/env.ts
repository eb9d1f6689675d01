// The runtime a controller or agent shares among its rollouts: the config's tools, workflow
// and judge, loaded once. There is no model of our own: each rollout brings its backend,
// pointed at its proxy URL.
import type { LoadedConfig } from '../config/load';
import { createEnv, type RolloutEnv, type RolloutHooks } from '../rollout/env';
import type { ChatBackend } from '../model/types';
import type { RunWriter } from '../run/writer';

/** Stands where the shared backend would be; rollouts replace it with their proxy backend. */
const noModel: ChatBackend = {
  name: 'gateway',
  chat: () => Promise.reject(new Error('a gateway rollout has no model until it is given its proxy URL')),
  close: () => Promise.resolve(),
};

/** `hooks` are the debugger's, under `--debug-bridge`. */
export function gatewayEnv(loaded: LoadedConfig, writer: RunWriter, timeouts = true, hooks?: RolloutHooks): Promise<RolloutEnv> {
  return createEnv(loaded, { writer, timeouts, backend: noModel, ...(hooks ? { hooks } : {}) });
}

/** The key from the variable `keyEnv` names; it goes into request headers and nowhere else. */
export function readKey(keyEnv: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyEnv)) throw new Error(`--key-env: expected the name of an environment variable, got ${JSON.stringify(keyEnv)}`);
  const key = env[keyEnv];
  return key ? key.trim() : undefined;
}

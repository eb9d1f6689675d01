// Chooses the chat backend a config asks for.
import type { TuneConfig } from '../config/types';
import { OnnxChatBackend } from '../model/backend';
import { OpenAIChatBackend } from '../model/openai';
import type { ChatBackend } from '../model/types';

export async function createBackend(config: TuneConfig, dir: string): Promise<ChatBackend> {
  if (config.model.backend === 'openai') {
    if (!config.model.openai) throw new Error('model.openai: the `openai` backend needs model.openai with base_url and model');
    return OpenAIChatBackend.fromConfig(config.model.openai);
  }
  return openLocal(config, dir);
}

/** The local ONNX backend; training needs its engine for the adapter hook and forward passes. */
export function openLocal(config: TuneConfig, dir: string): Promise<OnnxChatBackend> {
  if (config.model.backend === 'openai') {
    return Promise.reject(new Error('model.backend: training needs the local `onnx` backend (token ids, hidden states, the adapter); the `openai` backend serves rollouts: `agent-tune debug` and `agent-tune eval`'));
  }
  return OnnxChatBackend.open(config.model.path, {
    cwd: dir,
    ...(config.model.threads ? { threads: config.model.threads } : {}),
    ...(config.model.lanes ? { lanes: config.model.lanes } : {}),
    maxBatch: Math.max(1, config.rollout.parallel),
    kvCacheBytes: config.model.kv_cache_mb * 2 ** 20,
  });
}

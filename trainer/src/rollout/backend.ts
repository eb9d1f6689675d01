// Chooses the chat backend a config asks for.
import { resolveConfigPath } from '../config/load';
import type { TuneConfig } from '../config/types';
import type { ChatBackend } from '../model/types';

export async function createBackend(config: TuneConfig, dir: string): Promise<ChatBackend> {
  if (config.model.backend === 'openai') {
    throw new Error('model.backend: the `openai` backend is not available in this build yet; use `onnx`');
  }
  const { OnnxChatBackend } = await import('../model/backend');
  return OnnxChatBackend.load(resolveConfigPath(dir, config.model.path), { threads: config.model.threads });
}

// Checks that a model folder holds what the ONNX runtime loads: Hugging Face layout with
// the config, the tokenizer, a chat template and the ONNX graph.
import { join } from 'node:path';
import type { LanguageHost } from './host';

export const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'] as const;

export interface ModelProblem {
  message: string;
  severity: 'error' | 'warning';
}

const MAX_JSON_BYTES = 8 * 1024 * 1024;

export async function checkModelDir(host: LanguageHost, dir: string, shown: string): Promise<ModelProblem[]> {
  const info = await host.stat(dir);
  if (!info) return [{ severity: 'error', message: `cannot find the model folder ${shown}: nothing at ${dir}` }];
  if (info.kind !== 'dir') return [{ severity: 'error', message: `${shown} is a file; the model path names a folder in Hugging Face layout (${MODEL_FILES.join(', ')})` }];
  const stats = await Promise.all(MODEL_FILES.map((f) => host.stat(join(dir, f))));
  const missing = MODEL_FILES.filter((_, i) => stats[i]?.kind !== 'file');
  const out: ModelProblem[] = [];
  if (missing.length) {
    out.push({ severity: 'error', message: `the model folder ${shown} lacks ${missing.join(', ')}; the ONNX runtime needs ${MODEL_FILES.join(', ')}` });
  }
  const config = await readJson(host, join(dir, 'config.json'), stats[0]?.size);
  if (config.error) out.push({ severity: 'error', message: `config.json in ${shown} is not valid JSON: ${config.error}` });
  const tok = await readJson(host, join(dir, 'tokenizer_config.json'), stats[2]?.size);
  if (tok.error) out.push({ severity: 'error', message: `tokenizer_config.json in ${shown} is not valid JSON: ${tok.error}` });
  else if (tok.value && !(tok.value as { chat_template?: unknown }).chat_template) {
    const jinja = await host.stat(join(dir, 'chat_template.jinja'));
    if (!jinja) out.push({ severity: 'warning', message: `the model in ${shown} has no chat template (tokenizer_config.json has no chat_template and there is no chat_template.jinja); agent turns cannot be formatted` });
  }
  return out;
}

async function readJson(host: LanguageHost, file: string, size: number | undefined): Promise<{ value?: unknown; error?: string }> {
  if (size === undefined || size > MAX_JSON_BYTES) return {};
  try {
    return { value: JSON.parse(await host.readText(file)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

// The LoRA head lives with the model (model/lora.ts); training imports it from here too.
export { LoraHead } from '../model/lora';

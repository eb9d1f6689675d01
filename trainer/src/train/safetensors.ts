// Safetensors I/O lives with the model (model/safetensors.ts); checkpoints use it from here too.
export * from '../model/safetensors';

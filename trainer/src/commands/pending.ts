// Commands whose engines are still being built: their interface is fixed here so that
// scripts and the editor can rely on it, and running one says plainly that it is missing.
import type { Command } from 'commander';

function unavailable(name: string): never {
  throw new Error(`\`${name}\` is not available in this build of agent-tune yet`);
}

export function registerPending(program: Command): void {
  program
    .command('serve')
    .description('serve a local model at an OpenAI-compatible /v1/chat/completions')
    .argument('<model>', 'a model folder or builtin:tiny-math')
    .option('--adapter <checkpoint>', 'a LoRA-head checkpoint to apply')
    .option('--port <n>', 'port on 127.0.0.1', Number, 8000)
    .action(() => unavailable('serve'));
}

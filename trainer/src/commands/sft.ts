// `agent-tune sft CONFIG --data FILE`: supervised fine-tuning of the LoRA head on chat
// transcripts (cross-entropy on assistant tokens only), with the machinery of the RL update.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Output } from './output';
import { loadConfig } from '../config/load';
import type { OnnxChatBackend } from '../model/backend';
import type { ToolSchema } from '../model/types';
import { openLocal } from '../rollout/backend';
import type { Message } from '../run/events';
import { startRun } from '../rollout/start';
import { Adam } from '../train/adam';
import { saveCheckpoint } from '../train/checkpoint';
import { LoraHead } from '../train/lora';
import { policyUpdate, type TurnSample } from '../train/update';
import { parsePositive } from './debug';
import { runGuarded } from '../run/guard';
import { EXIT } from './output';

export function registerSft(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('sft')
    .description('supervised fine-tuning of the LoRA head on chat transcripts')
    .argument('<config>', 'a *.tune.yaml file (model, algorithm.lr/lora/minibatch, train.output_dir)')
    .requiredOption('--data <file>', 'JSONL, one conversation a line: {"messages": [...], "tools"?: [...]}')
    .option('--epochs <n>', 'passes over the data', (v) => parsePositive(v, '--epochs'), 1)
    .action(async (file: string, opts: { data: string; epochs: number }) => {
      const o = out();
      const loaded = loadConfig(file);
      const { config } = loaded;
      const conversations = readConversations(opts.data);
      const backend = await openLocal(config, loaded.dir);
      try {
        const samples = conversations.flatMap((c, i) => assistantTurns(backend, c.messages, c.tools, i));
        if (samples.length === 0) throw new Error(`${opts.data}: no assistant messages to train on`);
        const { vocab, hiddenSize } = backend.engine.layout;
        const lora = new LoraHead(hiddenSize, vocab, config.algorithm.lora.rank, config.algorithm.lora.alpha, config.seed);
        const adam = new Adam([lora.A, lora.B], config.algorithm.lr);
        const writer = startRun(loaded, 'train');
        o.info(`run directory: ${writer.dir}`);
        const bar = o.progress(opts.epochs, 'epochs');
        await runGuarded(writer, async () => {
          for (let epoch = 1; epoch <= opts.epochs; epoch++) {
            const stats = await policyUpdate(backend.engine, lora, adam, samples, {
              mode: 'sft',
              temperature: 1,
              clip: config.algorithm.clip,
              klCoef: 0,
              entropyCoef: 0,
              epochs: 1,
              minibatch: config.algorithm.minibatch,
              maxGradNorm: config.algorithm.max_grad_norm,
              seed: config.seed,
              step: epoch,
            });
            const metrics = { loss: stats.loss, grad_norm: stats.grad_norm, trained_tokens: stats.tokens, update_tokens_per_s: stats.update_tokens_per_s };
            writer.metric({ step: epoch, kind: 'train', metrics });
            bar.update(epoch, { loss: stats.loss });
          }
          bar.done();
          writer.emit({ type: 'checkpoint_saved', step: opts.epochs, path: `checkpoints/step-${String(opts.epochs).padStart(6, '0')}` });
          writer.sync();
          saveCheckpoint(writer.dir, lora, adam, {
            format: 1,
            step: opts.epochs,
            seed: config.seed,
            config_sha256: '',
            model: { path: config.model.path, vocab, hidden: hiddenSize },
            lora: { rank: lora.rank, alpha: lora.alpha },
            adam_step: adam.state.step,
            selector: { type: 'none', cursor: 0 },
            offsets: writer.offsets(),
            rng: { seed: config.seed, step: opts.epochs },
          });
        });
        o.result({ run_dir: writer.dir, conversations: conversations.length, turns: samples.length }, () => `trained on ${samples.length} assistant turns of ${conversations.length} conversations; run directory: ${writer.dir}`);
      } finally {
        await backend.close();
      }
      setExit(EXIT.ok);
    });
}

function readConversations(file: string): { messages: Message[]; tools?: ToolSchema[] }[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: { messages: Message[]; tools?: ToolSchema[] }[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row: { messages?: unknown; tools?: unknown };
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(row.messages) || row.messages.some((m) => !m || typeof m.role !== 'string' || typeof m.content !== 'string')) {
      throw new Error(`${file}:${i + 1}: "messages" must be a list of {role, content}`);
    }
    out.push({ messages: row.messages as Message[], ...(Array.isArray(row.tools) ? { tools: row.tools as ToolSchema[] } : {}) });
  });
  return out;
}

/** Each assistant message as a target, with everything before it as the prompt. */
function assistantTurns(backend: OnnxChatBackend, messages: Message[], tools: ToolSchema[] | undefined, rollout: number): TurnSample[] {
  const out: TurnSample[] = [];
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    const prompt = backend.template.render(messages.slice(0, i), { tools, addGenerationPrompt: true });
    const full = backend.template.render(messages.slice(0, i + 1), { tools, addGenerationPrompt: false });
    if (!full.startsWith(prompt)) throw new Error(`conversation ${rollout + 1}: the chat template does not render message ${i + 1} as a continuation of its prompt`);
    // The target ends at the end-of-turn token; what the template adds after it is not trained on.
    const end = backend.tokenizer.tokenId('<|im_end|>');
    const promptIds = backend.tokenizer.encode(prompt);
    let tokenIds = backend.tokenizer.encode(full.slice(prompt.length));
    const cut = end === undefined ? -1 : tokenIds.indexOf(end);
    if (cut >= 0) tokenIds = tokenIds.slice(0, cut + 1);
    if (tokenIds.length) out.push({ rollout, promptIds, tokenIds, advantage: 1 });
  });
  return out;
}

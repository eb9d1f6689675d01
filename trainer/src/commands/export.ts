// `agent-tune export CKPT --merged OUT`
import type { Command } from 'commander';
import type { Output } from './output';
import { mergeAdapter } from '../train/merge';
import { EXIT } from './output';

export function registerExport(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('export')
    .description("write a model folder with a checkpoint's adapter merged into the LM head")
    .argument('<checkpoint>', 'a checkpoint folder (checkpoints/step-NNNNNN of a run)')
    .requiredOption('--merged <out>', 'output model folder (new or empty)')
    .option('--model <ref>', 'the base model; the checkpoint names it when left out')
    .action((checkpoint: string, opts: { merged: string; model?: string }) => {
      const o = out();
      const r = mergeAdapter(checkpoint, opts.merged, opts.model);
      o.result({ out: r.outDir, hidden: r.hidden, vocab: r.vocab, rank: r.rank }, () => `wrote ${r.outDir}: LM head [${r.vocab} × ${r.hidden}] with a rank-${r.rank} adapter merged`);
      setExit(EXIT.ok);
    });
}

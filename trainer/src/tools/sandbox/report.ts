// The sandbox as the run's records and `agent-tune sandbox` describe it. The editor's status
// bar reads the same report from the CLI, so the probe exists once.
import type { SandboxRecord } from '../../run/events';
import { chooseSandbox, describeSandbox, detectSandbox, enableHints, refusal } from './probe';
import { STRONG_TIERS, TIER_BLOCKS, type Sandbox, type SandboxEnv, type SandboxMode } from './tiers';

/** What a run records of the sandbox it got. */
export function sandboxRecord(s: Sandbox, mode: SandboxMode): SandboxRecord {
  const record: SandboxRecord = { tier: s.tier, mode, blocks: TIER_BLOCKS[s.tier] };
  if (s.landlockAbi) record.landlock_abi = s.landlockAbi;
  if (Object.keys(s.refused).length) record.refused = s.refused as Record<string, string>;
  return record;
}

export interface SandboxReport extends SandboxRecord {
  platform: string;
  /** The tier keeps code from the network, other processes and the user's files. */
  strong: boolean;
  /** The setting runs code under this tier; false when `strict` refuses it. */
  accepted: boolean;
  /** What a strong tier blocks that this one leaves open. */
  open: string[];
  /** The strongest tier this machine has (under `off`, what `strict` or `best` would get). */
  available: string;
  /** What would give this machine a strong tier; empty when it has one. */
  enable: string[];
  /** The line the CLI prints at the start of a run. */
  line: string;
  /** Why `strict` refuses, when it does. */
  refusal?: string;
}

/** The sandbox `builtin:python` gets here under `mode`, with what it blocks and what would make it stronger. */
export function sandboxReport(mode: SandboxMode, python = 'python3', env: SandboxEnv = {}): SandboxReport {
  const best = detectSandbox(python, env);
  const s = mode === 'off' ? chooseSandbox('off', python, env) : best;
  const strong = STRONG_TIERS.includes(s.tier);
  const accepted = mode !== 'strict' || strong;
  const all = TIER_BLOCKS[STRONG_TIERS[0]];
  return {
    ...sandboxRecord(s, mode),
    refused: best.refused as Record<string, string>,
    platform: process.platform,
    strong,
    accepted,
    open: all.filter((b) => !TIER_BLOCKS[s.tier].includes(b)),
    available: best.tier,
    enable: STRONG_TIERS.includes(best.tier) ? [] : enableHints(),
    line: accepted ? describeSandbox(s) : `python sandbox: REFUSED: strict needs a strong tier and the best here is ${s.tier}`,
    ...(!accepted && { refusal: refusal(s) }),
  };
}

// `agent-tune agent CONFIG`: one rollout, the way agl-controller's local and Kubernetes
// runners start an agent. The runner injects AGL_OPENAI_BASE_URL (the rollout's proxy),
// AGL_EVENT_URL and AGL_KEY; the rollout's input comes as JSON in AGL_INPUT (or --input).
// The reward is posted to the event URL; the exit status tells the runner how it went.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Output } from './output';
import { loadConfig } from '../config/load';
import { gatewayEnv, readKey } from '../controller/env';
import { GatewayClient } from '../controller/gateway';
import { EventRouter, runGatewayRollout } from '../controller/rollout';
import { startRun } from '../rollout/start';
import { EXIT } from './output';

interface Flags {
  input?: string;
  inputEnv: string;
  keyEnv: string;
  timeout: number;
  outputDir?: string;
}

export interface AgentTarget {
  gateway: string;
  rolloutId: string;
  attemptId: string;
  isTrain: boolean;
}

const PROXY = /^(https?:\/\/.+?)\/proxy\/rollout\/([^/]+)\/attempt\/([^/]+)\/mode\/(train|val)\/openai\/v1\/?$/;

/** The gateway, rollout, attempt and mode an AGL_OPENAI_BASE_URL names. */
export function parseProxyUrl(url: string): AgentTarget {
  const m = PROXY.exec(url);
  if (!m) throw new Error(`AGL_OPENAI_BASE_URL: expected <gateway>/proxy/rollout/<id>/attempt/<id>/mode/<train|val>/openai/v1, got ${JSON.stringify(url)}`);
  return { gateway: m[1], rolloutId: decodeURIComponent(m[2]), attemptId: decodeURIComponent(m[3]), isTrain: m[4] === 'train' };
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; agl-controller's runners set it for each rollout (see docs/scale-out.md)`);
  return v;
}

export function registerAgent(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('agent')
    .description('run one Agent Lightning rollout (as agl-controller\'s local and Kubernetes runners start agents) and post its reward')
    .argument('<config>', 'a *.tune.yaml file')
    .option('--input <json>', 'the rollout input, as JSON (default: the variable --input-env names)')
    .option('--input-env <name>', 'environment variable holding the rollout input as JSON', 'AGL_INPUT')
    .option('--key-env <name>', 'environment variable holding the gateway key', 'AGL_KEY')
    .option('--timeout <seconds>', 'limit of the whole rollout', (v) => Number(v), 3600)
    .option('--output-dir <dir>', 'keep a run directory here (default: none is kept)')
    .addHelpText('after', '\nEnvironment: AGL_OPENAI_BASE_URL (the rollout\'s proxy URL), AGL_EVENT_URL (where events go), AGL_KEY (the gateway key), AGL_INPUT (the input).\nExit status: 0 when the rollout succeeded, 1 when it failed (the reward is posted either way), 2 for a bad config, input or environment.')
    .action(async (file: string, flags: Flags) => {
      const o = out();
      let target: AgentTarget;
      let eventUrl: string;
      let input: unknown;
      try {
        target = parseProxyUrl(required('AGL_OPENAI_BASE_URL'));
        eventUrl = required('AGL_EVENT_URL');
        const text = flags.input ?? required(flags.inputEnv);
        try {
          input = JSON.parse(text);
        } catch (e) {
          throw new Error(`${flags.input !== undefined ? '--input' : flags.inputEnv}: not JSON (${(e as Error).message})`);
        }
        if (!Number.isFinite(flags.timeout) || flags.timeout <= 0) throw new Error(`--timeout must be a positive number of seconds`);
      } catch (e) {
        o.error((e as Error).message);
        setExit(EXIT.invalid);
        return;
      }
      const key = readKey(flags.keyEnv);
      const loaded = loadConfig(file);
      const scratch = flags.outputDir ? undefined : mkdtempSync(join(tmpdir(), 'agent-tune-agent-'));
      const writer = startRun(loaded, 'train', flags.outputDir ?? scratch);
      const gateway = new GatewayClient({ url: target.gateway, ...(key ? { key } : {}), log: (m) => o.info(m) });
      try {
        const env = await gatewayEnv(loaded, writer);
        try {
          const outcome = await runGatewayRollout(
            { env, gateway, router: new EventRouter(writer), ...(key ? { key } : {}), keyEnv: flags.keyEnv, log: (m) => o.info(m) },
            {
              rolloutId: target.rolloutId,
              attemptId: target.attemptId,
              input,
              isTrain: target.isTrain,
              openaiUrl: process.env.AGL_OPENAI_BASE_URL!,
              events: { url: eventUrl, rolloutId: target.rolloutId },
              timeoutS: flags.timeout,
              step: 0,
            },
          );
          if (outcome.record) writer.rollout(outcome.record);
          writer.emit({ type: 'run_finished', duration_ms: outcome.record?.timings.duration_ms ?? 0 });
          const r = outcome.record;
          o.result(
            { rollout_id: target.rolloutId, state: outcome.state, reward: r?.reward ?? null, success: r?.success ?? null, reward_posted: outcome.rewardPosted, ...(outcome.error ? { error: outcome.error } : {}), ...(flags.outputDir ? { run_dir: writer.dir } : {}) },
            () => `rollout ${target.rolloutId}: ${outcome.state}${r ? `, reward ${r.reward}` : ''}${outcome.error ? ` (${outcome.error})` : ''}`,
          );
          setExit(outcome.state === 'succeeded' ? EXIT.ok : outcome.error && !r ? EXIT.invalid : EXIT.failed);
        } finally {
          await env.close();
        }
      } finally {
        writer.sync();
        writer.close();
        if (scratch) rmSync(scratch, { recursive: true, force: true });
      }
    });
}

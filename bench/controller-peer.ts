// The other side of bench/controller.ts, in its own process so the controller's memory and
// CPU are measured alone: the gateway stand-in, and for the memory run a model that holds
// every request until `--hold` of them wait (or a second passes with no new one), then
// answers them all. Prints {"gateway": URL, "model": URL} and runs until stdin closes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { StandInGateway } from '../test/support/gateway';

const { values: args } = parseArgs({ options: { key: { type: 'string', default: '' }, model: { type: 'string', default: 'bench' }, hold: { type: 'string', default: '0' } } });

async function heldModel(hold: number): Promise<string> {
  let waiting: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  const release = () => {
    const now = waiting;
    waiting = [];
    for (const answer of now) answer();
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      waiting.push(() => {
        const body = JSON.stringify({
          id: 'chatcmpl-held', object: 'chat.completion', created: 0, model: args.model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'The answer is 42.' }, logprobs: { content: [{ token: 'The', logprob: -0.1, bytes: null, top_logprobs: [] }] }, finish_reason: 'stop', token_ids: [1, 2, 3, 4, 5] }],
          prompt_token_ids: Array.from({ length: 120 }, (_, i) => i),
          usage: { prompt_tokens: 120, completion_tokens: 5, total_tokens: 125 },
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      });
      clearTimeout(timer);
      if (waiting.length >= hold) release();
      else timer = setTimeout(release, 1000);
    });
  });
  server.maxConnections = 100_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

async function main(): Promise<void> {
  const gw = new StandInGateway({ key: args.key, modelName: args.model, trainTemperature: 1 });
  const gateway = await gw.start();
  const hold = Number(args.hold);
  const model = hold > 0 ? await heldModel(hold) : null;
  process.stdout.write(JSON.stringify({ gateway, model }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

void main();

// Standalone debug adapter: `node dist/debugAdapter.js` speaks DAP on stdin/stdout. The
// extension runs the same session in-process unless `agentTune.debug.separateProcess` is set.
import { AgentTuneSession } from './session';

const session = new AgentTuneSession();
// Whatever ends the adapter ends the trainer it started.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => session.shutdown());
process.stdin.once('end', () => session.shutdown());
session.start(process.stdin, process.stdout);

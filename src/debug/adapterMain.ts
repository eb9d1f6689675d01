// Standalone debug adapter: `node dist/debugAdapter.js` speaks DAP on stdin/stdout.
import { DebugSession } from '@vscode/debugadapter';
import { AgentTuneSession } from './session';

DebugSession.run(AgentTuneSession);

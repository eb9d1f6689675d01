// The agent-tune adapter's custom DAP events and requests, and its options.
/** Custom DAP events and requests shared with the extension. */
export const ATTACH_NODE_EVENT = 'agentTune.attachNode';
export const NODE_ATTACHED_REQUEST = 'agentTune.nodeAttached';
export { RUN_EVENT, OPEN_RUN_EVENT } from '../../trainer/src/run/constants';
export const OPEN_RUN_REQUEST = 'agentTune.openRunViewer';
export const USER_ERRORS_FILTER = 'userErrors';

export interface AttachNodeBody {
  port: number;
  name: string;
  cwd: string;
}

export interface SessionOptions {
  /** trainer/bin/agent-tune.js; found beside the bundle by default. */
  trainerCli?: string;
  /** How long to wait for the client to attach the Node debugger. */
  attachTimeoutMs?: number;
}

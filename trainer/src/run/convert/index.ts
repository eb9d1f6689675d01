// Importers from other trainers' dumps into our run format (see docs/import-formats.md).
export { detectFormat, type Detected, type SourceKind } from './detect';
export { importRun, IMPORT_MARKER, type ImportResult } from './import';
export { convertVerlRows, isVerlRow, type VerlRow } from './verl';
export { convertAgentJet, isAgentJetTrajectory, flattenTimeline, type AgentJetTrajectory } from './agentjet';
export { splitChatText, splitResponse, fromChatMessage } from './chat';

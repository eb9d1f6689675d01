// The config language service: pure functions over config text and an injected file-system
// host. No `vscode` here; the editor's providers in src/config/ are thin adapters.
export { diagnose, diagnoseFile, type Diagnosis, type DiagnoseOptions } from './diagnostics';
export { hover, describe, type HoverResult } from './hover';
export { complete, type CompletionItem, type CompleteOptions } from './completion';
export { definition, type DefinitionTarget, type Position } from './definition';
export { codeLenses, lastRun, type ConfigLens } from './lenses';
export { nodeHost, type LanguageHost, type FileInfo, type DirEntry } from './host';
export { listExports, CODE_EXTENSIONS, type ModuleExport } from './exports';
export { LineIndex } from './cursor';

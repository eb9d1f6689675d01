// Everything wrong with a config: the schema's findings (validateConfigText) plus the checks
// that need the file system: referenced modules and their exports, task files, the model
// folder, built-in names. The CLI's `validate` and the editor both call `diagnose`, so
// they report the same problems with the same words.
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, type Document, type Node } from 'yaml';
import { BUILTIN_PREFIX } from '../config/builtins';
import { keyPathString, MAX_CONFIG_BYTES, validateConfigBytes, validateConfigText, type ConfigIssue, type KeyPath, type Severity, type ValidationResult } from '../config/validate';
import { nodeAt } from '../config/yaml-nodes';
import { checkBuiltin, checkCodeRef, type RefProblem } from './codeRefs';
import type { TasksShape } from '../tasks/check';
import type { Finding } from '../tasks/lint';
import { checkTaskData, type DataCheckOptions } from './datasets';
import { nodeHost, type LanguageHost } from './host';
import { checkModelDir, MODEL_FILES } from './modelDir';

export interface DiagnoseOptions {
  /** Absolute path of the config: relative paths in it resolve against its folder. */
  file: string;
  /** How issues name the file (the CLI prints the path the user typed). */
  display?: string;
  host?: LanguageHost;
  /** The data checks' wait and time budget; unlimited when unset (the editor sets both). */
  data?: DataCheckOptions;
}

export interface Diagnosis {
  issues: ConfigIssue[];
  /** Files and folders the checks read: re-check when one of them changes. */
  dependencies: string[];
  validation: ValidationResult;
  /** Set while the data checks run on in the background: diagnose again when it resolves. */
  pending?: Promise<void>;
  /** The issues that are findings in the task data, with the finding (the CLI prints those by data file). */
  dataFindings?: { issue: ConfigIssue; finding: Finding }[];
}

export async function diagnose(text: string, opts: DiagnoseOptions): Promise<Diagnosis> {
  const validation = validateConfigText(text, opts.display ?? opts.file);
  return withFileChecks(validation, opts);
}

/** Reads and diagnoses a config file, as `agent-tune validate` does. */
export async function diagnoseFile(file: string, host: LanguageHost = nodeHost, data?: DataCheckOptions): Promise<Diagnosis> {
  const abs = resolve(file);
  const whole = (message: string): Diagnosis => {
    const issues: ConfigIssue[] = [{ file, line: 1, column: 1, start: 0, end: 0, path: [], message, severity: 'error' }];
    return { issues, dependencies: [], validation: { issues, lineCounter: new LineCounter() } };
  };
  try {
    const s = await stat(abs);
    if (!s.isFile()) return whole('is not a file');
    if (s.size > MAX_CONFIG_BYTES) return whole(`the file is ${(s.size / 1048576).toFixed(1)} MB; a config must be under ${MAX_CONFIG_BYTES / 1048576} MB`);
  } catch (e) {
    return whole(`cannot read the config: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return withFileChecks(validateConfigBytes(await readFile(abs), file), { file: abs, display: file, host, data });
}

async function withFileChecks(validation: ValidationResult, opts: DiagnoseOptions): Promise<Diagnosis> {
  const doc = validation.document;
  const dependencies: string[] = [];
  const issues = validation.issues;
  if (!doc || doc.errors.some((e) => e.code !== 'DUPLICATE_KEY') || !isMap(doc.contents)) return { issues, dependencies, validation };

  const host = opts.host ?? nodeHost;
  const dir = dirname(opts.file);
  const display = opts.display ?? opts.file;
  const faulted = new Set(issues.filter((i) => i.severity === 'error').map((i) => keyPathString(i.path)));
  const added: ConfigIssue[] = [];
  const add = (path: KeyPath, range: [number, number], message: string, severity: Severity) => {
    const pos = validation.lineCounter.linePos(range[0]);
    added.push({ file: display, line: pos.line, column: pos.col, start: range[0], end: range[1], path, message, severity });
  };
  const str = (path: KeyPath): { value: string; node: Node } | undefined => {
    if (faulted.has(keyPathString(path))) return undefined;
    const node = nodeAt(doc, path);
    return isScalar(node) && typeof node.value === 'string' && node.range ? { value: node.value, node } : undefined;
  };

  const jobs: Promise<void>[] = [];
  const codeRef = (path: KeyPath, kind: 'workflow' | 'tool' | 'judge') => {
    const ref = str(path);
    if (!ref) return;
    jobs.push(
      checkCodeRef(kind, ref.value, dir, host).then((r) => {
        if (r.file) dependencies.push(r.file);
        for (const p of r.problems) add(path, refRange(ref.node, ref.value, p), p.message, p.severity);
      }),
    );
  };
  codeRef(['workflow', 'ref'], 'workflow');
  codeRef(['judge', 'ref'], 'judge');
  const tools = doc.getIn(['tools'], true);
  if (tools && typeof tools === 'object' && 'items' in tools) {
    (tools as { items: unknown[] }).items.forEach((_, i) => codeRef(['tools', i, 'ref'], 'tool'));
  }

  const backend = doc.getIn(['model', 'backend']);
  const model = str(['model', 'path']);
  if (model && (backend === undefined || backend === 'onnx')) {
    const range = span(model.node);
    if (model.value.startsWith(BUILTIN_PREFIX)) {
      for (const p of checkBuiltin('model', model.value)) add(['model', 'path'], range, p.message, p.severity);
    } else {
      const abs = resolve(dir, model.value);
      dependencies.push(abs, ...MODEL_FILES.map((f) => resolve(abs, f)));
      jobs.push(checkModelDir(host, abs, model.value).then((ps) => ps.forEach((p) => add(['model', 'path'], range, p.message, p.severity))));
    }
  }

  // The data checks wait for the schema: a tasks key it faults would only be misread.
  const tasksFaulted = issues.some((i) => i.severity === 'error' && i.path[0] === 'tasks');
  const tasks = toPlain(doc, ['tasks']) as TasksShape | undefined;
  let builtinsOk = true;
  for (const which of ['train', 'test'] as const) {
    const path = str(['tasks', which, 'path']);
    if (!path?.value.startsWith(BUILTIN_PREFIX)) continue;
    const problems = checkBuiltin('tasks', path.value);
    for (const p of problems) add(['tasks', which, 'path'], span(path.node), p.message, p.severity);
    if (problems.some((p) => p.severity === 'error')) builtinsOk = false;
  }
  let pending: Promise<void> | undefined;
  const dataFindings: Diagnosis['dataFindings'] = [];
  if (tasks && typeof tasks === 'object' && !tasksFaulted && builtinsOk) {
    const judge = toPlain(doc, ['judge']) as { ref?: string; options?: Record<string, unknown> } | undefined;
    jobs.push(
      checkTaskData(tasks, judge, dir, opts.data ?? {}).then((r) => {
        dependencies.push(...r.files);
        pending = r.pending;
        for (const p of r.issues) {
          // The deepest key of the path that the document has, so the mark lands on what the user wrote.
          let keyPath = p.key;
          while (keyPath.length > 1 && !nodeAt(doc, keyPath)?.range) keyPath = keyPath.slice(0, -1);
          const node = nodeAt(doc, keyPath);
          const before = added.length;
          add(keyPath, node?.range ? span(node) : [0, 0], p.message, p.severity);
          if (p.finding) dataFindings.push({ issue: added[before], finding: p.finding });
        }
      }),
    );
  }

  await Promise.all(jobs);
  const all = [...issues, ...added].sort((a, b) => a.start - b.start || a.message.localeCompare(b.message));
  validation.issues = all;
  if (added.some((i) => i.severity === 'error')) validation.config = undefined;
  return { issues: all, dependencies: [...new Set(dependencies)], validation, pending, dataFindings };
}

/** Offsets of the whole ref value, or of its `#export` part. */
function refRange(node: Node, value: string, p: RefProblem): [number, number] {
  const [s, e] = span(node);
  const quoted = (node as { type?: string }).type === 'QUOTE_DOUBLE' || (node as { type?: string }).type === 'QUOTE_SINGLE';
  const start = s + (quoted ? 1 : 0);
  const end = Math.min(e, start + value.length);
  if (p.part !== 'export') return [start, end];
  const hash = value.lastIndexOf('#');
  return hash < 0 ? [start, end] : [start + hash + 1, end];
}

function span(node: Node): [number, number] {
  const r = node.range;
  return r ? [r[0], r[1]] : [0, 0];
}

function toPlain(doc: Document, path: KeyPath): unknown {
  const n = nodeAt(doc, path);
  return n && typeof (n as { toJSON?: unknown }).toJSON === 'function' ? (n as { toJSON(): unknown }).toJSON() : undefined;
}

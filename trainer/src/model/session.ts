// An onnxruntime-node session over a model folder's onnx/model.onnx, with the causal-LM
// layout read from the session's own input and output names.
import * as ort from 'onnxruntime-node';
import { checkModelIO, ModelFolderError, type ModelFolder, type ModelLayout } from './folder';
import { externalDataProblem, OnnxFileError, readOnnx, type IoInfo } from './onnx-graph';

export interface SessionOptions {
  /** Threads for one operator (onnxruntime's intra-op pool); default: onnxruntime's choice. */
  threads?: number;
  /** Require the last_hidden_state output (the LoRA adapter's input). Default true. */
  requireHidden?: boolean;
}

export type Feeds = Record<string, ort.Tensor>;
export type Fetches = Record<string, ort.Tensor>;

function metadata(list: readonly ort.InferenceSession.ValueMetadata[]): IoInfo[] {
  return list.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : 'non-tensor',
    shape: m.isTensor ? m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : String(d))) : [],
  }));
}

/** Why onnxruntime refused a file, in terms of the file: truncated, not ONNX, missing weights. */
function diagnose(file: string, err: unknown): Error {
  const ortMessage = err instanceof Error ? err.message : String(err);
  try {
    const problem = externalDataProblem(readOnnx(file), file);
    if (problem) return new ModelFolderError(problem.file, problem.detail);
  } catch (e) {
    if (e instanceof OnnxFileError) return new ModelFolderError(e.file, e.detail);
  }
  return new ModelFolderError(file, `onnxruntime cannot load it: ${ortMessage}`);
}

export class ModelSession {
  private released = false;

  private constructor(
    readonly folder: ModelFolder,
    readonly layout: ModelLayout,
    private readonly session: ort.InferenceSession,
  ) {}

  static async open(folder: ModelFolder, opts: SessionOptions = {}): Promise<ModelSession> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(folder.onnxFile, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        interOpNumThreads: 1,
        ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
      });
    } catch (e) {
      throw diagnose(folder.onnxFile, e);
    }
    try {
      const layout = checkModelIO(folder, metadata(session.inputMetadata), metadata(session.outputMetadata), {
        requireHidden: opts.requireHidden ?? true,
      });
      return new ModelSession(folder, layout, session);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs the graph on a worker thread of onnxruntime; the event loop stays free meanwhile. */
  run(feeds: Feeds, outputs?: readonly string[]): Promise<Fetches> {
    if (this.released) return Promise.reject(new Error('the model session has been closed'));
    return outputs ? this.session.run(feeds, outputs) : this.session.run(feeds);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

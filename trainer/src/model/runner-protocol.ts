// Messages between the engine and its model runner on a worker thread.
import type { ModelFolder } from './folder';
import { ModelFolderError } from './folder';
import type { RowRef } from './runner';
import type { SessionOptions } from './session';

export type Request = { id: number } & (
  | { op: 'open'; folder: ModelFolder; options: SessionOptions & { padTokenId?: number } }
  | { op: 'prefill'; prompts: Int32Array[]; wantHidden: boolean }
  | { op: 'decode'; ids: Int32Array; pos: Int32Array; rows: RowRef[] | null; wantHidden: boolean }
  | { op: 'forward'; sequences: Int32Array[] }
  | { op: 'clear' }
  | { op: 'close' }
);

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  file?: string;
  detail?: string;
}

export type Reply = { id: number; value?: unknown; error?: WireError };

export function encodeError(e: unknown): WireError {
  if (e instanceof ModelFolderError) return { name: e.name, message: e.message, stack: e.stack, file: e.file, detail: e.detail };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

/** Rebuilds an error on this side, keeping ModelFolderError's class and fields. */
export function decodeError(w: WireError): Error {
  const e = w.file !== undefined && w.detail !== undefined ? new ModelFolderError(w.file, w.detail) : new Error(w.message);
  if (w.stack) e.stack = w.stack;
  return e;
}

/** An array that owns its whole buffer, so that it can be transferred without a copy. */
export function transferable(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : a.slice();
}

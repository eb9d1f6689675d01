// Weights of an ONNX initializer, inline or in an external data file, read and written a
// tensor at a time: the files of real models pass 2 GiB, more than Node reads in one piece.
import { closeSync, existsSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from './onnx-graph';

export const EXTERNAL = 1;

/** An initializer with the data fields the graph reader keeps. */
export type RawTensor = Tensor & { rawData?: Uint8Array; floatData?: number[] };

/** `length` bytes of a file from `offset`, without reading the rest. */
function readRange(file: string, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const fd = openSync(file, 'r');
  try {
    for (let at = 0; at < length; ) {
      const n = readSync(fd, out, at, length - at, offset + at);
      if (n === 0) throw new Error(`${file}: ends before the ${length} bytes of a weight at offset ${offset}`);
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** A tensor's bytes, inline or from its external data file beside the model (`dir`); empty when it holds none. */
export function tensorBytes(t: RawTensor, dir: string): Uint8Array {
  if (t.rawData && t.rawData.length) return t.rawData;
  if (t.floatData && t.floatData.length) return new Uint8Array(Float32Array.from(t.floatData).buffer);
  if (t.dataLocation !== EXTERNAL) return new Uint8Array(0);
  const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
  const file = join(dir, kv.location);
  const offset = Number(kv.offset ?? 0);
  // PyTorch's exporter leaves out `length` when a tensor has its file to itself.
  return readRange(file, offset, kv.length === undefined ? statSync(file).size - offset : Number(kv.length));
}

/** An external data file that tensors are appended to, each 64-byte aligned. */
export class ExternalData {
  private readonly fd: number;
  private offset: number;

  /** `fresh` starts the file empty; otherwise tensors go after what it holds. */
  constructor(private readonly dir: string, private readonly location: string, fresh: boolean) {
    const file = join(dir, location);
    this.offset = !fresh && existsSync(file) ? statSync(file).size : 0;
    this.fd = openSync(file, fresh ? 'w' : 'a');
  }

  /** Writes the bytes and points the tensor at them. */
  put(t: RawTensor, bytes: Uint8Array): void {
    const pad = (64 - (this.offset % 64)) % 64;
    if (pad) writeSync(this.fd, new Uint8Array(pad));
    this.offset += pad;
    for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at, bytes.length - at);
    t.externalData = [
      { key: 'location', value: this.location },
      { key: 'offset', value: String(this.offset) },
      { key: 'length', value: String(bytes.length) },
    ];
    t.dataLocation = EXTERNAL;
    delete t.rawData;
    delete t.floatData;
    this.offset += bytes.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}

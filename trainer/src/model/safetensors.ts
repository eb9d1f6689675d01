// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}} and the raw little-endian tensor bytes.
// Float32 (adapters) and float64 (optimizer moments, kept exact for resume) are supported;
// reading checks every field so a corrupt file is refused, not misread.
import { readFileSync, writeFileSync } from 'node:fs';

export interface Tensor {
  shape: number[];
  data: Float32Array | Float64Array;
}

const DTYPES = { F32: Float32Array, F64: Float64Array } as const;

export interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name];
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`tensor ${name}: shape ${JSON.stringify(t.shape)} holds ${size} values, data has ${t.data.length}`);
    header[name] = { dtype: t.data instanceof Float64Array ? 'F64' : 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keeps the data 8-byte aligned
  const head = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const name of names) {
    const d = tensors[name].data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, at);
    at += d.byteLength;
  }
  return out;
}

export function writeSafetensors(file: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileSync(file, encodeSafetensors(tensors, metadata));
}

export class SafetensorsError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

export function readSafetensorsHeader(buf: Buffer, file: string): { header: Record<string, HeaderEntry>; metadata: Record<string, string>; dataStart: number } {
  if (buf.length < 8) throw new SafetensorsError(file, 'too short to be a safetensors file');
  const n = Number(buf.readBigUInt64LE(0));
  if (n <= 0 || 8 + n > buf.length) throw new SafetensorsError(file, `header length ${n} does not fit in a ${buf.length}-byte file (truncated or not safetensors)`);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(buf.toString('utf8', 8, 8 + n)) as Record<string, unknown>;
  } catch {
    throw new SafetensorsError(file, 'the header is not valid JSON (corrupt file)');
  }
  const { __metadata__: metadata = {}, ...rest } = parsed as { __metadata__?: Record<string, string> };
  const dataLen = buf.length - 8 - n;
  const header: Record<string, HeaderEntry> = {};
  for (const [name, raw] of Object.entries(rest)) {
    const e = raw as HeaderEntry;
    if (!e || typeof e.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) {
      throw new SafetensorsError(file, `tensor ${name} has a malformed header entry`);
    }
    const [a, b] = e.data_offsets;
    if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= a && b <= dataLen)) {
      throw new SafetensorsError(file, `tensor ${name} lies outside the file's data (truncated?)`);
    }
    header[name] = e;
  }
  return { header, metadata, dataStart: 8 + n };
}

export function readSafetensors(file: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const buf = readFileSync(file);
  const { header, metadata, dataStart } = readSafetensorsHeader(buf, file);
  const tensors: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(header)) {
    const Type = DTYPES[e.dtype as keyof typeof DTYPES];
    if (!Type) throw new SafetensorsError(file, `tensor ${name} is ${e.dtype}; only F32 and F64 are supported`);
    const [a, b] = e.data_offsets;
    const size = e.shape.reduce((x, y) => x * y, 1);
    const bytes = size * Type.BYTES_PER_ELEMENT;
    if (b - a !== bytes) throw new SafetensorsError(file, `tensor ${name}: shape ${JSON.stringify(e.shape)} needs ${bytes} bytes, the file gives ${b - a}`);
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(dataStart + a, dataStart + b));
    tensors[name] = { shape: e.shape, data: new Type(copy.buffer) };
  }
  return { tensors, metadata };
}

/**
 * onnxruntime-node, loaded on first use (most workspaces never score an ONNX model). We drive its
 * native session directly: `InferenceSession.run` of the public API only wraps the native,
 * synchronous run in a promise, and ProdML's Scorer interface is synchronous (online serving,
 * batch and evaluation call `score` in tight loops for tfjs models too). Pinned: onnxruntime-node
 * 1.30 (dist/binding).
 */
import { createRequire } from 'node:module';
import { badInput } from '../errors';

export interface OrtTensor {
  type: string;
  dims: readonly number[];
  data: ArrayLike<number | bigint | string> & { length: number };
}

interface NativeMeta {
  name: string;
  isTensor: boolean;
  symbolicDimensions: string[];
  shape: number[];
  type: number;
}

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  readonly inputMetadata: NativeMeta[];
  readonly outputMetadata: NativeMeta[];
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  dispose(): void;
}

interface Ort {
  Session: new () => NativeSession;
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
}

let ort: Ort | undefined;

function load(): Ort {
  if (!ort) {
    // The package's install script only downloads GPU builds; the CPU binary ships in the package.
    process.env['ONNXRUNTIME_NODE_INSTALL'] ??= 'skip';
    const req = createRequire(__filename);
    let native: { binding: { InferenceSession: new () => NativeSession }; initOrt: () => void };
    let common: { Tensor: Ort['Tensor'] };
    try {
      native = req('onnxruntime-node/dist/binding');
      common = req('onnxruntime-common');
    } catch (e) {
      throw badInput(undefined, `onnxruntime-node cannot be loaded, so ONNX models cannot be scored here: ${(e as Error).message.split('\n')[0]}`);
    }
    native.initOrt();
    ort = { Session: native.binding.InferenceSession, Tensor: common.Tensor };
  }
  return ort;
}

/** An onnxruntime session over the model bytes, scored synchronously. */
export class OnnxSession {
  private readonly session: NativeSession;
  private readonly Tensor: Ort['Tensor'];

  constructor(file: string, bytes: Uint8Array) {
    const o = load();
    this.Tensor = o.Tensor;
    this.session = new o.Session();
    try {
      // One intra-op thread: serving scores many small requests, and the machine is shared.
      this.session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    } catch (e) {
      throw badInput(file, `onnxruntime cannot load it: ${ortMessage(e)}`);
    }
  }

  get inputs(): { name: string; isTensor: boolean; type: number; shape: (number | string)[] }[] {
    return this.session.inputMetadata.map((m) => ({ name: m.name, isTensor: m.isTensor, type: m.type, shape: m.shape.map((d, i) => (d === -1 ? m.symbolicDimensions[i]! : d)) }));
  }

  tensor(type: string, data: unknown, dims: readonly number[]): OrtTensor {
    return new this.Tensor(type, data, dims);
  }

  run(feeds: Record<string, OrtTensor>, outputs: string[]): Record<string, OrtTensor> {
    return this.session.run(feeds, Object.fromEntries(outputs.map((o) => [o, null])), {});
  }

  dispose(): void {
    this.session.dispose();
  }
}

/** onnxruntime's message without its path prefix (the file is named by the caller). */
export function ortMessage(e: unknown): string {
  return String((e as Error)?.message ?? e)
    .replace(/^Load model from .*? failed:/, '')
    .replace(/^\[ONNXRuntimeError\][^:]*:[^:]*:\s*/, '')
    .split('\n')[0]!
    .trim();
}

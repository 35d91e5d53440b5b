import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Disposable } from 'vscode';
import { engineMethods, engineResponseSchema, type EngineMethod, type EngineParams, type EngineResult, type Epoch } from '../protocol/engineMessages';

export class EngineError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  method: EngineMethod;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (fraction: number, phase: string, epoch?: Epoch, partial?: unknown) => void;
}

/** Talks to dist/engine.js, started on first use and restarted if it dies. */
export class EngineClient implements Disposable {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly distDir: string) {}

  /** Calls one engine method; its result is checked against the method's result schema. */
  request<M extends EngineMethod>(
    method: M,
    params: EngineParams<M>,
    opts: { onProgress?: (fraction: number, phase: string, epoch?: Epoch, partial?: unknown) => void; cancel?: { onCancellationRequested: (f: () => void) => unknown } } = {},
  ): Promise<EngineResult<M>> {
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise<EngineResult<M>>((resolve, reject) => {
      const settle = (v: unknown) => {
        const checked = engineMethods[method].result.safeParse(v);
        if (checked.success) resolve(checked.data as EngineResult<M>);
        else reject(new EngineError('internal', `The ProdML engine answered ${method} with an unexpected shape: ${checked.error.message}`));
      };
      this.pending.set(id, { method, resolve: settle, reject, onProgress: opts.onProgress });
      opts.cancel?.onCancellationRequested(() => {
        if (this.pending.has(id)) child.send({ id: this.nextId++, method: 'cancel', params: { target: id } });
      });
      child.send({ id, method, params });
    });
  }

  private ensure(): ChildProcess {
    if (this.child && this.child.connected) return this.child;
    // fork() runs the extension host's own Node (Electron as Node in desktop VS Code).
    const child = fork(path.join(this.distDir, 'engine.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (raw) => {
      const msg = engineResponseSchema.safeParse(raw);
      if (!msg.success) return;
      const p = this.pending.get(msg.data.id);
      if (!p) return;
      if ('progress' in msg.data) p.onProgress?.(msg.data.progress.fraction, msg.data.progress.phase, msg.data.progress.epoch, msg.data.progress.partial);
      else {
        this.pending.delete(msg.data.id);
        if ('error' in msg.data) p.reject(new EngineError(msg.data.error.kind, msg.data.error.message));
        else p.resolve(msg.data.result);
      }
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      for (const [id, p] of this.pending) {
        p.reject(new EngineError('internal', `The ProdML engine stopped (${signal ?? `exit code ${code}`}).`));
        this.pending.delete(id);
      }
    });
    this.child = child;
    return child;
  }

  dispose(): void {
    this.child?.kill();
    this.child = undefined;
  }
}

/**
 * The one place the extension puts findings in the Problems panel (monitoring alerts, leakage,
 * feature value, label conflicts, Validate Dataset): one diagnostic collection, where each producer replaces only
 * its own entries. The language server publishes the checks of the files themselves.
 */
import * as vscode from 'vscode';

export type Producer = `monitor:${string}` | 'leakage' | 'feature-value' | 'labels' | `validate:${string}`;

export class Problems implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('prodml');
  /** Per producer: its entries, by file. */
  private readonly byProducer = new Map<Producer, Map<string, vscode.Diagnostic[]>>();

  /** Replaces everything `producer` said with `entries` (file path → diagnostics). */
  set(producer: Producer, entries: Map<string, vscode.Diagnostic[]>): void {
    const before = this.byProducer.get(producer);
    this.byProducer.set(producer, entries);
    for (const file of new Set([...(before?.keys() ?? []), ...entries.keys()])) this.publish(file);
  }

  /** What `producer` said about `file`. */
  get(producer: Producer, file: string): readonly vscode.Diagnostic[] {
    return this.byProducer.get(producer)?.get(file) ?? [];
  }

  private publish(file: string): void {
    const all = [...this.byProducer.values()].flatMap((m) => m.get(file) ?? []);
    this.collection.set(vscode.Uri.file(file), all);
  }

  dispose(): void {
    this.collection.dispose();
  }
}

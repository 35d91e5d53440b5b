/**
 * The registry's data: what a version's lineage card holds, what listings return, and the alias
 * history records. Field names are snake_case because they are written to disk and printed by
 * `--json` as is (DESIGN.md: `versions[]` with `version`, `aliases`, `metrics`, `created_at`).
 */

/** One input dataset of a training run. */
export interface DatasetLineage {
  path: string;
  /** e.g. "sha256:…" of the file contents, so "was it trained on this file?" has an answer. */
  content_hash: string;
  rows: number;
  /** A database dataset: its URL with the password redacted, and the table or query read. */
  url?: string;
  table?: string;
  query?: string;
  /** A database dataset with a time_column: min and max over all its rows, computed in its engine. */
  time_range?: TimeRange;
}

export interface TimeRange {
  /** ISO 8601 instants: min and max of the time column over the training rows. */
  min: string;
  max: string;
}

export interface TrainingDataLineage {
  datasets: DatasetLineage[];
  /** Rows the model was trained on (after filters and the split). */
  rows: number;
  time_column?: string;
  /** Absent when the data has no time column; such versions are never picked by `rollback --before`. */
  time_range?: TimeRange;
}

/** card.json: where a version came from and how good it was. */
export interface ModelCard {
  model: string;
  version: number;
  created_at: string;
  user: string;
  tool_version: string;
  /** tfjs backend that trained it (tensorflow, wasm or cpu); `onnxruntime` for an imported ONNX model. */
  backend: string;
  /** What scores it: tfjs (trained by ProdML, the default when absent) or onnx (imported). */
  runtime?: Runtime;
  /** An imported ONNX model: where it came from and how rows feed it. */
  onnx?: OnnxCard;
  /** Hash of the model's prodml.yaml section, so two versions' configs can be compared. */
  config_hash: string;
  task?: string;
  label?: string;
  features?: string[];
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  /** The metric listings show; the first of `metrics` when absent. */
  key_metric?: string;
  /** Met the validation thresholds and did not regress against production when trained. */
  blessed: boolean;
  /** Edge inputs scored before blessing (evaluate/safeness.ts); a failure keeps the input that broke it. */
  safeness?: { passed: boolean; tried: number; reason: string; failure?: { column: string; value: unknown; shown: string; problem: string } };
  training_data: TrainingDataLineage;
  /** Each export of this version (prodml export), oldest first. */
  exports?: ExportRecord[];
}

/** One export of a version: what was written, where, and its hash. */
export interface ExportRecord {
  format: 'onnx' | 'web';
  /** "sha256:…" of the exported ONNX model (for web, the bundle's model.onnx). */
  sha256: string;
  /** Where it was written (absolute). */
  path: string;
  at: string;
  user: string;
  tool_version: string;
}

/** What a trainer gives `saveVersion`; the registry fills in the identity fields. */
export type CardInput = Omit<ModelCard, 'model' | 'version' | 'created_at' | 'user' | 'tool_version' | 'blessed'> & {
  blessed?: boolean;
  /** Defaults: now, the OS user, this build's version. */
  created_at?: string;
  user?: string;
  tool_version?: string;
};

/**
 * File contents handed to the registry: bytes, UTF-8 text, or a file to copy. The registry
 * never looks inside them (tfjs layers format for the model, ours for the transform).
 */
export type FileSource = Uint8Array | string | { path: string };

export const VERSION_FILES = ['model.json', 'weights.bin', 'transform.json', 'schema.yaml'] as const;
/** An imported ONNX version: the file as given, the transforms that feed it, the data's schema. */
export const ONNX_VERSION_FILES = ['model.onnx', 'transform.json', 'schema.yaml'] as const;
export type VersionFileName = (typeof VERSION_FILES)[number] | (typeof ONNX_VERSION_FILES)[number];
/** The files a version of this runtime has. */
export function versionFilesOf(runtime: Runtime | undefined): readonly VersionFileName[] {
  return runtime === 'onnx' ? ONNX_VERSION_FILES : VERSION_FILES;
}
export type VersionFiles = Partial<Record<VersionFileName, FileSource>>;

export type Runtime = 'tfjs' | 'onnx';

/** One input or output of an ONNX graph, as its ModelProto declares it. */
export interface OnnxValueInfo {
  name: string;
  /** float32, float64, int64, string, ... or seq(map(int64,float32)) for ZipMap. */
  type: string;
  /** Dimensions: numbers, symbolic names, or null when unknown. */
  shape: (number | string | null)[];
}

/** How a row's columns become the graph's inputs and how its outputs become predictions. */
export interface OnnxBinding {
  /** `matrix`: one 2-D input takes the transformed features in order; `columns`: one input per column, by name. */
  mode: 'matrix' | 'columns';
  inputs: { name: string; type: 'float32' | 'float64' | 'int64' | 'string'; columns: string[]; /** 1: [N]; 2: [N, width]. */ rank: number }[];
  /** The output read as scores and how: a probability column per class, one probability, or a value. */
  output: { name: string; kind: 'probabilities' | 'zipmap' | 'single'; width: number };
  /** Class labels in the order of the output's columns (multiclass; binary: class 1 is the positive). */
  classes?: string[];
  /**
   * `nan`: the graph imputes a missing number itself (a ProdML export does, with its training
   * mean), so a missing number is fed as NaN rather than imputed before the graph.
   */
  missing?: 'nan';
}

/** What an ONNX file says of itself: read at import (onnx/modelInfo.ts) and kept on the card. */
export interface OnnxSignature {
  /** `sha256:…` of model.onnx as imported. */
  file_hash: string;
  producer_name: string;
  producer_version: string;
  ir_version: number;
  /** Opset per domain: {"": 13, "ai.onnx.ml": 1}. */
  opset: Record<string, number>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxCard extends OnnxSignature {
  file: string;
  binding: OnnxBinding;
  /** The dataset it was evaluated on at import. */
  checked_on: { dataset: string; rows: number };
}

/** A row of `listVersions`, newest first. */
export interface VersionSummary {
  version: number;
  aliases: string[];
  metrics: Record<string, number>;
  key_metric?: string;
  blessed: boolean;
  created_at: string;
  user: string;
  backend: string;
  runtime: Runtime;
  /** Who made an imported model (e.g. "pytorch 1.13.1"). */
  producer?: string;
  /** End of the training data's time range, when known. */
  data_until?: string;
}

export interface ModelSummary {
  model: string;
  versions: number;
  latest?: number;
  aliases: Record<string, number>;
}

/** A resolved version: its card and where its files are. */
export interface ModelVersion {
  model: string;
  version: number;
  dir: string;
  files: Record<VersionFileName, string>;
  card: ModelCard;
  aliases: string[];
}

/** One line of alias-history.jsonl. `from` is null when the alias was first set. */
export interface AliasEvent {
  at: string;
  user: string;
  alias: string;
  from: number | null;
  to: number;
  reason: string;
  /** Rollbacks are marked so a second rollback goes further back instead of undoing the first. */
  action: 'promote' | 'rollback';
}

export interface AliasChange {
  model: string;
  alias: string;
  from: number | null;
  to: number;
  /** False when the alias already pointed at `to`: nothing was written. */
  changed: boolean;
  reason: string;
}

export interface GcResult {
  model: string;
  deleted: number[];
  kept: { version: number; why: string }[];
}

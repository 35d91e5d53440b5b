/** Deterministic synthetic demo data ("baby weight" natality) and the demo workspace writer. */
export { generateNatalityRows, monthRange, NATALITY_COLUMNS, NATALITY_EFFECTS, NATALITY_LABEL, NATALITY_RACES, NATALITY_TIME_COLUMN } from './natality';
export type { MotherRace, NatalityColumn, NatalityOptions, NatalityRow } from './natality';
export { DEFAULT_DEMO_SEED, DEFAULT_ROWS_PER_MONTH, DEMO_MARKER, isDemoWorkspace, writeDemoWorkspace } from './workspace';
export type { DemoFile, DemoFileKind, DemoManifest, DemoOptions } from './workspace';
export { BAD_BATCHES, NEW_RACE_CATEGORY } from './defects';
export type { AnomalyType, DemoDefect, DemoDefectKind } from './defects';
export { toCsv, quoteCsv } from './csv';
export { deriveSeed, mulberry32, Rng } from './random';

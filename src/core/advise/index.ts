/** The serving advisor and static (precomputed) serving. */
export { adviseServing, type AdviseOptions } from './serving';
export { loadStaticTable, staticManifestPath, staticTablePath, writeStaticTable, STATIC_DIR, type StaticBuildOptions, type StaticBuildResult, type StaticManifest, type StaticTable } from './staticTable';
export { recommend, tableMemoryBytes, thresholdsWith } from './recommend';
export * from './types';

/** The model registry: versions with lineage cards, aliases and their history under `.prodml/registry/`. */
export { openRegistry, Registry, describeVersions, type RegistryOptions, type RollbackOptions } from './registry';
export { parseModelRef, parseVersionRef, formatRef, type ModelRef, type VersionRef } from './ref';
export { keyMetric } from './card';
export { REGISTRY_DIR } from './layout';
export type { Aliases } from './aliases';
export * from './types';

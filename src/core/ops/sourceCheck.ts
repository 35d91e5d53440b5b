/** The language server's check of prodml.yaml's database datasets (each reached; a failure placed on its url: line). */
export { checkDbDatasets, type SourceProblem } from '../data/sourceCheck';

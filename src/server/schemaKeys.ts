/**
 * Hover and completion for *.schema.yaml and prodml.yaml from the JSON Schemas that ship with
 * ProdML: the same descriptions a person reads in the docs, at the key under the cursor.
 */

export interface JsonSchemaNode {
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: JsonSchemaNode | boolean;
  items?: JsonSchemaNode;
  enum?: unknown[];
  type?: string | string[];
  $ref?: string;
}

export type RootSchema = JsonSchemaNode & { definitions?: Record<string, JsonSchemaNode> };

function deref(root: RootSchema, n: JsonSchemaNode | undefined): JsonSchemaNode | undefined {
  let node = n;
  for (let i = 0; node?.$ref && i < 10; i++) {
    const name = node.$ref.replace('#/definitions/', '');
    node = { ...root.definitions?.[name], description: node.description ?? root.definitions?.[name]?.description };
  }
  return node;
}

/** The JSON Schema node of a YAML key path such as ['features', 'age', 'range', 'min']. */
export function schemaNodeAt(root: RootSchema, path: string[]): JsonSchemaNode | undefined {
  let node: JsonSchemaNode | undefined = root;
  for (const key of path) {
    node = deref(root, node);
    if (!node) return undefined;
    const next: JsonSchemaNode | undefined =
      node.properties?.[key] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
    node = next;
  }
  return deref(root, node);
}

/** The key path of `lineNo`'s key, from indentation (enough for the block style ProdML writes). */
export function keyPathAt(lines: string[], lineNo: number): string[] | undefined {
  const own = /^(\s*)([A-Za-z_][\w.-]*)\s*:/.exec(lines[lineNo] ?? '');
  if (!own) return undefined;
  return [...parentPath(lines, lineNo, own[1]!.length), own[2]!];
}

/** The key path that a key typed at `indent` on `lineNo` would belong to. */
export function parentPath(lines: string[], lineNo: number, indent: number): string[] {
  const path: string[] = [];
  let want = indent;
  for (let i = lineNo - 1; i >= 0 && want > 0; i--) {
    const m = /^(\s*)([A-Za-z_][\w.-]*|"[^"]*"|'[^']*')\s*:/.exec(lines[i] ?? '');
    if (!m || (lines[i] ?? '').trim().startsWith('#')) continue;
    const ind = m[1]!.length;
    if (ind < want) {
      path.unshift(m[2]!.replace(/^["']|["']$/g, ''));
      want = ind;
    }
  }
  return path;
}

/** Keys that may follow at `path`, each with its description. */
export function keysAt(root: RootSchema, path: string[]): { key: string; description: string }[] {
  const node = schemaNodeAt(root, path);
  return Object.entries(node?.properties ?? {}).map(([key, n]) => ({ key, description: deref(root, n)?.description ?? '' }));
}

/**
 * Screenshots that illustrate the README: saved with the test's artifacts, and copied to
 * docs/images/<name>.png when PRODML_UPDATE_DOCS_IMAGES=1, so the pictures come from a real run.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { VSCodeSession } from './harness';

const DOCS_IMAGES = path.join(__dirname, '../../docs/images');

export async function docShot(vscode: VSCodeSession, name: string): Promise<string> {
  const file = await vscode.screenshot(name);
  if (process.env.PRODML_UPDATE_DOCS_IMAGES === '1') fs.copyFileSync(file, path.join(DOCS_IMAGES, `${name}.png`));
  return file;
}

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

/**
 * The same screen in the dark theme (switched the way a user does), saved as `<name>`; `inDark`
 * runs before the theme is switched back.
 */
export async function darkDocShot(vscode: VSCodeSession, name: string, inDark?: () => Promise<void>): Promise<string> {
  const setTheme = async (label: RegExp, workbench: string) => {
    await vscode.runCommand('Preferences: Color Theme');
    await vscode.quickInput.pick(label);
    await vscode.page.locator(workbench).first().waitFor({ timeout: 30_000 });
    await vscode.quickInput.waitHidden().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000)); // webviews repaint with the new theme's colours
  };
  // A toast left by an earlier step (e.g. a pipeline run's "Show Runs") is not part of the view.
  await vscode.clearNotifications();
  await setTheme(/^Dark Modern/, '.monaco-workbench.vs-dark');
  const file = await docShot(vscode, name);
  await inDark?.();
  await setTheme(/^Light Modern/, '.monaco-workbench.vs');
  return file;
}

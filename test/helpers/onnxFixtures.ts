import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.join(__dirname, '..', 'reference', 'onnx_fixtures.py');

export interface OnnxFixtures {
  dir: string;
  data: string;
  file(name: string): string;
  /** The producers' own predictions on data.csv, by model (see onnx_fixtures.py). */
  predictions: Record<string, number[] & number[][]> & { sklearn_multiclass_classes: string[] };
}

/**
 * ONNX files written by PyTorch, scikit-learn and XGBoost (Debian's python3 packages), with the
 * producers' predictions. Generated once per script content into the OS temp dir, so every test
 * file shares one run (about 3 s) and a changed script regenerates.
 */
export function onnxFixtures(): OnnxFixtures {
  const hash = crypto.createHash('sha256').update(fs.readFileSync(SCRIPT)).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `prodml-onnx-fixtures-${hash}`);
  if (!fs.existsSync(path.join(dir, 'predictions.json'))) {
    const tmp = `${dir}.${process.pid}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    execFileSync('/usr/bin/python3', [SCRIPT, tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      fs.renameSync(tmp, dir);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another test process made it first
    }
  }
  return {
    dir,
    data: path.join(dir, 'data.csv'),
    file: (name) => path.join(dir, name),
    predictions: JSON.parse(fs.readFileSync(path.join(dir, 'predictions.json'), 'utf8')),
  };
}

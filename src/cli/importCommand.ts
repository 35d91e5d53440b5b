import { InvalidArgumentError, type Command } from 'commander';
import { importModel, type ImportModelRequest, type ImportModelResult as ImportOnnxResult } from '../core/ops';
import { fmtNum } from '../core/ops/format';
import { action, EXIT, withCancel, workspaceOf, workspaceOption } from './run';

/** `prodml models import <file.onnx>`: the logic is core/onnx/importOnnx.ts. */
export function registerModelsImport(models: Command): void {
  workspaceOption(models.command('import'))
    .description('Register an ONNX model trained elsewhere (scikit-learn, PyTorch, XGBoost, ...): check its inputs against the data, evaluate and bless it like a trained version (exit 1 when it is not blessed)')
    .argument('<file>', 'the .onnx file')
    .requiredOption('--model <name>', 'the registry model to add a version to')
    .option('--features <columns>', "columns in the order of the graph's 2-D input (c1,c2,...)", (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--task <task>', 'binary, multiclass or regression (default: from the outputs)', (v: string) => {
      if (!['binary', 'multiclass', 'regression'].includes(v)) throw new InvalidArgumentError('use binary, multiclass or regression');
      return v;
    })
    .option('--label <column>', 'the column the model predicts')
    .option('--dataset <name|file>', 'a prodml.yaml dataset or a data file to evaluate on')
    .option('--json', 'print { version, blessed, metrics, checks } as one JSON document')
    .action(action(modelsImport));
}

async function modelsImport(file: string, opts: { model: string; features?: string[]; task?: string; label?: string; dataset?: string; workspace?: string; json?: boolean }): Promise<number> {
  const ws = await workspaceOf(opts, false);
  const r = await withCancel(opts, (ctx) => importModel(ws, {
    file,
    model: opts.model,
    ...(opts.features ? { features: opts.features } : {}),
    ...(opts.task ? { task: opts.task as NonNullable<ImportModelRequest['task']> } : {}),
    ...(opts.label ? { label: opts.label } : {}),
    ...(opts.dataset ? { dataset: opts.dataset } : {}),
  }, ctx));
  if (opts.json) {
    const { evaluation: _e, ...rest } = r;
    process.stdout.write(JSON.stringify(rest, null, 2) + '\n');
  } else process.stdout.write(describe(r));
  return r.blessed ? EXIT.ok : EXIT.failed;
}

function describe(r: ImportOnnxResult): string {
  const lines = [
    `Imported ${r.onnx.file} (${r.producer || 'unknown producer'}, opset ${Object.entries(r.onnx.opset).map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ')}) as ${r.model}:${r.version}, ${r.task}`,
    `  inputs: ${r.onnx.binding.inputs.map((i) => `${i.name} ← ${i.columns.join(', ')}`).join('; ')}`,
    `  output: ${r.onnx.binding.output.name} (${r.onnx.binding.output.kind})`,
    `  checked on ${r.onnx.checked_on.dataset} (${r.rows.toLocaleString('en-US')} rows): ${Object.entries(r.metrics).slice(0, 6).map(([k, v]) => `${k} ${fmtNum(v)}`).join(', ')}`,
    ...r.checks.map((c) => `  ${c.passed ? 'ok  ' : 'FAIL'} ${c.name}: ${c.reason}`),
    r.blessed ? `BLESSED: ${r.model}:${r.version} may be promoted (prodml models promote ${r.model}:${r.version})` : `NOT BLESSED: ${r.model}:${r.version} is registered but must not be promoted`,
  ];
  return lines.join('\n') + '\n';
}

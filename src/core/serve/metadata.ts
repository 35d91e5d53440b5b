/**
 * GET /v1/models/<m>[/versions/<v>|/labels/<a>]/metadata in TF Serving's shape (a
 * GetModelMetadataResponse as JSON): `model_spec`, and `metadata.signature_def` holding the one
 * signature, serving_default, with each input and output's name, dtype and shape. Every input and
 * output is one value per instance: shape [-1]. ProdML's own facts go under `prodml`.
 */
import type { FieldRule, ValueKind } from './instanceCheck';
import { outputNames } from './responseShape';
import { SIGNATURE } from './requestFormat';
import type { LoadedVersion } from './servedModel';

const DTYPE: Record<ValueKind, string> = { int: 'DT_INT64', float: 'DT_FLOAT', number: 'DT_FLOAT', bool: 'DT_BOOL', string: 'DT_STRING', category: 'DT_STRING', timestamp: 'DT_STRING' };
const BATCH = { dim: [{ size: '-1', name: '' }], unknown_rank: false };

const tensor = (name: string, dtype: string) => ({ dtype, tensor_shape: BATCH, name });

export function signatureDef(lv: LoadedVersion) {
  const inputs = Object.fromEntries(lv.check.fields.filter((f) => f.input).map((f) => [f.name, tensor(f.name, DTYPE[f.kind])]));
  const names = lv.scorer.task === 'multiclass' ? outputNames('multiclass', lv.scorer.classes) : ['prediction'];
  const outputs = Object.fromEntries(names.map((n) => [n, tensor(n, 'DT_FLOAT')]));
  return { inputs, outputs, method_name: 'tensorflow/serving/predict' };
}

/** One input's contract, as the server checks it. */
function contract(f: FieldRule) {
  return {
    type: f.kind,
    from: f.source,
    required: f.required,
    nullable: !f.nonNull,
    ...(f.domain ? { domain: f.domain.values.size, oov: f.domain.oov } : {}),
  };
}

export function metadataBody(name: string, lv: LoadedVersion, prodml: Record<string, unknown>) {
  return {
    model_spec: { name, signature_name: '', version: String(lv.version) },
    metadata: {
      signature_def: {
        signature_def: { [SIGNATURE]: signatureDef(lv) },
        '@type': 'type.googleapis.com/tensorflow.serving.SignatureDefMap',
      },
    },
    prodml: {
      task: lv.scorer.task,
      ...(lv.scorer.classes ? { classes: lv.scorer.classes } : {}),
      inputs: lv.scorer.inputs,
      contract: Object.fromEntries(lv.check.fields.filter((f) => f.input).map((f) => [f.name, contract(f)])),
      ...prodml,
    },
  };
}

/**
 * ingest: takes the batches waiting in the landing folder into `.prodml/staging/`, so the
 * landing folder only ever holds what has not been picked up, and a crash before validation
 * leaves each batch in exactly one place. Validation decides where a staged batch goes next.
 */
import path from 'node:path';
import { fileHash } from './hashing';
import { listBatches, moveFile, relTo } from './files';
import type { StepDefinition } from './stepTypes';

import { STAGING_DIR } from '../project/paths';
export { STAGING_DIR };

export const ingestStep: StepDefinition = {
  async inputs(ctx) {
    if (!ctx.pipeline.ingest) return {};
    const out: Record<string, string> = {};
    for (const f of await listBatches(path.join(ctx.root, ctx.pipeline.ingest.from))) out[relTo(ctx.root, f)] = await fileHash(f);
    return out;
  },
  async upToDate(_ctx, inputs) {
    // An empty landing folder is nothing to do; a file dropped again is a new arrival (validation
    // tells a duplicate apart), so there is no "same as last time" here.
    return Object.keys(inputs).length === 0;
  },
  async run(ctx, inputs) {
    if (!ctx.pipeline.ingest) return { status: 'skipped', outputs: { staged: [] }, messages: ['pipeline.steps.ingest is false: no landing folder'] };
    const { from } = ctx.pipeline.ingest;
    const files = Object.keys(inputs);
    if (files.length === 0) return { status: 'skipped', outputs: { staged: [] }, messages: [`nothing new in ${from}/`] };
    const staged: { file: string; to: string; sha256: string }[] = [];
    for (const [i, rel] of files.entries()) {
      ctx.progress(i / files.length, `Taking ${rel}`);
      const to = await moveFile(path.join(ctx.root, rel), path.join(ctx.root, STAGING_DIR, path.basename(rel)));
      staged.push({ file: rel, to: relTo(ctx.root, to), sha256: inputs[rel]! });
      await ctx.log(`took ${rel} (${inputs[rel]}) into ${relTo(ctx.root, to)}`);
    }
    return { status: 'ok', outputs: { staged }, messages: [`took ${staged.length} new batch${staged.length === 1 ? '' : 'es'} from ${from}/`] };
  },
};

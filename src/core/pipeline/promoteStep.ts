/**
 * promote: points the alias at the version this pipeline registered, only when it is blessed.
 * It does not fight people: once a version was promoted, a later manual rollback stands until a
 * new version is registered (the inputs are the version, not where the alias points now).
 */
import { openRegistry } from '../registry';
import { sameInputs } from './hashing';
import type { StepDefinition } from './stepTypes';

export const promoteStep: StepDefinition = {
  async inputs(ctx): Promise<Record<string, string>> {
    const reg = ctx.current('register')?.outputs;
    if (!ctx.pipeline.promote || typeof reg?.['version'] !== 'number') return {};
    return { version: `${ctx.model.name}:${reg['version']}`, blessed: String(reg['blessed'] === true), alias: ctx.pipeline.promote.alias };
  },
  async upToDate(_ctx, inputs, previous) {
    return Object.keys(inputs).length > 0 && sameInputs(inputs, previous.inputs);
  },
  async run(ctx, inputs) {
    if (!ctx.pipeline.promote) return { status: 'skipped', outputs: {}, messages: ['pipeline.steps.promote is false: versions are registered for someone to promote'] };
    const { alias } = ctx.pipeline.promote;
    const reg = ctx.current('register')?.outputs ?? {};
    const version = reg['version'] as number;
    if (inputs['blessed'] !== 'true') {
      const failed = (reg['failed_checks'] as string[] | undefined) ?? [];
      return {
        status: 'blocked',
        gate: 'not_blessed',
        outputs: { alias, version, promoted: false },
        messages: [`${inputs['version']} is not blessed${failed.length ? ` (${failed.join('; ')})` : ''}: registered, not promoted to ${alias}`],
      };
    }
    const registry = await openRegistry(ctx.root);
    const current = (await registry.aliases(ctx.model.name))[alias];
    if (current === version) return { status: 'skipped', outputs: { alias, version, from: current, promoted: false }, messages: [`${alias} already points at ${inputs['version']}`] };
    const change = await registry.promote(ctx.model.name, version, alias, `pipeline run ${ctx.runId}`);
    await ctx.log(`promoted ${inputs['version']} to ${alias} (was ${change.from ?? 'unset'})`);
    return { status: 'ok', outputs: { alias, version, from: change.from ?? null, promoted: true }, messages: [`promoted ${inputs['version']} to ${alias}${change.from ? ` (was version ${change.from})` : ''}`] };
  },
};

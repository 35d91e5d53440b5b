import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import jsonSchema from '../../schemas/schema.schema.json';
import { writeDemoWorkspace } from '../../src/core/demo/workspace';
import { NATALITY_RACES } from '../../src/core/demo/natality';
import { DuckSession } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { inferSchema, presenceFloor, widenedRange } from '../../src/core/schema/infer';
import { locateKey, parseSchema, readSchema, schemaToYaml } from '../../src/core/schema/io';
import { writeFileAtomic } from '../../src/core/project/atomicWrite';
import type { Schema } from '../../src/core/schema/types';
import { tempDir } from '../helpers/fixtures';

const dir = tempDir('prodml-schema-');

function issuesOf(text: string) {
  return parseSchema(text).issues.map((i) => `${i.line}:${i.column} ${i.severity} ${i.message}`);
}

describe('reading *.schema.yaml', () => {
  test('a valid schema parses to the model', () => {
    const { schema, issues } = parseSchema('features:\n  age:\n    type: int\n    range: {min: 0, max: 120}\n');
    assert.deepEqual(issues, []);
    assert.deepEqual(schema, { features: { age: { type: 'int', range: { min: 0, max: 120 } } } });
  });

  test('each problem is reported at its line and column, naming the key', () => {
    const text = [
      'features:', //                                       1
      '  age:', //                                          2
      '    type: integer', //                               3
      '    rnage: {min: 0}', //                             4
      '  city:', //                                         5
      '    type: string', //                                6
      '    drift: {l_infinity: {threshold: 1.5}}', //       7
      '  zip:', //                                          8
      '    presence: {min_fraction: 0.9}', //               9
    ].join('\n');
    const issues = issuesOf(text);
    assert.ok(issues.includes('3:11 error features.age.type: must be one of int, float, string, bool, timestamp (got "integer")'), issues.join('\n'));
    assert.ok(issues.includes('4:5 error features.age.rnage: unknown key "rnage" (did you mean "range"?)'), issues.join('\n'));
    assert.ok(issues.includes('7:37 error features.city.drift.l_infinity.threshold: must be at most 1 (got 1.5)'), issues.join('\n'));
    assert.ok(issues.includes('8:3 error features.zip: missing required key "type"'), issues.join('\n'));
  });

  test('YAML syntax errors and rules JSON Schema cannot say', () => {
    assert.match(issuesOf('features:\n  a: [1, 2\n')[0]!, /^\d+:\d+ error /);
    assert.match(issuesOf('features:\n  a: {type: int}\n  a: {type: int}\n')[0]!, /^3:3 error .*unique/i);
    const semantic = issuesOf(
      ['features:', '  a:', '    type: int', '    range: {min: 5, max: 1}', '  b:', '    type: float', '    domain: [x]', '    environments: [TRAINING]', '    not_in: [SERVING]'].join('\n'),
    );
    assert.deepEqual(semantic, [
      '4:18 error features.a.range.min: min (5) is greater than max (1)',
      '7:5 error features.b.domain: a domain lists string values, but this feature is float; use range',
      '9:5 error features.b.not_in: give either environments or not_in, not both',
    ]);
    assert.match(issuesOf('')[0]!, /empty/);
  });

  test('readSchema names the file, line and column; a missing file is bad input', async () => {
    const file = path.join(dir, 'bad.schema.yaml');
    fs.writeFileSync(file, 'features:\n  a:\n    type: int\n    presence: {min_fraction: 2}\n');
    await assert.rejects(readSchema(file), (e: Error) => {
      assert.equal((e as { kind?: string }).kind, 'bad_input');
      assert.match(e.message, /bad\.schema\.yaml:4:30: features\.a\.presence\.min_fraction: must be at most 1 \(got 2\)/);
      return true;
    });
    await assert.rejects(readSchema(path.join(dir, 'nope.schema.yaml')), /schema file not found/);
  });

  test('locateKey finds a feature in the text', () => {
    assert.deepEqual(locateKey('features:\n  a: {type: int}\n  b: {type: int}\n', ['features', 'b']), { line: 3, column: 3 });
  });

  test('every key of the JSON Schema has a description (hover and completion show it)', () => {
    const missing: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      for (const [key, child] of Object.entries((n['properties'] ?? {}) as Record<string, Record<string, unknown>>)) {
        if (typeof child['description'] !== 'string') missing.push(`${at}.${key}`);
        walk(child, `${at}.${key}`);
      }
      for (const [key, def] of Object.entries((n['definitions'] ?? {}) as Record<string, unknown>)) walk(def, `#${key}`);
      if (n['items']) walk(n['items'], `${at}[]`);
    };
    walk(jsonSchema, '');
    assert.deepEqual(missing, []);
  });
});

describe('writing *.schema.yaml', () => {
  const schema: Schema = {
    num_examples: { min: 10 },
    default_environments: ['TRAINING', 'SERVING'],
    features: {
      race: { type: 'string', domain: ['White', 'true', '1', 'a: b'], drift: { l_infinity: { threshold: 0.1 } } },
      label: { type: 'float', not_in: ['SERVING'], range: { min: 0.5, max: 12.8 }, presence: { min_fraction: 0.95 } },
    },
  };

  test('round-trips through the reader, comments and all', () => {
    const text = schemaToYaml(schema, {
      header: ['made by a test'],
      keys: [{ path: ['features', 'label', 'range'], comment: 'range widened 10% beyond what was seen' }],
      values: [{ path: ['features', 'race', 'domain', 0], comment: '51%' }],
    });
    assert.match(text, /^# made by a test\n/);
    assert.match(text, /range: \{min: 0.5, max: 12.8\} # range widened 10% beyond what was seen/);
    assert.match(text, /- White # 51%/);
    assert.deepEqual(parseSchema(text), { schema, issues: [] });
  });

  test('never overwrites silently; --force replaces atomically, leaving no temp file', async () => {
    const out = path.join(dir, 'w', 'x.schema.yaml');
    await writeFileAtomic(out, 'one\n', { noClobber: true });
    await assert.rejects(writeFileAtomic(out, 'two\n', { noClobber: true }), /already exists; use --force/);
    assert.equal(fs.readFileSync(out, 'utf8'), 'one\n');
    await writeFileAtomic(out, 'two\n');
    assert.equal(fs.readFileSync(out, 'utf8'), 'two\n');
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['x.schema.yaml']);
    await assert.rejects(writeFileAtomic(path.dirname(out), 'x'), /is a directory/);
  });
});

describe('inferring a schema', () => {
  test('presence rounds down to a round fraction; ranges widen and stay positive', () => {
    assert.equal(presenceFloor(1), 1);
    assert.equal(presenceFloor(0.985), 0.95);
    assert.equal(presenceFloor(0.999), 0.99);
    assert.equal(presenceFloor(0.42), 0.4);
    assert.equal(presenceFloor(0.001), 0);
    assert.deepEqual(widenedRange(15, 50, 'int', 0.1), { min: 11, max: 54, clamped: false });
    assert.deepEqual(widenedRange(1, 3, 'int', 0.1), { min: 1, max: 4, clamped: true });
    assert.deepEqual(widenedRange(1, 11.71, 'float', 0.1), { min: 0.5, max: 12.8, clamped: true });
    assert.deepEqual(widenedRange(-5, 5, 'float', 0.1), { min: -6, max: 6, clamped: false });
  });

  describe('on the demo training data', () => {
    const demo = path.join(dir, 'demo');
    let session: DuckSession;
    before(async () => {
      await writeDemoWorkspace(demo, { seed: 42, rowsPerMonth: 300 });
      session = await DuckSession.open({ allowedDirectories: [demo] });
    });
    after(() => session.close());

    test('gives a sane, readable schema', async () => {
      const train = await openSource(path.join(demo, 'data/train/*.csv'));
      const { schema, notes, profile } = await inferSchema(session, train, { label: 'weight_pounds' });
      const f = schema.features;
      assert.deepEqual(Object.keys(f), profile.columns.map((c) => c.name));
      assert.deepEqual(
        Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.type])),
        { mother_age: 'int', gestation_weeks: 'int', plurality: 'int', is_male: 'bool', mother_race: 'string', cigarette_use: 'bool', alcohol_use: 'bool', event_date: 'timestamp', weight_pounds: 'float' },
      );
      assert.deepEqual([...f.mother_race!.domain!].sort(), [...NATALITY_RACES].sort());
      assert.deepEqual(f.mother_race!.drift, { l_infinity: { threshold: 0.1 } });
      for (const name of ['mother_age', 'gestation_weeks', 'weight_pounds']) {
        const col = profile.columns.find((c) => c.name === name)!;
        const r = f[name]!.range!;
        assert.ok(r.min! < (col.min as number) && r.max! > (col.max as number), `${name}: range ${r.min}..${r.max} widens ${col.min}..${col.max}`);
        assert.deepEqual(f[name]!.drift, { jensen_shannon: { threshold: 0.1 } });
      }
      assert.ok(f.weight_pounds!.range!.min! > 0, 'a weight of 0 stays out of range');
      assert.equal(f.mother_age!.presence!.min_fraction, 1);
      assert.ok(f.cigarette_use!.presence!.min_fraction! < 1 && f.cigarette_use!.presence!.min_fraction! >= 0.9);
      assert.deepEqual(f.weight_pounds!.not_in, ['SERVING']);
      assert.equal(f.weight_pounds!.skew, undefined, 'no skew check on a label serving never has');
      assert.equal(f.event_date!.range, undefined);
      assert.equal(f.event_date!.drift, undefined);
      assert.deepEqual(schema.default_environments, ['TRAINING', 'SERVING']);

      const yaml = schemaToYaml(schema, notes);
      assert.match(yaml, /domain: # domain kept: 5 values cover 100% of 3,600/);
      assert.match(yaml, /range: \{min: \d+, max: \d+\} # seen \d+ \.\. \d+; widened 10% of that span each side\n/);
      assert.match(yaml, /presence: \{min_fraction: 0\.95\} # seen: 98\.\d% present/);
      assert.deepEqual(parseSchema(yaml).schema, schema);
    });

    test('a label that is not a column is bad input', async () => {
      const train = await openSource(path.join(demo, 'data/train/natality-2024-01.csv'));
      await assert.rejects(inferSchema(session, train, { label: 'weight' }), /has no column "weight" to be the label; its columns are mother_age/);
    });
  });
});

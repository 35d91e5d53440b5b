/** The input contract on its own: transform.json written before input types were recorded, text cells, and the NaN-tolerant body parser. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FittedTransforms } from '../../src/core/features/spec';
import { instanceChecker } from '../../src/core/serve/instanceCheck';
import { parseJsonBody } from '../../src/core/serve/jsonBody';
import { readRequest } from '../../src/core/serve/requestFormat';

// A transform.json as versions trained before this change hold it: no `type` on any feature.
const OLD: FittedTransforms = {
  version: 1,
  features: [
    { name: 'age', kind: 'standardize', center: 30, scale: 5, impute: 30, outputs: ['age'] },
    { name: 'race', kind: 'one_hot', values: ['a', 'b'], oovBuckets: 0, outputs: ['race=a', 'race=b'] },
    { name: 'born', kind: 'date_parts', parts: ['month'], yearCenter: 0, yearScale: 1, outputs: [] },
  ],
  width: 3,
  fittedOn: 10,
};

describe('a transform.json without input types', () => {
  const check = instanceChecker({ transforms: OLD, extra: ['id'] });
  test('the transform kinds say what each input reads', () => {
    assert.equal(check.instance({ age: 31.5, race: 'a', born: '2024-01-02', id: 'x' }, 0), undefined);
    assert.equal(check.instance({ age: true, race: 3, born: null }, 0), undefined, 'bools read as 0/1, numbers as categories, null as unknown');
    const lots = check.instance({ age: 'lots', race: 'a', born: null }, 2);
    assert.deepEqual(lots, { instance: 2, field: 'age', rule: 'wrong_type', message: 'instances[2].age: expected a number (its transform reads numbers), got the string "lots"' });
    assert.equal(check.instance({ age: 1, race: { a: 1 }, born: null }, 0)?.rule, 'wrong_type');
    assert.match(check.instance({ age: 1, race: 'a', born: 'soon' }, 0)!.message, /^instances\[0\]\.born: expected a timestamp .*its transform reads dates/);
    assert.deepEqual(check.instance({ age: 1, race: 'a', born: null, note: 1 }, 0), { instance: 0, field: 'note', rule: 'unknown_field', message: 'instances[0]: unknown field "note" (the model reads age, race, born; also accepted: id)' });
    assert.equal(check.instance({ age: Number.NaN, race: 'a', born: null }, 0)?.rule, 'non_finite');
  });

  test('an input named as a property every object inherits is missing unless the row holds it', () => {
    const named: FittedTransforms = { ...OLD, features: [{ name: 'constructor', kind: 'standardize', center: 0, scale: 1, impute: 0, outputs: ['constructor'] }], width: 1 };
    const c = instanceChecker({ transforms: named });
    assert.equal(c.instance({}, 0)?.rule, 'missing_field');
    assert.equal(c.instance(parseJsonBody('{"constructor": 2}'), 0), undefined);
    assert.equal(c.instance(parseJsonBody('{"constructor": "x"}'), 0)?.rule, 'wrong_type');
  });

  test('out-of-domain categories are reported; in-domain and null are not', () => {
    assert.deepEqual(check.oov({ age: 1, race: 'z' }), ['race']);
    assert.equal(check.oov({ age: 1, race: 'b' }), undefined);
    assert.equal(check.oov({ age: 1, race: null }), undefined);
  });

  test('from a data file, numeric text is a number and other text is refused', () => {
    const text = instanceChecker({ transforms: OLD, unknownFields: false, fromText: true });
    assert.equal(text.instance({ age: '31', race: 'a', born: null, other: 1 }, 0), undefined);
    assert.equal(text.instance({ age: '3e1', race: 'a', born: null }, 0), undefined);
    assert.equal(text.instance({ age: '31 years', race: 'a', born: null }, 0)?.rule, 'wrong_type');
  });
});

describe('request bodies', () => {
  test('NaN, Infinity and -Infinity outside strings are numbers; inside strings they stay text', () => {
    const body = parseJsonBody('{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN \\" Infinity", "d": -1}') as Record<string, unknown>;
    assert.ok(Number.isNaN(body['a']));
    assert.deepEqual(body['b'], [Infinity, -Infinity]);
    assert.equal(body['c'], 'NaN " Infinity');
    assert.equal(body['d'], -1);
    assert.throws(() => parseJsonBody('{"a": Nope}'), SyntaxError);
    assert.throws(() => parseJsonBody('{"a": NaN'), SyntaxError);
  });

  test('__proto__ stays an own field', () => {
    const body = parseJsonBody('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['__proto__']);
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
    // Rows built from the columnar format and from bare values keep it an own field too.
    const columns = readRequest('predict', parseJsonBody('{"inputs": {"__proto__": [{"x": 1}], "a": [2]}}'), ['a', 'b']) as { rows: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(columns.rows[0]!), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(columns.rows[0]), Object.prototype);
    const bare = readRequest('predict', parseJsonBody('{"instances": [{"x": 1}, 3]}'), ['__proto__']) as { rows: Record<string, unknown>[] };
    assert.deepEqual(bare.rows.map((r) => Object.keys(r)), [['x'], ['__proto__']]);
    assert.equal(Object.getPrototypeOf(bare.rows[1]), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
  });
});

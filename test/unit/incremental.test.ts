import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Anomaly } from '../../src/core/schema/types';
import { changedRegion, mergeRegion } from '../../src/server/incremental';

const cell = (line: number, value: string): Anomaly => ({ feature: 'x', type: 'out_of_domain', severity: 'error', description: value, line, column: 1 });
const header: Anomaly = { feature: 'x', type: 'low_presence', severity: 'error', description: 'presence', line: 1, column: 1 };

test('changedRegion finds the edited lines', () => {
  assert.deepEqual(changedRegion(['h', 'a', 'b', 'c'], ['h', 'a', 'B', 'c']), { start: 2, oldEnd: 3, newEnd: 3 });
  assert.deepEqual(changedRegion(['h', 'a', 'c'], ['h', 'a', 'b', 'c']), { start: 2, oldEnd: 2, newEnd: 3 });
  assert.deepEqual(changedRegion(['h', 'a', 'b', 'c'], ['h', 'c']), { start: 1, oldEnd: 3, newEnd: 1 });
  assert.deepEqual(changedRegion(['h', 'a'], ['h', 'a']), { start: 2, oldEnd: 2, newEnd: 2 });
});

test('mergeRegion replaces the region, shifts what follows and keeps header findings', () => {
  // Old: line 2 bad, line 3 bad, line 5 bad. Line 3 (index 2) is edited into two lines, one bad.
  const previous = [header, cell(2, 'a'), cell(3, 'b'), cell(5, 'e')];
  const region = { start: 2, oldEnd: 3, newEnd: 4 };
  // The region was checked as lines 2.. of header + region: its second line (new line 4) is bad.
  const merged = mergeRegion(previous, region, [cell(3, 'new'), { ...header, description: 'stale presence of the part' }]);
  assert.deepEqual(
    merged.map((a) => [a.line, a.description]),
    [
      [1, 'presence'],
      [2, 'a'],
      [4, 'new'],
      [6, 'e'],
    ],
  );
});

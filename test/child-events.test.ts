// How `reproduce` hears from its child processes: JSON lines are events (even when a line arrives
// in two pieces), anything else is text that is passed on and kept for the failure message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { eventLine, parseEvent } from '../lib/experiments/child-events';
import { ChildMessage, runPool } from '../lib/experiments/pool';
import { Progress, ProgressReport, reportProgressTo } from '../lib/util/progress';
import { tmpDir } from './helpers';

test('parseEvent: an event with its fields, else plain text', () => {
  const progress = { event: 'progress', task: 'r1', done: 5, total: 10, fraction: 0.5, detail: 'loss 3.000', elapsed_s: 1, left_s: null } as const;
  assert.deepEqual(parseEvent(eventLine(progress).trim()), progress);
  assert.deepEqual(parseEvent('{"event":"done","runs":["a","b"],"seconds":3}'), { event: 'done', runs: ['a', 'b'], seconds: 3 });
  for (const text of ['r1 [####] 50.0% loss 3.0', '{ half a line', '{"event":"progress","task":"r1"}', '{"event":"done","runs":"a","seconds":3}',
    '{"event":"constructor"}', '{"message":"no event"}', '[1,2]', 'null']) {
    assert.equal(parseEvent(text), undefined, text);
  }
});

test('Progress reports as data when a sink is set, and draws again when it is removed', () => {
  const seen: ProgressReport[] = [];
  reportProgressTo((r) => seen.push(r));
  try {
    const p = new Progress('r1', 10);
    p.update(4, 'loss 2.500 100 tok/s');
    p.done('done: 10 steps');
  } finally {
    reportProgressTo();
  }
  assert.equal(seen.length, 2);
  const [u, d] = seen;
  assert.ok(u.event === 'progress' && u.task === 'r1' && u.done === 4 && u.total === 10 && u.fraction === 0.4 && u.detail === 'loss 2.500 100 tok/s', JSON.stringify(u));
  assert.deepEqual(d, { event: 'stage', task: 'r1', message: 'done: 10 steps' });
});

test('runPool: events are parsed whole, other lines are text, and a failure keeps its last words', async () => {
  const script = path.join(tmpDir('sl-pool-'), 'child.js');
  fs.writeFileSync(script, `
const progress = JSON.stringify({ event: 'progress', task: 'r1', done: 5, total: 10, fraction: 0.5, detail: 'loss 3.000 100 tok/s', elapsed_s: 1, left_s: 1 }) + '\\n';
if (process.argv[2] === 'ok') {
  process.stdout.write(progress.slice(0, 20)); // the rest arrives in a later read
  setTimeout(() => process.stdout.write(progress.slice(20) + JSON.stringify({ event: 'done', runs: ['r1'], seconds: 2 }) + '\\n'), 200);
} else {
  process.stderr.write('a warning before the crash\\n{ not an event either\\n');
  process.stdout.write(JSON.stringify({ event: 'error', message: 'it broke', internal: false }) + '\\n', () => process.exit(3));
}
`);
  const seen: [string, ChildMessage][] = [];
  const results = await runPool(script, [{ id: 'a', args: ['ok'] }, { id: 'b', args: ['fail'] }], 2, (id, m) => seen.push([id, m]));
  const of = (id: string) => seen.filter(([i]) => i === id).map(([, m]) => m);
  assert.deepEqual(of('a').map((m) => m.event), ['progress', 'done']);
  assert.equal((of('a')[0] as { fraction: number }).fraction, 0.5);
  const b = of('b');
  assert.deepEqual(b.filter((m) => m.event === 'text').map((m) => (m as { line: string }).line), ['a warning before the crash', '{ not an event either']);
  assert.ok(b.some((m) => m.event === 'error' && m.message === 'it broke'));
  const byId = new Map(results.map((r) => [r.id, r]));
  assert.equal(byId.get('a')!.code, 0);
  assert.equal(byId.get('a')!.done, true);
  assert.deepEqual(byId.get('a')!.tail, []);
  assert.equal(byId.get('b')!.code, 3);
  assert.equal(byId.get('b')!.done, false);
  assert.deepEqual([...byId.get('b')!.tail].sort(), ['a warning before the crash', 'error: it broke', '{ not an event either'].sort());
});

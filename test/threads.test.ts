// TensorFlow's thread count: planned from SPARSING_THREADS, a user's TF_NUM_INTRAOP_THREADS, or
// cores / SPARSING_JOBS; a malformed value is one clear error; the native backend really runs with it.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { planThreads, threadEnv as applyThreadsTo } from '../lib/backend/threads';
import { loadNative } from '../lib/backend/native';
import { UserError } from '../lib/util/errors';
import { runCommand } from './helpers';

test('planThreads: SPARSING_THREADS, then a user-set TF_NUM_INTRAOP_THREADS, then cores / SPARSING_JOBS', () => {
  assert.deepEqual(planThreads({}, 2), { threads: 2, why: '2 cores / 1 job' });
  assert.equal(planThreads({ SPARSING_JOBS: '2' }, 2).threads, 1);
  assert.equal(planThreads({ SPARSING_JOBS: '3' }, 2).threads, 1, 'never below one');
  assert.equal(planThreads({ SPARSING_JOBS: '2' }, 8).threads, 4);
  assert.equal(planThreads({ TF_NUM_INTRAOP_THREADS: '3', SPARSING_JOBS: '2' }, 2).threads, 3);
  assert.equal(planThreads({ SPARSING_THREADS: '1', TF_NUM_INTRAOP_THREADS: '3' }, 2).threads, 1);
  // the value an engine process set for itself is not a user's choice: its children plan their own
  assert.equal(planThreads({ TF_NUM_INTRAOP_THREADS: '2', SPARSING_TF_THREADS_SET: '2', SPARSING_JOBS: '2' }, 2).threads, 1);
  // what a process passes on to its children: its own plan is marked as such, a user's value is not
  const child = (env: NodeJS.ProcessEnv) => { const e = { ...env }; applyThreadsTo(e); return planThreads({ ...e, SPARSING_JOBS: '2' }, 2).threads; };
  assert.equal(child({}), 1, 'a parent that planned 2 threads for itself: the child plans 2 cores / 2 jobs');
  assert.equal(child({ TF_NUM_INTRAOP_THREADS: '2' }), 2, 'a user-set value reaches the children');
  for (const bad of [{ SPARSING_THREADS: '0' }, { SPARSING_THREADS: 'two' }, { SPARSING_JOBS: '-1' }, { TF_NUM_INTRAOP_THREADS: '1.5' }]) {
    assert.throws(() => planThreads(bad, 2), (e: Error) => e instanceof UserError && /is not a thread count/.test(e.message), JSON.stringify(bad));
  }
});

test('a malformed SPARSING_THREADS stops a command with one line, exit 2', () => {
  const r = runCommand('train', ['--preset', 'micro', '--tokens', '1k', '--out', path.join('/tmp', 'never-written')], { SPARSING_THREADS: 'lots' });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'error: SPARSING_THREADS=lots is not a thread count: use a whole number from 1 to 1024\n');
});

test('the native backend runs with the planned intra-op pool (its thread count follows SPARSING_THREADS)', (t) => {
  if (!loadNative()) { t.skip('native backend not set up'); return; }
  // A fresh process per count (TensorFlow reads the variable once); it runs one product, then counts its threads.
  const script = `
    const { initBackend, backendThreads } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'backend', 'select'))});
    const { tf } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'backend', 'tf'))});
    initBackend({ quiet: true }).then(() => {
      tf.matMul(tf.ones([256, 256]), tf.ones([256, 256])).dataSync();
      const tasks = require('fs').readdirSync('/proc/self/task').length;
      process.stdout.write(JSON.stringify({ backend: tf.getBackend(), threads: backendThreads().threads, tasks }));
    });`;
  const run = (n: number) => {
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, SPARSING_BACKEND: 'tensorflow', SPARSING_THREADS: String(n) } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { backend: string; threads: number; tasks: number };
  };
  const one = run(1), four = run(4);
  assert.equal(one.threads, 1);
  assert.equal(four.threads, 4);
  assert.equal(four.tasks - one.tasks, 3, `threads: ${one.tasks} with 1, ${four.tasks} with 4`);
});

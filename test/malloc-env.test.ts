// The glibc malloc settings (lib/backend/malloc-env.ts) reach every process that trains natively:
// reproduce's runs get them from the pool's environment; the kernel spec and the npm scripts carry
// the same values, checked here so that the copies cannot drift apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MALLOC_ENV, mallocTuned, withMallocEnv } from '../lib/backend/malloc-env';

const ROOT = [path.join(__dirname, '..', '..'), path.join(__dirname, '..')].find((d) => fs.existsSync(path.join(d, 'package.json')))!;

test('malloc env: added where missing, a value the user set wins', () => {
  const env = withMallocEnv({ PATH: '/bin', MALLOC_TOP_PAD_: '0' });
  assert.equal(env.PATH, '/bin');
  assert.equal(env.MALLOC_TOP_PAD_, '0', "the user's own value is kept");
  assert.equal(env.MALLOC_MMAP_THRESHOLD_, MALLOC_ENV.MALLOC_MMAP_THRESHOLD_);
  assert.ok(mallocTuned(env) && !mallocTuned({}));
});

test('malloc env: the kernel spec and the npm scripts carry the same values', () => {
  const kernel = JSON.parse(fs.readFileSync(path.join(ROOT, 'kernel-setup', 'jupyter', 'kernels', 'tslab', 'kernel.json'), 'utf8'));
  assert.deepEqual(kernel.env, MALLOC_ENV);
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
  const inline = Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`).join(' ');
  for (const s of ['train', 'test']) assert.ok(scripts[s].includes(`${inline} node `), `npm run ${s}: ${scripts[s]}`);
});

test('malloc env: reproduce starts its runs with it', () => {
  const src = fs.readFileSync(path.join(ROOT, 'lib', 'experiments', 'reproduce.ts'), 'utf8');
  assert.match(src, /const env = \{ \.\.\.withMallocEnv\(process\.env\)/);
});

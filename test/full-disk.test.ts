// A full disk and a read-only one during training: one line naming the file that could not be
// written and the last good checkpoint, which is intact, as is everything written before; after
// space is freed the same command resumes and ends with exactly the bytes of an uninterrupted run.
// Uses a small tmpfs where this process may mount one (root), else an injected ENOSPC.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSafetensors } from '../lib/checkpoint/safetensors';
import { runCommand, snapshot, tmpDir, unchangedFiles } from './helpers';

const FLAGS = ['--preset', 'micro', '--tokens', '4k', '--batch', '8', '--seq-len', '16', '--eval-tokens', '256', '--ckpt-first', '1k', '--ckpt-factor', '2', '--quiet'];
const trainArgs = (out: string) => [...FLAGS, '--out', out];

function mountTmpfs(dir: string, bytes: number, remount = false): boolean {
  try {
    execFileSync('mount', remount ? ['-o', `remount,rw,size=${bytes}`, dir] : ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const totalBytes = (dir: string) => [...snapshot(dir).values()].reduce((a, b) => a + b.length, 0);
const logRows = (d: string) => fs.readFileSync(path.join(d, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => { const { elapsed_s: _e, ...rest } = JSON.parse(l); return rest; });

let reference = '';
test.before(() => {
  reference = path.join(tmpDir(), 'run');
  const ref = runCommand('train', trainArgs(reference));
  assert.equal(ref.code, 0, ref.stderr);
});

for (const kind of ['tmpfs', 'injected'] as const) {
test(`a full disk (${kind}; then read-only, on a tmpfs) during training: clear lines, the last good checkpoint intact, and a resume gives the same bytes`, async (t) => {
  const refFiles = snapshot(reference);
  const mnt = tmpDir('sl-tmpfs-');
  // Room for the finished run but not for a second copy of the state while it is replaced: the
  // fault comes at a state save after the first checkpoint. Injected: after as many bytes written.
  const size = Math.ceil((totalBytes(reference) * 1.1) / 4096) * 4096;
  const tmpfs = kind === 'tmpfs' && mountTmpfs(mnt, size);
  if (kind === 'tmpfs' && !tmpfs) { t.skip('cannot mount a tmpfs here (not root?); the injected variant covers the full disk'); return; }
  try {
    const run = path.join(mnt, 'run');
    const full = runCommand('train', trainArgs(run), tmpfs ? {} : { SPARSING_FAIL_WRITES_AFTER_BYTES: String(size) });
    assert.equal(full.code, 2, full.stderr);
    const line = full.stderr.trim();
    assert.equal(line.split('\n').length, 1, line);
    const m = new RegExp(`^error: could not write ${run}/\\S+: no space left on device \\(ENOSPC\\); the last good checkpoint (${run}/checkpoints/tokens-\\d+)(?:, the saved state \\(step (\\d+)\\))? and everything written before are intact: free space \\(or fix permissions\\) and rerun the same command to resume$`).exec(line);
    assert.ok(m, line);
    t.diagnostic(line.replace(new RegExp(run, 'g'), 'RUN'));
    // What was written before the fault is intact: each checkpoint byte for byte as in the
    // uninterrupted run, the state readable at the step named, no temporary files left behind.
    const atFault = snapshot(run);
    const ckpts = [...atFault.keys()].filter((p) => p.startsWith('checkpoints/'));
    assert.ok(ckpts.length >= 3 && ckpts.some((p) => m[1].endsWith(path.dirname(p))), `checkpoints at the fault: ${ckpts}`);
    for (const p of ckpts) assert.ok(atFault.get(p)!.equals(refFiles.get(p)!), `${p} differs from the uninterrupted run`);
    if (m[2]) assert.equal(readSafetensors(path.join(run, 'state.safetensors')).metadata.step, m[2]);
    assert.deepEqual([...atFault.keys()].filter((p) => p.endsWith('.tmp') || p.includes('.tmp/')), [], 'no temporary files');
    assert.ok(!atFault.has('done.json'));

    if (tmpfs) {
      // Read-only: refused in one line, nothing touched.
      execFileSync('mount', ['-o', 'remount,ro', mnt]);
      const ro = runCommand('train', trainArgs(run));
      assert.equal(ro.code, 2, ro.stderr);
      assert.match(ro.stderr.trim(), new RegExp(`^error: could not write ${run}/\\.lock: read-only file system \\(EROFS\\); the last good checkpoint ${m[1]}.* intact: free space \\(or fix permissions\\) and rerun the same command to resume$`));
      t.diagnostic(ro.stderr.trim().replace(new RegExp(run, 'g'), 'RUN'));
      assert.deepEqual(unchangedFiles(atFault, run), { changed: [], added: [] });
      assert.ok(mountTmpfs(mnt, size * 4, true), 'remount with more space');
    }
    const resumed = runCommand('train', trainArgs(run));
    assert.equal(resumed.code, 0, resumed.stderr);
    const after = snapshot(run);
    for (const [p, b] of refFiles) {
      if (p.startsWith('checkpoints/') || p === 'state.safetensors') assert.ok(after.get(p)?.equals(b), `${p} differs from the uninterrupted run`);
    }
    assert.deepEqual([...after.keys()].filter((p) => p.startsWith('checkpoints/')).sort(), [...refFiles.keys()].filter((p) => p.startsWith('checkpoints/')).sort());
    assert.deepEqual(logRows(run), logRows(reference));
    const done = JSON.parse(after.get('done.json')!.toString()), refDone = JSON.parse(refFiles.get('done.json')!.toString());
    assert.equal(done.finalValLoss, refDone.finalValLoss);
  } finally {
    if (tmpfs) execFileSync('umount', [mnt]);
  }
});
}

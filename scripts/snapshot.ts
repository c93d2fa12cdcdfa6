// Makes or refits the committed snapshot of a profile's results (lib/experiments/snapshot.ts).
//   node dist/scripts/snapshot.js --profile default            copy data/results/default to data/snapshots/default
//   node dist/scripts/snapshot.js --profile default --refit    redo the snapshot's fits and tables, then its figures
// Both refuse a dirty working tree (and measurements made from one) unless --allow-dirty is given.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../lib/backend/select';
import { loadResults } from '../lib/experiments/results';
import { makeSnapshot, refitSnapshot } from '../lib/experiments/snapshot';
import { saveFindingFigures } from '../lib/findings/figures';
import { UserError, runCli } from '../lib/util/errors';

async function main(argv: string[]): Promise<void> {
  let profile = 'default';
  let refit = false;
  let allowDirty = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--profile') profile = argv[++i] ?? '';
    else if (a.startsWith('--profile=')) profile = a.slice('--profile='.length);
    else if (a === '--refit') refit = true;
    else if (a === '--allow-dirty') allowDirty = true;
    else throw new UserError(`unknown argument "${a}" (usage: snapshot.js --profile NAME [--refit] [--allow-dirty])`);
  }
  if (!profile) throw new UserError('--profile needs a name');
  await initBackend({ quiet: true }); // provenance records the backend

  const dir = refit ? refitSnapshot(profile, { allowDirty }) : makeSnapshot(profile, { allowDirty });
  if (refit) {
    const figs = path.join(dir, 'figures');
    // Only the PNG and the Vega-Lite JSON are committed; the SVG is a by-product of rendering.
    fs.rmSync(figs, { recursive: true, force: true });
    for (const f of await saveFindingFigures(loadResults(profile, dir), figs)) void f;
    for (const f of fs.readdirSync(figs)) if (f.endsWith('.svg')) fs.rmSync(path.join(figs, f));
  }
  process.stdout.write(`snapshot ${refit ? 'refitted' : 'written'}: ${dir}\n`);
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));

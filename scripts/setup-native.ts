// npm run setup:native      native CPU backend: @tensorflow/tfjs-node + the tensorflow-cpu pip wheel
// npm run setup:native-gpu  native GPU backend: @tensorflow/tfjs-node-gpu + the tensorflow wheel + its CUDA 12 wheels
//
// tfjs-node's own install script downloads libtensorflow 2.9.1 from storage.googleapis.com, which is
// unreachable here (and returns 403 elsewhere). The TensorFlow pip wheel carries the same C API in
// tensorflow/libtensorflow_cc.so.2 + libtensorflow_framework.so.2 and the headers in tensorflow/include,
// so this script builds the unmodified binding against them:
//   1. pip download --no-deps <wheel>==2.21.0            -> .native/cache/        (cached)
//   2. npm install --ignore-scripts <tfjs-node>@4.22.0    -> .native/<variant>/     (separate prefix)
//      then delete its nested @tensorflow/tfjs* copies, so it resolves the main node_modules' tfjs-core
//   3. unzip the two libraries (stripped) and the ~14 C API headers into the package's deps/lib, deps/include,
//      with the names binding.gyp links (-ltensorflow) and install.js checks (libtensorflow.so.2.9.1)
//   4. node-pre-gyp rebuild --build-from-source --build-latest-napi-version-only
//   5. verify in a fresh process: tf.getBackend() === 'tensorflow' on the project's tfjs, one tfjs-core,
//      gradients equal to the pure-JS backend; then write .native/<variant>/native.json (what loadNative reads)
// Idempotent: every step is skipped when its output is already there; --force redoes 3-5.
// If pip, python3, a C++ compiler or make is missing it prints one line and exits 0 (WASM stays in use);
// other failures also exit 0 with a one-line reason unless --strict is given.
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Scalar } from '../lib/backend/tf';
import { nativeDir, nativePackageDir, projectRoot, readStamp, writeStamp, NativeStamp, NativeVariant } from '../lib/backend/native';

const TF_VERSION = process.env.SPARSING_NATIVE_TF_VERSION || '2.21.0';
const TFJS_NODE_VERSION = '4.22.0';
const TFJS_LIB_VERSION = '2.9.1'; // the name tfjs-node's install.js and deps-constants.js expect
const HEADER_ROOTS = [
  'tensorflow/c/c_api.h', 'tensorflow/c/eager/c_api.h', 'tensorflow/c/tf_datatype.h',
  'tensorflow/c/tf_status.h', 'tensorflow/c/tf_tensor.h', 'tensorflow/core/platform/ctstring_internal.h',
];
const LIBS = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];

const args = new Set(process.argv.slice(2));
const variant: NativeVariant = args.has('--gpu') ? 'gpu' : 'cpu';
const FORCE = args.has('--force');
const STRICT = args.has('--strict') || process.env.SPARSING_NATIVE_STRICT === '1';
// GPU options: --no-cuda-wheels (or SPARSING_NATIVE_CUDA_WHEELS=none) uses the system's CUDA 12 + cuDNN 9;
// SPARSING_NATIVE_CUDA_WHEELS=spec,spec replaces the wheel's "and-cuda" list. Test hook:
// SPARSING_NATIVE_GPU_WHEEL=tensorflow-cpu runs the GPU package flow where no GPU wheel exists.
const WHEEL = variant === 'gpu' ? (process.env.SPARSING_NATIVE_GPU_WHEEL || 'tensorflow') : 'tensorflow-cpu';
const PKG = variant === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
const TAG = `[setup:native${variant === 'gpu' ? '-gpu' : ''}]`;

const ROOT = projectRoot();
const BASE = path.dirname(nativeDir(variant));
const CACHE = path.join(BASE, 'cache');
const DIR = nativeDir(variant);
const PKG_DIR = nativePackageDir(variant);
const LOG = path.join(DIR, 'setup.log');
const t0 = Date.now();

class Skip extends Error {}

function say(msg: string): void {
  process.stdout.write(`${TAG} ${msg}\n`);
}
function step(msg: string): void {
  say(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${msg}`);
}
function secs(): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}
function rel(p: string): string {
  return path.relative(ROOT, p) || '.';
}
function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

interface Run { ok: boolean; out: string }
function run(cmd: string, argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; log?: boolean } = {}): Run {
  const r = cp.spawnSync(cmd, argv, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 256 << 20 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  if (opts.log !== false && fs.existsSync(DIR)) {
    fs.appendFileSync(LOG, `\n$ ${[cmd, ...argv].join(' ')}   (cwd ${opts.cwd ?? ROOT})\n${out}`);
  }
  return { ok: r.status === 0, out };
}
function lastLines(s: string, n = 1): string {
  return s.trim().split('\n').filter((l) => l.trim()).slice(-n).join(' | ');
}

// ---------------------------------------------------------------- prerequisites
interface Tools { python: string; pythonVersion: string; pip: string[]; nodedir?: string }
function findTools(): Tools {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Skip(`the pip-wheel native backend is set up for linux x86_64 only (this is ${process.platform} ${process.arch}); the WASM backend stays in use`);
  }
  const python = [process.env.PYTHON, 'python3', 'python'].find((p) => p && run(p, ['--version'], { log: false }).ok);
  if (!python) throw new Skip('python3 not found (needed by pip and node-gyp); the WASM backend stays in use');
  const pythonVersion = run(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { log: false }).out.trim();
  let pip: string[] | undefined;
  if (run(python, ['-m', 'pip', '--version'], { log: false }).ok) pip = [python, '-m', 'pip'];
  else for (const p of ['pip3', 'pip']) if (run(p, ['--version'], { log: false }).ok) { pip = [p]; break; }
  if (!pip) throw new Skip('pip not found (python3 -m pip); the WASM backend stays in use');
  const cxx = process.env.CXX || 'c++';
  if (!run(cxx, ['--version'], { log: false }).ok && !run('g++', ['--version'], { log: false }).ok) {
    throw new Skip(`no C++ compiler (${cxx} / g++) found; the WASM backend stays in use`);
  }
  if (!run('make', ['--version'], { log: false }).ok) throw new Skip('make not found; the WASM backend stays in use');
  // Node headers for node-gyp: use the installed ones rather than downloading them from nodejs.org.
  let nodedir = process.env.npm_config_nodedir;
  if (!nodedir) {
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) nodedir = prefix;
  }
  return { python, pythonVersion, pip, nodedir };
}

// ---------------------------------------------------------------- 1. wheels
function findWheel(dir: string, dist: string, version?: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const norm = dist.replace(/[-.]/g, '_').toLowerCase();
  return fs.readdirSync(dir).find((f) => f.endsWith('.whl') && f.toLowerCase().startsWith(`${norm}-${version ? version + '-' : ''}`));
}

function pipDownload(tools: Tools, spec: string, dist: string, version: string | undefined, dest: string): string {
  const cached = findWheel(dest, dist, version);
  if (cached) { say(`wheel ${spec}: cached ${rel(path.join(dest, cached))}`); return path.join(dest, cached); }
  fs.mkdirSync(dest, { recursive: true });
  step(`pip download --no-deps ${spec} -> ${rel(dest)}/`);
  let r = run(tools.pip[0], [...tools.pip.slice(1), 'download', '--no-deps', '--only-binary=:all:', spec, '-d', dest]);
  // The wheel's libraries do not use libpython, so its Python tag does not matter: where this
  // interpreter is one TensorFlow publishes no wheels for, ask for the cp311 wheel instead.
  if (!r.ok && /No matching distribution/i.test(r.out) && !['3.10', '3.11', '3.12', '3.13'].includes(tools.pythonVersion)) r = run(tools.pip[0], [...tools.pip.slice(1), 'download', '--no-deps', '--only-binary=:all:', '--python-version', '3.11', '--implementation', 'cp', spec, '-d', dest]);
  const got = findWheel(dest, dist, version);
  if (!r.ok || !got) throw new Skip(`pip could not download ${spec} (${lastLines(r.out)}); the ${variant === 'gpu' ? 'CPU/WASM backends stay' : 'WASM backend stays'} in use`);
  say(`  ${got}: ${mb(fs.statSync(path.join(dest, got)).size)}`);
  return path.join(dest, got);
}

/** Requires-Dist lines of the wheel's METADATA for the given extra. */
function extraRequirements(tools: Tools, wheel: string, extra: string): string[] {
  const py = `
import sys, zipfile, re
z = zipfile.ZipFile(sys.argv[1])
md = [n for n in z.namelist() if n.endswith('.dist-info/METADATA')][0]
for line in z.read(md).decode().splitlines():
    m = re.match(r'Requires-Dist:\\s*(.+?);\\s*extra\\s*==\\s*"' + sys.argv[2] + '"', line)
    if m: print(m.group(1).replace(' ', ''))
`;
  const r = run(tools.python, ['-c', py, wheel, extra], { log: false });
  if (!r.ok) throw new Error(`could not read the METADATA of ${path.basename(wheel)}: ${lastLines(r.out)}`);
  return r.out.split('\n').map((s) => s.trim()).filter(Boolean);
}

// ---------------------------------------------------------------- 2. npm package in its own prefix
function npmCommand(): string[] {
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.js$/.test(cli) && fs.existsSync(cli)) return [process.execPath, cli];
  return ['npm'];
}

function installPackage(): void {
  const pj = path.join(PKG_DIR, 'package.json');
  const have = fs.existsSync(pj) ? (JSON.parse(fs.readFileSync(pj, 'utf8')) as { version?: string }).version : undefined;
  if (have === TFJS_NODE_VERSION && fs.existsSync(path.join(PKG_DIR, 'binding.gyp'))) {
    say(`${PKG}@${have}: already installed in ${rel(DIR)}`);
  } else {
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(path.join(DIR, 'package.json'), JSON.stringify({
      name: `sparsing-law-native-${variant}`, private: true,
      description: 'Written by scripts/setup-native.ts; git-ignored. Holds the native tfjs binding only.',
      dependencies: { [PKG]: TFJS_NODE_VERSION },
    }, null, 2) + '\n');
    step(`npm install --ignore-scripts ${PKG}@${TFJS_NODE_VERSION} --prefix ${rel(DIR)}`);
    const [npm, ...pre] = npmCommand();
    // Keep the parent `npm run`'s per-project settings out of the child npm.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(package_|lifecycle_|config_(local_prefix|global_prefix|prefix)$)/i.test(k)));
    const r = run(npm, [...pre, 'install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', DIR], { cwd: DIR, env });
    if (!r.ok || !fs.existsSync(path.join(PKG_DIR, 'binding.gyp'))) throw new Skip(`npm install of ${PKG} failed (${lastLines(r.out)}); the WASM backend stays in use`);
  }
  dedupeTfjs();
}

/**
 * The package pulled its own @tensorflow/tfjs, tfjs-core, ... Delete every nested @tensorflow package
 * except the binding package, so that Node resolves them from the main project's node_modules
 * (.native sits inside the project). One tfjs-core instance, or the backend registers on the wrong one.
 */
function dedupeTfjs(): void {
  const mainCore = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-core', 'package.json');
  const mainTfjs = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs', 'package.json');
  if (!fs.existsSync(mainCore) || !fs.existsSync(mainTfjs)) throw new Error('the main node_modules has no @tensorflow/tfjs / tfjs-core (run npm ci first)');
  const coreVersion = (JSON.parse(fs.readFileSync(mainCore, 'utf8')) as { version: string }).version;
  if (coreVersion !== TFJS_NODE_VERSION) say(`warning: main tfjs-core is ${coreVersion}, the binding package is ${TFJS_NODE_VERSION}`);
  const removed: string[] = [];
  const walk = (nm: string, depth: number): void => {
    if (depth > 4 || !fs.existsSync(nm)) return;
    for (const entry of fs.readdirSync(nm)) {
      const p = path.join(nm, entry);
      if (entry === '@tensorflow') {
        for (const sub of fs.readdirSync(p)) {
          const full = path.join(p, sub);
          if (`@tensorflow/${sub}` === PKG) { walk(path.join(full, 'node_modules'), depth + 1); continue; }
          fs.rmSync(full, { recursive: true, force: true });
          removed.push(path.relative(DIR, full));
        }
      } else if (entry.startsWith('@')) {
        for (const sub of fs.readdirSync(p)) walk(path.join(p, sub, 'node_modules'), depth + 1);
      } else if (!entry.startsWith('.')) {
        walk(path.join(p, 'node_modules'), depth + 1);
      }
    }
  };
  walk(path.join(DIR, 'node_modules'), 0);
  if (removed.length) say(`removed the nested tfjs copies (${removed.map((r) => r.replace(/^node_modules\//, '')).join(', ')}): they resolve to the project's tfjs-core ${coreVersion}`);
}

// ---------------------------------------------------------------- 3. libraries and headers
const EXTRACT_PY = `
import sys, os, re, zipfile, shutil, json
wheel, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
z = zipfile.ZipFile(wheel)
names = set(z.namelist())
done = []
def put(member, dest):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = dest + '.part'
    with z.open(member) as src, open(tmp, 'wb') as dst:
        shutil.copyfileobj(src, dst, 1 << 22)
    os.replace(tmp, dest)
    done.append(dest)
if mode == 'tf':
    roots, libs = json.loads(sys.argv[4]), json.loads(sys.argv[5])
    for lib in libs:
        put('tensorflow/' + lib, os.path.join(out, 'lib', lib))
    P = 'tensorflow/include/'
    todo, seen, missing = list(roots), set(), []
    while todo:
        h = todo.pop()
        if h in seen: continue
        seen.add(h)
        if P + h not in names:
            missing.append(h); continue
        text = z.read(P + h).decode('utf-8', 'replace')
        todo += re.findall(r'^[ \\t]*#[ \\t]*include[ \\t]*"([^"]+)"', text, re.M)
        put(P + h, os.path.join(out, 'include', h))
    if missing: print('MISSING ' + ' '.join(sorted(missing)))
else:
    # CUDA wheels: nvidia/<pkg>/lib/*.so*, plus ptxas and libdevice from cuda_nvcc, in their wheel layout
    for n in sorted(names):
        if n.endswith('/'): continue
        if re.match(r'^nvidia/.+/lib/[^/]+\\.so(\\.[0-9]+)*$', n) or re.match(r'^nvidia/.+/(bin/ptxas|nvvm/libdevice/[^/]+)$', n):
            put(n, os.path.join(out, n))
            if '/bin/' in n: os.chmod(os.path.join(out, n), 0o755)
print('EXTRACTED %d' % len(done))
`;

function du(p: string): number {
  const st = fs.lstatSync(p);
  if (st.isSymbolicLink()) return 0;
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((s, e) => s + du(path.join(p, e)), 0);
}

function symlink(target: string, link: string): void {
  try { fs.unlinkSync(link); } catch { /* absent */ }
  fs.symlinkSync(target, link);
}

function layOutDeps(tools: Tools, wheel: string, cudaWheels: string[]): void {
  const deps = path.join(PKG_DIR, 'deps');
  const marker = path.join(deps, 'from-wheel.json');
  const want = JSON.stringify({ wheel: path.basename(wheel), cuda: cudaWheels.map((w) => path.basename(w)) });
  if (!FORCE && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === want
      && LIBS.every((l) => fs.existsSync(path.join(deps, 'lib', l)))) {
    say(`deps/lib, deps/include: already laid out from ${path.basename(wheel)} (${mb(du(path.join(deps, 'lib')))})`);
    return;
  }
  fs.rmSync(deps, { recursive: true, force: true });
  fs.mkdirSync(path.join(deps, 'lib'), { recursive: true });
  step(`unzip ${LIBS.join(' + ')} and the C API headers from ${path.basename(wheel)} -> ${rel(deps)}/{lib,include}`);
  const r = run(tools.python, ['-c', EXTRACT_PY, wheel, deps, 'tf', JSON.stringify(HEADER_ROOTS), JSON.stringify(LIBS)]);
  if (!r.ok || !LIBS.every((l) => fs.existsSync(path.join(deps, 'lib', l)))) throw new Error(`extracting from ${path.basename(wheel)} failed: ${lastLines(r.out)}`);
  const missing = /MISSING (.+)/.exec(r.out);
  if (missing) throw new Error(`the wheel lacks headers the binding needs: ${missing[1]}`);
  const headers = fs.readdirSync(path.join(deps, 'include'), { recursive: true }).map(String).filter((f) => f.endsWith('.h')).length;
  const before = du(path.join(deps, 'lib'));
  if (run('strip', ['--version'], { log: false }).ok) {
    for (const lib of LIBS) {
      const s = run('strip', ['--strip-unneeded', path.join(deps, 'lib', lib)]);
      if (!s.ok) say(`  strip ${lib} failed (${lastLines(s.out)}); keeping it unstripped`);
    }
    say(`  ${headers} headers; libraries stripped ${mb(before)} -> ${mb(du(path.join(deps, 'lib')))}`);
  } else {
    say(`  ${headers} headers; strip not found, libraries left at ${mb(before)}`);
  }
  // The names binding.gyp links (-ltensorflow -ltensorflow_framework) and scripts/install.js checks.
  // At run time the binding asks for the SONAMEs libtensorflow_cc.so.2 / libtensorflow_framework.so.2.
  const lib = path.join(deps, 'lib');
  symlink('libtensorflow_cc.so.2', path.join(lib, 'libtensorflow.so'));
  symlink('libtensorflow_cc.so.2', path.join(lib, 'libtensorflow.so.2'));
  symlink('libtensorflow_cc.so.2', path.join(lib, `libtensorflow.so.${TFJS_LIB_VERSION}`));
  symlink('libtensorflow_framework.so.2', path.join(lib, 'libtensorflow_framework.so'));
  symlink('libtensorflow_framework.so.2', path.join(lib, `libtensorflow_framework.so.${TFJS_LIB_VERSION}`));

  if (cudaWheels.length) {
    // GPU: TensorFlow's GPU libraries carry RUNPATH $ORIGIN/../nvidia/<pkg>/lib (the site-packages layout),
    // so the CUDA wheels go to deps/nvidia/...; every .so is also linked into deps/lib ($ORIGIN of libtensorflow_cc).
    for (const w of cudaWheels) {
      say(`  unzip the CUDA libraries of ${path.basename(w)} -> ${rel(deps)}/nvidia/`);
      const c = run(tools.python, ['-c', EXTRACT_PY, w, deps, 'cuda']);
      if (!c.ok) throw new Error(`extracting ${path.basename(w)} failed: ${lastLines(c.out)}`);
    }
    const nvidia = path.join(deps, 'nvidia');
    let linked = 0;
    if (fs.existsSync(nvidia)) {
      for (const f of fs.readdirSync(nvidia, { recursive: true }).map(String)) {
        if (/(^|\/)lib\/[^/]+\.so(\.\d+)*$/.test(f)) {
          const target = path.join('..', 'nvidia', f);
          const link = path.join(lib, path.basename(f));
          if (!fs.existsSync(link)) { symlink(target, link); linked++; }
        }
      }
    }
    say(`  ${linked} CUDA libraries linked into deps/lib; deps now ${mb(du(deps))}`);
  }
  fs.writeFileSync(marker, want + '\n');
}

// ---------------------------------------------------------------- 4. build
function buildBinding(tools: Tools): { binding: string; napi: number } {
  const pregypPkg = require.resolve('@mapbox/node-pre-gyp/package.json', { paths: [PKG_DIR] });
  const pregypDir = path.dirname(pregypPkg);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pregyp = require(pregypDir) as { find(pkgJson: string): string };
  const target = pregyp.find(path.join(PKG_DIR, 'package.json'));
  const napi = Number(/napi-v(\d+)/.exec(target)?.[1] ?? process.versions.napi);
  const deps = path.join(PKG_DIR, 'deps', 'lib', LIBS[0]);
  if (!FORCE && fs.existsSync(target) && fs.statSync(target).mtimeMs >= fs.statSync(deps).mtimeMs) {
    say(`binding: already built (${rel(target)})`);
    return { binding: path.relative(DIR, target), napi };
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (tools.nodedir) env.npm_config_nodedir = tools.nodedir;
  if (!env.npm_config_node_gyp) {
    const cli = process.env.npm_execpath;
    const candidates = [
      cli && path.join(path.dirname(cli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
      path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    ];
    const found = candidates.find((c) => c && fs.existsSync(c));
    if (found) env.npm_config_node_gyp = found;
  }
  env.npm_config_python ||= tools.python;
  env.JOBS ||= String(Math.max(1, Math.min(os.cpus().length, 4)));
  step(`node-pre-gyp rebuild --build-from-source --build-latest-napi-version-only  (in ${rel(PKG_DIR)}${tools.nodedir ? `, nodedir ${tools.nodedir}` : ', Node headers from nodejs.org'})`);
  const tb = Date.now();
  const r = run(process.execPath, [path.join(pregypDir, 'bin', 'node-pre-gyp'), 'rebuild', '--build-from-source', '--build-latest-napi-version-only'], { cwd: PKG_DIR, env });
  if (!r.ok || !fs.existsSync(target)) throw new Error(`building the binding failed (${lastLines(r.out, 2)}); full log in ${rel(LOG)}`);
  say(`  built ${rel(target)} in ${((Date.now() - tb) / 1000).toFixed(0)} s`);
  return { binding: path.relative(DIR, target), napi };
}

// ---------------------------------------------------------------- 5. verify (in a fresh process)
interface VerifyResult { backend: string; detail: string; cores: string[]; gpuDevice: boolean; maxRelDiff: number; error?: string }

async function verifyHere(v: NativeVariant): Promise<void> {
  const out = (r: Partial<VerifyResult>): void => { process.stdout.write(`VERIFY ${JSON.stringify(r)}\n`); };
  try {
    const { loadNative, nativeUnavailableReason } = await import('../lib/backend/native');
    const { tf } = await import('../lib/backend/tf');
    const detail = loadNative(v);
    if (!detail) { out({ error: nativeUnavailableReason() || 'loadNative() returned undefined' }); return; }
    const grads = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor2d(Array.from({ length: 8 * 16 }, (_, i) => Math.sin(i * 0.37)), [8, 16]);
        const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 0], 'int32'), 7).toFloat();
        const w = tf.variable(tf.tensor2d(Array.from({ length: 16 * 7 }, (_, i) => Math.cos(i * 0.11) * 0.3), [16, 7]), true, `verify_w_${backend}`);
        const { value, grads: g } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, x.matMul(w)) as Scalar, [w]);
        const res = [value.dataSync() as Float32Array, g[w.name].dataSync() as Float32Array];
        w.dispose();
        return res.map((a) => Float32Array.from(a));
      });
    };
    const ref = await grads('cpu');
    const nat = await grads('tensorflow');
    const backend = tf.getBackend();
    let maxRelDiff = 0;
    ref.forEach((a, k) => a.forEach((x, i) => { maxRelDiff = Math.max(maxRelDiff, Math.abs(x - nat[k][i]) / Math.max(Math.abs(x), 1e-6)); }));
    // Every tfjs-core instance loaded in this process, by package directory.
    const cores = [...new Set(Object.keys(require.cache).map((f) => /^(.*[\\/]@tensorflow[\\/]tfjs-core)[\\/]/.exec(f)?.[1]).filter((d): d is string => !!d))];
    const gpuDevice = /native GPU,/.test(detail);
    out({ backend, detail, cores, gpuDevice, maxRelDiff });
  } catch (e) {
    out({ error: (e as Error).message.split('\n')[0] });
  }
}

function verify(): VerifyResult {
  const r = cp.spawnSync(process.execPath, [...process.execArgv, __filename, '--verify', variant], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, SPARSING_QUIET_BACKEND: '1', SPARSING_NATIVE_UNVERIFIED: '1' }, maxBuffer: 64 << 20,
  });
  fs.appendFileSync(LOG, `\n$ verify\n${r.stdout}${r.stderr}`);
  const line = (r.stdout || '').split('\n').find((l) => l.startsWith('VERIFY '));
  if (!line) throw new Error(`the verification process failed (${lastLines(`${r.stdout}${r.stderr}`)})`);
  const v = JSON.parse(line.slice(7)) as VerifyResult;
  if (v.error) throw new Error(`the native backend does not load: ${v.error}`);
  const mainCore = fs.realpathSync(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-core'));
  if (v.backend !== 'tensorflow') throw new Error(`tf.getBackend() is '${v.backend}', not 'tensorflow'`);
  if (v.cores.length !== 1 || fs.realpathSync(v.cores[0]) !== mainCore) throw new Error(`tfjs-core loaded from ${v.cores.join(', ')}; expected only ${mainCore}`);
  if (!(v.maxRelDiff < 1e-4)) throw new Error(`gradients differ from the pure-JS backend by ${v.maxRelDiff}`);
  return v;
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  if (args.has('--verify')) { await verifyHere((process.argv[process.argv.indexOf('--verify') + 1] as NativeVariant) || 'cpu'); return; }
  const stamp = readStamp(variant);
  if (!FORCE && stamp?.verified && stamp.tensorflow === TF_VERSION && stamp.wheel.toLowerCase().startsWith(WHEEL.replace(/-/g, '_') + '-')
      && stamp.packageVersion === TFJS_NODE_VERSION && stamp.node === process.version && fs.existsSync(path.join(DIR, stamp.binding))) {
    fs.mkdirSync(DIR, { recursive: true });
    const v = verify();
    say(`up to date: ${v.detail}; tf.getBackend() = ${v.backend}, one tfjs-core, max rel. diff vs cpu ${v.maxRelDiff.toExponential(1)} (${secs()}; --force rebuilds)`);
    return;
  }
  const tools = findTools();
  say(`${variant === 'gpu' ? 'native GPU' : 'native CPU'} backend: ${PKG}@${TFJS_NODE_VERSION} built against the ${WHEEL}==${TF_VERSION} pip wheel, in ${rel(DIR)}/`);
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(LOG, `setup-native ${variant} ${new Date().toISOString()}\n`);
  const wheel = pipDownload(tools, `${WHEEL}==${TF_VERSION}`, WHEEL, TF_VERSION, CACHE);
  let cudaWheels: string[] = [];
  if (variant === 'gpu') {
    const override = process.env.SPARSING_NATIVE_CUDA_WHEELS?.trim() || (args.has('--no-cuda-wheels') ? 'none' : '');
    if (override === 'none') {
      say('no CUDA wheels (--no-cuda-wheels): TensorFlow will look for CUDA 12 / cuDNN 9 on the system library path');
    } else {
      const reqs = override ? override.split(',').map((r) => r.trim()).filter(Boolean) : extraRequirements(tools, wheel, 'and-cuda');
      say(`${override ? 'SPARSING_NATIVE_CUDA_WHEELS asks for' : `${WHEEL} ${TF_VERSION} wants`} ${reqs.length} CUDA wheels${override ? '' : ' (its extra "and-cuda"; about 2.5-3 GB from PyPI, unmeasured here)'}: ${reqs.map((r) => r.replace(/[<>=!~].*$/, '')).join(' ')}`);
      cudaWheels = reqs.map((spec) => pipDownload(tools, spec, spec.replace(/[<>=!~;[ ].*$/, ''), undefined, path.join(CACHE, 'cuda')));
    }
  }
  installPackage();
  layOutDeps(tools, wheel, cudaWheels);
  const { binding, napi } = buildBinding(tools);
  const s: NativeStamp = {
    format: 1, variant, package: PKG, packageVersion: TFJS_NODE_VERSION, tensorflow: TF_VERSION,
    wheel: path.basename(wheel), binding, napi, node: process.version, builtAt: new Date().toISOString(),
    ...(cudaWheels.length ? { cuda: cudaWheels.map((w) => path.basename(w)) } : {}),
  };
  writeStamp(s); // unverified: loadNative() ignores it outside the verification process
  step('verifying in a fresh process: tf.getBackend(), one tfjs-core, gradients vs the pure-JS backend');
  const v = verify();
  s.verified = { backend: v.backend, gpuDevice: v.gpuDevice, maxRelDiff: v.maxRelDiff };
  writeStamp(s);
  step(`done: ${v.detail}; tf.getBackend() = ${v.backend}, one tfjs-core, max rel. diff vs cpu ${v.maxRelDiff.toExponential(1)}`);
  say(`disk: ${rel(DIR)} ${mb(du(DIR))}, wheel cache ${rel(CACHE)} ${mb(fs.existsSync(CACHE) ? du(CACHE) : 0)} (rm -r ${rel(CACHE)} to reclaim it)`);
  if (variant === 'gpu' && !v.gpuDevice) say('note: built, but no GPU device is in use in this process (no NVIDIA GPU/driver visible?); it runs on the CPU');
}

main().catch((e: unknown) => {
  const msg = (e as Error).message;
  if (e instanceof Skip) {
    say(`skipped: ${msg}`);
    process.exitCode = STRICT ? 1 : 0;
  } else {
    say(`failed: ${msg}; the ${variant === 'gpu' ? 'CPU/WASM backends stay' : 'WASM backend stays'} in use${fs.existsSync(LOG) ? ` (log: ${rel(LOG)})` : ''}`);
    process.exitCode = STRICT ? 1 : 0;
  }
});

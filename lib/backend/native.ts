// Native TensorFlow backend: @tensorflow/tfjs-node(-gpu) whose binding `npm run setup:native`
// (scripts/setup-native.ts) built against the libraries of the TensorFlow pip wheel, installed
// under <project>/.native/<variant>/ and never into the main node_modules.
//
// loadNative() registers the binding's 'tensorflow' backend on OUR tfjs-core instance (the one in
// the main node_modules, imported through ./tf). It refuses to load if the .native install would
// resolve a second tfjs-core copy, because kernels registered there would be invisible to us.
// It is fast and silent when .native is absent (a couple of existsSync calls) and never throws.
import * as fs from 'fs';
import * as path from 'path';
import { applyThreads } from './threads';
import { registerNativeKernels } from './native-kernels';
import { registerNativeOps } from './native-ops';

export type NativeVariant = 'cpu' | 'gpu';

/** What scripts/setup-native.ts writes to .native/<variant>/native.json once the binding is built and verified. */
export interface NativeStamp {
  format: 1;
  variant: NativeVariant;
  package: string;            // '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu'
  packageVersion: string;     // '4.22.0'
  tensorflow: string;         // TensorFlow version of the wheel, '2.21.0'
  wheel: string;              // wheel file the libraries came from
  binding: string;            // path of tfjs_binding.node relative to .native/<variant>
  napi: number;               // N-API version the binding was built for
  node: string;               // Node version that built it
  builtAt: string;
  cuda?: string[];            // gpu: the CUDA wheels laid out next to the libraries
  verified?: { backend: string; gpuDevice: boolean; maxRelDiff: number };
}

const STAMP = 'native.json';
const PACKAGES: Record<NativeVariant, string> = {
  cpu: '@tensorflow/tfjs-node',
  gpu: '@tensorflow/tfjs-node-gpu',
};

let loaded: { variant: NativeVariant; detail: string } | undefined;
let lastReason = '';

/** The project root: the nearest directory above this file whose package.json is ours. */
export function projectRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        if ((JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string }).name === 'sparsing-law') return dir;
      } catch { /* keep looking */ }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.resolve(__dirname, '..', '..');
}

/** Where setup-native puts a variant: SPARSING_NATIVE_DIR overrides <project>/.native. */
export function nativeDir(variant: NativeVariant): string {
  const base = process.env.SPARSING_NATIVE_DIR || path.join(projectRoot(), '.native');
  return path.join(base, variant);
}

export function nativePackageDir(variant: NativeVariant): string {
  return path.join(nativeDir(variant), 'node_modules', ...PACKAGES[variant].split('/'));
}

export function readStamp(variant: NativeVariant): NativeStamp | undefined {
  const file = path.join(nativeDir(variant), STAMP);
  if (!fs.existsSync(file)) return undefined;
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as NativeStamp;
    return s.format === 1 && s.variant === variant ? s : undefined;
  } catch {
    return undefined;
  }
}

export function writeStamp(stamp: NativeStamp): void {
  fs.writeFileSync(path.join(nativeDir(stamp.variant), STAMP), JSON.stringify(stamp, null, 2) + '\n');
}

/** A visible NVIDIA GPU (driver loaded, not hidden with CUDA_VISIBLE_DEVICES). Cheap, no CUDA calls. */
export function nvidiaGpuPresent(): boolean {
  const cvd = process.env.CUDA_VISIBLE_DEVICES;
  if (cvd !== undefined && (cvd.trim() === '' || cvd.trim() === '-1')) return false;
  return fs.existsSync('/proc/driver/nvidia/version') || fs.existsSync('/dev/nvidiactl');
}

/** Why the last loadNative() returned undefined ('' if it never failed). For diagnostics only. */
export function nativeUnavailableReason(): string {
  return lastReason;
}

/**
 * The directory a module resolves to from `fromDir` (its package root), or undefined if it does not
 * resolve. Compared by package root so that 'main' field differences do not matter.
 */
function packageRootOf(mod: string, fromDir?: string): string | undefined {
  try {
    const file = fromDir ? require.resolve(`${mod}/package.json`, { paths: [fromDir] }) : require.resolve(`${mod}/package.json`);
    return fs.realpathSync(path.dirname(file));
  } catch {
    return undefined;
  }
}

function tryVariant(variant: NativeVariant): string | undefined {
  const stamp = readStamp(variant);
  if (!stamp) { lastReason ||= `${variant}: not set up`; return undefined; }
  // A stamp without `verified` is one whose setup has not finished; only setup's own check may load it.
  if (!stamp.verified && process.env.SPARSING_NATIVE_UNVERIFIED !== '1') { lastReason = `${variant}: setup did not finish; rerun it`; return undefined; }
  const dir = nativeDir(variant);
  const pkgDir = nativePackageDir(variant);
  const bindingPath = path.join(dir, stamp.binding);
  if (!fs.existsSync(bindingPath)) { lastReason = `${variant}: binding missing at ${bindingPath}; rerun setup`; return undefined; }
  if (Number(process.versions.napi) < stamp.napi) {
    lastReason = `${variant}: binding needs N-API ${stamp.napi}, this Node has ${process.versions.napi}`;
    return undefined;
  }
  // Exactly one tfjs-core: the .native package must resolve @tensorflow/tfjs to the copy ./tf imports,
  // and @tensorflow/tfjs-core to the copy that @tensorflow/tfjs itself uses.
  const tfjsRoot = packageRootOf('@tensorflow/tfjs');
  const coreRoot = tfjsRoot && packageRootOf('@tensorflow/tfjs-core', tfjsRoot);
  for (const [mod, ours] of [['@tensorflow/tfjs', tfjsRoot], ['@tensorflow/tfjs-core', coreRoot]] as const) {
    const theirs = packageRootOf(mod, pkgDir);
    if (!ours || ours !== theirs) {
      lastReason = `${variant}: ${mod} from .native resolves to ${theirs ?? 'nothing'}, not ${ours ?? '?'}; rerun setup`;
      return undefined;
    }
  }
  // TensorFlow's C++ logging: warnings and errors only, unless the user chose a level.
  if (process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = '2';
  // oneDNN custom ops are off unless TF_ENABLE_ONEDNN_OPTS=1: with them on, TF 2.21 writes two lines to
  // stderr through absl logging before any log level applies (which breaks our CLIs' one-line errors),
  // and on this 2-core machine they were not measurably faster than the Eigen kernels.
  if (process.env.TF_ENABLE_ONEDNN_OPTS === undefined) process.env.TF_ENABLE_ONEDNN_OPTS = '0';
  const onednn = /^(1|true)$/i.test(process.env.TF_ENABLE_ONEDNN_OPTS);
  // TensorFlow sizes its thread pools from the environment when the binding creates its context.
  applyThreads();

  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { tf } = require('./tf') as typeof import('./tf');
  // dlopen: loads libtensorflow_cc.so.2 / libtensorflow_framework.so.2 through the binding's RUNPATH.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const binding = require(bindingPath) as { isUsingGpuDevice(): boolean };
  // Kernel registrations for backend 'tensorflow' and the backend class, both on our tfjs-core.
  require(path.join(pkgDir, 'dist', 'register_all_kernels.js'));
  registerNativeKernels();
  registerNativeOps();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { NodeJSKernelBackend } = require(path.join(pkgDir, 'dist', 'nodejs_kernel_backend.js')) as {
    NodeJSKernelBackend: new (binding: unknown, packageName: string) => import('@tensorflow/tfjs').KernelBackend;
  };
  if (!tf.findBackendFactory('tensorflow')) {
    tf.registerBackend('tensorflow', () => new NodeJSKernelBackend(binding, stamp.package), 3);
  }
  if (!tf.findBackendFactory('tensorflow') || !tf.getKernel('BatchMatMul', 'tensorflow')) {
    lastReason = `${variant}: the 'tensorflow' backend did not register on this tfjs instance`;
    return undefined;
  }
  let gpu = false;
  try { gpu = binding.isUsingGpuDevice(); } catch { /* older bindings */ }
  const where = variant === 'gpu' ? (gpu ? 'native GPU' : 'native GPU build, no GPU device in use: CPU') : 'native CPU';
  return `tensorflow (${where}, TF ${stamp.tensorflow} from the pip wheel${onednn ? ', oneDNN on' : ''}, ${stamp.package}@${stamp.packageVersion})`;
}

/**
 * Loads the native binding and registers the 'tensorflow' backend on this process's tfjs instance.
 * Returns a description, or undefined (never throws) when it is not set up or does not load.
 * Variant order: gpu (only if set up and an NVIDIA device is visible), then cpu; `prefer` narrows it.
 * Only one variant can be loaded per process (both bring a libtensorflow_cc.so.2).
 */
export function loadNative(prefer?: NativeVariant): string | undefined {
  if (loaded) return prefer && prefer !== loaded.variant ? undefined : loaded.detail;
  const order: NativeVariant[] = prefer ? [prefer] : nvidiaGpuPresent() ? ['gpu', 'cpu'] : ['cpu'];
  lastReason = '';
  for (const variant of order) {
    try {
      const detail = tryVariant(variant);
      if (detail) { loaded = { variant, detail }; lastReason = ''; return detail; }
    } catch (e) {
      lastReason = `${variant}: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  return undefined;
}

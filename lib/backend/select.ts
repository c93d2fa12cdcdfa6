// Picks the tfjs backend once per process. Order: native GPU, native CPU, WASM, pure-JS CPU;
// each only if it loads. SPARSING_BACKEND=tensorflow|wasm|cpu forces one ('tensorflow-gpu' or
// 'tensorflow-cpu' force a native variant). The native one comes from `npm run setup:native[-gpu]`.
import { tf } from './tf';
import { registerWasmBackend } from './wasm';
import { appliedThreads, planThreads } from './threads';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ENV = 'SPARSING_BACKEND';
const FORCEABLE = ['tensorflow', 'tensorflow-gpu', 'tensorflow-cpu', 'wasm', 'cpu'];

let chosen: BackendName | undefined;
let chosenDetail = '';
let nativeReason = '';

/** Tries to load the native TensorFlow binding; returns a description or undefined if unavailable. */
function tryLoadNative(variant?: 'gpu' | 'cpu'): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const native = require('./native') as typeof import('./native');
    const detail = native.loadNative(variant);
    if (!detail) nativeReason = native.nativeUnavailableReason();
    return detail;
  } catch (e) {
    nativeReason = (e as Error).message.split('\n')[0];
    return undefined;
  }
}

async function trySet(name: BackendName): Promise<boolean> {
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Initialise the backend (idempotent). Prints the choice once to stderr unless quiet.
 * Throws a one-line error if a forced backend cannot be loaded.
 */
export async function initBackend(opts: { quiet?: boolean } = {}): Promise<BackendName> {
  if (chosen) return chosen;
  const forced = process.env[BACKEND_ENV]?.trim();
  if (forced && !FORCEABLE.includes(forced)) {
    throw new Error(`${BACKEND_ENV}=${forced} is not a backend: use ${FORCEABLE.join(', ')}`);
  }
  planThreads(); // a malformed SPARSING_THREADS / SPARSING_JOBS is one clear error, not a silent fallback to WASM
  const variant = forced === 'tensorflow-gpu' ? 'gpu' : forced === 'tensorflow-cpu' ? 'cpu' : undefined;
  const order: BackendName[] = forced ? [(variant ? 'tensorflow' : forced) as BackendName] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    if (name === 'tensorflow') {
      const detail = tryLoadNative(variant);
      if (detail && (await trySet('tensorflow'))) { chosen = name; chosenDetail = detail; break; }
    } else if (name === 'wasm') {
      registerWasmBackend();
      if (await trySet('wasm')) { chosen = name; chosenDetail = 'wasm (SIMD, 1 thread)'; break; }
    } else if (await trySet('cpu')) {
      chosen = name; chosenDetail = 'cpu (pure JS)'; break;
    }
  }
  if (!chosen) {
    throw new Error(forced
      ? `backend '${forced}' (forced by ${BACKEND_ENV}) could not be loaded${variant || forced === 'tensorflow' ? ` (${nativeReason || 'setBackend failed'})` : ''}; unset ${BACKEND_ENV} or run 'npm run setup:native${variant === 'gpu' ? '-gpu' : ''}' for '${forced}'`
      : 'no tfjs backend could be loaded');
  }
  if (!opts.quiet && !process.env.SPARSING_QUIET_BACKEND) {
    const t = backendThreads();
    process.stderr.write(`[sparsing-law] tfjs backend: ${chosenDetail}${chosen === 'tensorflow' ? `, ${t.threads} thread${t.threads === 1 ? '' : 's'} per op (${t.why})` : ''}\n`);
  }
  return chosen;
}

/** The backend in use, for provenance in every result file. */
export function backendName(): BackendName {
  if (!chosen) throw new Error('backend not initialised: call initBackend() first');
  return chosen;
}

export function backendDetail(): string {
  return chosenDetail;
}

/** Threads per op of the backend in use (the native backend's intra-op pool; WASM and cpu run on one). */
export function backendThreads(): { threads: number; why: string } {
  if (backendName() !== 'tensorflow') return { threads: 1, why: `${chosen} runs on one thread` };
  return appliedThreads() ?? { threads: 0, why: 'unknown' };
}

// How many threads the native TensorFlow backend computes each op with.
//
// TensorFlow sizes its intra-op pool to the machine's cores unless told otherwise, so two training
// processes on a 2-core machine (reproduce --jobs 2) ask for four busy threads, and replicas that
// could fill a core each wait on each other. TensorFlow reads TF_NUM_INTRAOP_THREADS once, when the
// binding creates its eager context, so it must be in the environment before the library loads:
// planThreads() decides the number and applyThreads() sets it, both before loadNative's require.
//   SPARSING_THREADS=N   this many threads per process (wins over everything)
//   TF_NUM_INTRAOP_THREADS=N, set by the user: kept as it is
//   otherwise            cores / SPARSING_JOBS (the training processes sharing the machine; 1 when
//                        unset; reproduce sets it for its children), at least 1
// The inter-op pool runs nothing in eager mode's synchronous execution, so it gets one thread.
import * as os from 'node:os';
import { UserError } from '../util/errors';

export const THREADS_ENV = 'SPARSING_THREADS';
export const JOBS_ENV = 'SPARSING_JOBS';
// The value applyThreads() put into TF_NUM_INTRAOP_THREADS: a child process inherits it, and must
// plan its own count (its SPARSING_JOBS may differ) rather than take it for the user's choice.
const MARK = 'SPARSING_TF_THREADS_SET';

export interface ThreadPlan { threads: number; why: string }

/** Cores this process may run on (the affinity mask where Node knows it). */
export function usableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function positiveInt(name: string, raw: string): number {
  const n = Number(raw.trim());
  if (!(Number.isInteger(n) && n >= 1 && n <= 1024)) throw new UserError(`${name}=${raw} is not a thread count: use a whole number from 1 to 1024`);
  return n;
}

/** The intra-op thread count for this process and why; throws a UserError on a malformed variable. */
export function planThreads(env: NodeJS.ProcessEnv = process.env, cores = usableCores()): ThreadPlan {
  const own = env[THREADS_ENV];
  if (own !== undefined && own.trim() !== '') return { threads: positiveInt(THREADS_ENV, own), why: THREADS_ENV };
  const tf = env.TF_NUM_INTRAOP_THREADS;
  if (tf !== undefined && tf.trim() !== '' && tf !== env[MARK]) return { threads: positiveInt('TF_NUM_INTRAOP_THREADS', tf), why: 'TF_NUM_INTRAOP_THREADS' };
  const jobsRaw = env[JOBS_ENV];
  const jobs = jobsRaw !== undefined && jobsRaw.trim() !== '' ? positiveInt(JOBS_ENV, jobsRaw) : 1;
  return { threads: Math.max(1, Math.floor(cores / jobs)), why: `${cores} cores / ${jobs} job${jobs === 1 ? '' : 's'}` };
}

/** Plans the count and writes it into TensorFlow's variables in env, marking it as the engine's own. */
export function threadEnv(env: NodeJS.ProcessEnv): ThreadPlan {
  const plan = planThreads(env);
  if (plan.why === 'TF_NUM_INTRAOP_THREADS') delete env[MARK]; // the user's own value: children keep it too
  else env.TF_NUM_INTRAOP_THREADS = env[MARK] = String(plan.threads);
  if (env.TF_NUM_INTEROP_THREADS === undefined) env.TF_NUM_INTEROP_THREADS = '1';
  return plan;
}

let applied: ThreadPlan | undefined;

/** threadEnv on this process's environment, once (TensorFlow reads it once, when the native backend loads). */
export function applyThreads(): ThreadPlan {
  applied ??= threadEnv(process.env);
  return applied;
}

/** The plan the native backend loaded with, if it did. */
export function appliedThreads(): ThreadPlan | undefined {
  return applied;
}

// A UserError is bad input (config, file, flag): commands print its one-line message, never a stack.
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

const SYSTEM_CODES = ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'ENOTDIR', 'EISDIR', 'EMFILE', 'ENFILE'];

/** What a command says about an error that reached its top: a UserError or a named system refusal in one line, anything else with its stack. */
export interface Failure { message: string; internal: boolean; exitCode: number }

export function describeFailure(err: unknown): Failure {
  if (err instanceof UserError) return { message: err.message, internal: false, exitCode: 2 };
  // A file system refusal that reached here unnamed (full disk, permissions): still one line.
  const sys = err as NodeJS.ErrnoException;
  if (sys && typeof sys.code === 'string' && SYSTEM_CODES.includes(sys.code)) {
    return { message: `${sys.message.split('\n')[0]}; files written before are intact: fix this and rerun the same command`, internal: false, exitCode: 2 };
  }
  return { message: err instanceof Error ? err.stack ?? err.message : String(err), internal: true, exitCode: 1 };
}

const printFailure = (f: Failure): void => {
  process.stderr.write(`${f.internal ? 'internal error' : 'error'}: ${f.message}\n`);
};

/**
 * Runs a command's main; a UserError becomes one line on stderr and exit code 2. `report` says it
 * otherwise (a child process of `reproduce` sends it to its parent as an event); the process exits
 * once it has.
 */
export function runCli(main: () => Promise<void>, report: (f: Failure) => void | Promise<void> = printFailure): void {
  main().then(
    () => process.exit(0),
    async (err: unknown) => {
      const f = describeFailure(err);
      await report(f);
      process.exit(f.exitCode);
    },
  );
}

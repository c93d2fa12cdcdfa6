// A UserError is bad input (config, file, flag): commands print its one-line message, never a stack.
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

const SYSTEM_CODES = ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'ENOTDIR', 'EISDIR', 'EMFILE', 'ENFILE'];

/** Runs a command's main; a UserError becomes one line on stderr and exit code 2. */
export function runCli(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof UserError) {
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(2);
      }
      // A file system refusal that reached here unnamed (full disk, permissions): still one line.
      const sys = err as NodeJS.ErrnoException;
      if (sys && typeof sys.code === 'string' && SYSTEM_CODES.includes(sys.code)) {
        process.stderr.write(`error: ${sys.message.split('\n')[0]}; files written before are intact: fix this and rerun the same command\n`);
        process.exit(2);
      }
      process.stderr.write(`internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

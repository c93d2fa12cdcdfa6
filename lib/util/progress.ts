// A one-line progress display: redrawn in place on a terminal, a line every few seconds otherwise;
// or, in a child process of `reproduce`, the same reports as data for its parent to display
// (reportProgressTo; lib/experiments/child-events.ts writes them as JSON lines).

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** A progress report as data: an update (how far, what else to say) or a finished stage's message. */
export type ProgressReport =
  | { event: 'progress'; task: string; done: number; total: number; fraction: number; detail: string; elapsed_s: number; left_s: number | null }
  | { event: 'stage'; task: string; message: string };

let sink: ((r: ProgressReport) => void) | undefined;

/** Sends every Progress's reports to `fn` as data instead of drawing them on stderr (no fn: draw again). */
export function reportProgressTo(fn?: (r: ProgressReport) => void): void {
  sink = fn;
}

export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastPrint = 0;
  private readonly start = Date.now();

  constructor(private readonly label: string, private readonly total: number, private readonly everyMs = 5000, private readonly quiet = false) {}

  /** done: units finished so far (startDone: units already done before this process started). */
  update(done: number, extra = '', startDone = 0, force = false): void {
    if (this.quiet) return;
    const now = Date.now();
    if (!force && now - this.lastPrint < (this.tty ? 200 : this.everyMs)) return;
    this.lastPrint = now;
    const elapsed = (now - this.start) / 1000;
    const rate = (done - startDone) / Math.max(elapsed, 1e-9);
    const left = rate > 0 ? (this.total - done) / rate : Infinity;
    const frac = Math.min(1, done / this.total);
    if (sink) {
      sink({ event: 'progress', task: this.label, done, total: this.total, fraction: frac, detail: extra, elapsed_s: elapsed, left_s: Number.isFinite(left) ? left : null });
      return;
    }
    const width = 20;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const line = `${this.label} [${bar}] ${(frac * 100).toFixed(1)}% ${extra} elapsed ${formatDuration(elapsed)} left ${formatDuration(left)}`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  done(message = ''): void {
    if (this.quiet) return;
    if (sink) {
      if (message) sink({ event: 'stage', task: this.label, message });
      return;
    }
    if (this.tty) process.stderr.write('\n');
    if (message) process.stderr.write(`${this.label} ${message}\n`);
  }
}

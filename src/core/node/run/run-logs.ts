// The run directory's live files: one console log per level and guest (console-l0.log,
// console-l1.log, console-<guest>.log) and the host emulator's stderr (console-host-stderr.log), each
// line stamped with host seconds since the run started; events.jsonl, every RunEvent as streamed; and
// the console tails a failure quotes: the last TAIL lines per source and of all sources together.
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../common/model/run-events.js';

/** Lines kept per tail (a failure's consoleTail). */
export const TAIL = 40;

/** The log key of a console source: `l0`, `l1`, or the guest's name at level 2. */
export const srcKey = (level: number, guest?: string): string => (level === 2 ? guest ?? 'unknown-guest' : `l${level}`);

/** The console tails of a run, per source key and of all sources ("<key>: <line>"), TAIL lines each. */
export class ConsoleTails {
  private readonly bySource = new Map<string, string[]>();
  private readonly all: string[] = [];

  /** A line of the host emulator's own stderr: in the overall tail only. */
  host(line: string): void {
    push(this.all, `host: ${line}`);
  }

  /** A console line of the source `key`. */
  line(key: string, shown: string): void {
    const tl = this.bySource.get(key) ?? [];
    push(tl, shown);
    this.bySource.set(key, tl);
    push(this.all, `${key}: ${shown}`);
  }

  /** A copy of `key`'s tail, or of the overall tail when `key` is undefined or has printed nothing. */
  tail(key?: string): string[] {
    return [...((key ? this.bySource.get(key) : undefined) ?? this.all)].slice(-TAIL);
  }
}

const push = (tail: string[], line: string): void => {
  tail.push(line);
  if (tail.length > TAIL) tail.shift();
};

const stamp = (tm: number, line: string): string => `[${(tm / 1000).toFixed(3)}] ${line}\n`;

/** The open log files of one run directory. Files are created on first use (a console log when its
 * source prints its first line); close() ends every one of them. */
export class RunLogs {
  readonly tails = new ConsoleTails();
  private readonly logs = new Map<string, WriteStream>();
  private readonly events: WriteStream;
  private closed = false;

  constructor(private readonly runDir: string) {
    this.events = createWriteStream(join(runDir, 'events.jsonl'));
  }

  private logFor(key: string): WriteStream {
    let w = this.logs.get(key);
    if (!w) {
      w = createWriteStream(join(this.runDir, `console-${key}.log`));
      this.logs.set(key, w);
    }
    return w;
  }

  /** One line of events.jsonl. */
  event(e: RunEvent): void {
    // a late event (a panic line's delayed failure, a memory sample in flight) after close is dropped
    if (this.closed) return;
    this.events.write(`${JSON.stringify(e)}\n`);
  }

  /** A line the host emulator wrote on stderr (\r already removed), at host ms tm. */
  hostStderr(tm: number, line: string): void {
    if (this.closed) return;
    this.logFor('host-stderr').write(stamp(tm, line));
    this.tails.host(line);
  }

  /** A console line of the source `key` as shown (route prefix removed), at host ms tm. */
  console(key: string, tm: number, shown: string): void {
    if (this.closed) return;
    this.logFor(key).write(stamp(tm, shown));
    this.tails.line(key, shown);
  }

  /** Ends every log and events.jsonl; resolves when all are flushed. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.logs.values(), this.events].map((w) => new Promise<void>((res) => w.end(() => res()))));
  }
}

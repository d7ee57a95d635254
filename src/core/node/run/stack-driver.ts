// Starts and supervises the host emulator(s) of one run. Cold (warm: off): one emulator boots the
// stack with the run's payload. Warm (warm-stack.ts): the emulator restores the snapshot of the
// booted L0 + L1 for this run's key, with the run's payload as its fw_cfg file, replays the boot's
// console transcript (so results have L0's and L1's boot figures), presses the power button L0 waits
// for (guest/init.sh) and continues. Without a usable
// snapshot, a first emulator boots the stack with a placeholder payload until both levels wait, is
// stopped and migrated to the snapshot file over QMP, and exits; the run then restores that snapshot
// like any later run — a run that made the snapshot and one that restored it execute the same
// instructions after the snapshot (deterministic figures equal). The snapshot moment is the boot's
// own: L0 pauses the emulator through its pvpanic device once L1 waits (guest/init.sh snappoint),
// so in deterministic timing two boots give the same snapshot. A snapshot that does not verify or
// does not restore is removed and made again (once). One emulator runs at a time; kill() stops
// whichever runs and every later start.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InfrastructureError } from '../../common/model/errors.js';
import type { RunResults } from '../../common/model/run-results.js';
import { QmpClient } from '../process/qmp.js';
import { SupervisedProcess, type ProcessExit } from '../process/supervised.js';
import { PLACEHOLDER_PAYLOAD, snapshotKey, type Snapshot, type SnapshotCache, type TranscriptLine } from './warm-stack.js';

export type WarmRecord = NonNullable<RunResults['host']['warmStack']>;

export interface DriverDeps {
  /** The planned host argv (the run's payload archive as its fw_cfg file). */
  readonly argv: readonly string[];
  readonly payloadArchive: string;
  /** Scratch directory of the run (QMP sockets, the placeholder). */
  readonly scratch: string;
  /** undefined: cold (no snapshot). */
  readonly warm?: {
    readonly cache: SnapshotCache;
    readonly emulatorId: string;
    /** Image paths in argv → their SHA-256 (the key holds hashes, not paths). */
    readonly images: ReadonlyMap<string, string>;
  };
  readonly onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  /** The run has failed or been cancelled: nothing more starts. */
  readonly over: () => boolean;
  readonly now: () => number;
  readonly note: (stage: string, message: string) => void;
}

/** Bounds of the QMP steps, ms. */
const QMP_CONNECT_MS = 20_000;
const SAVE_MS = 300_000;
const RESTORE_MS = 180_000;
const QUIT_MS = 20_000;

type Restored = { readonly proc: SupervisedProcess; readonly restoreMs: number } | { readonly failed: string };

export class StackDriver {
  private current: SupervisedProcess | undefined;
  private killedWith: string | undefined;
  private serial = 0;
  /** The warm stack's record for results.json (cold runs: mode off). */
  record: WarmRecord = { snapshot: 'off' };
  /** The argv of the emulator that ran the payload. */
  readonly payloadArgv: readonly string[];

  constructor(private readonly d: DriverDeps) {
    this.payloadArgv = d.warm ? [...d.argv, '-incoming', 'defer', '-S'] : d.argv;
  }

  get pid(): number | undefined {
    return this.current?.pid;
  }

  /** The argv actually executed for `argv` (with the parent-death wrapper). */
  static effective(argv: readonly string[]): readonly string[] {
    return new SupervisedProcess('', argv, { onLine: () => undefined }).effectiveArgv;
  }

  kill(reason: string): void {
    this.killedWith ??= reason;
    this.current?.kill(reason);
  }

  private start(name: string, argv: readonly string[], onLine: DriverDeps['onLine']): SupervisedProcess {
    const p = new SupervisedProcess(name, argv, { onLine });
    this.current = p;
    if (this.killedWith !== undefined) p.kill(this.killedWith);
    p.start();
    return p;
  }

  private qmpArgs(tag: string): { sock: string; args: string[] } {
    const sock = join(this.d.scratch, `qmp-${tag}-${this.serial++}.sock`);
    return { sock, args: ['-qmp', `unix:${sock},server=on,wait=off`] };
  }

  /** Runs the stack to its end; resolves with the exit of the emulator that ran the payload (or of
   * the one that failed first). */
  async run(): Promise<ProcessExit> {
    const w = this.d.warm;
    if (!w) return this.start('L0 emulator', this.d.argv, this.d.onLine).exited;
    const key = snapshotKey({ argv: this.d.argv, emulatorId: w.emulatorId, replace: new Map([...w.images, [this.d.payloadArchive, 'PAYLOAD']]) });
    let rebuilt: string | undefined;
    const found = await w.cache.lookup(key);
    if (found) {
      const r = await this.restore(found, true);
      if ('proc' in r) {
        this.record = { snapshot: 'restored', key, restoreMs: Math.round(r.restoreMs), bootMs: found.meta.bootMs, saveMs: found.meta.saveMs, bytes: found.meta.state.bytes };
        return r.proc.exited;
      }
      if (this.d.over()) return { code: null, signal: null };
      rebuilt = r.failed;
      await w.cache.remove(key);
      this.d.note('warm-stack', `the warm stack's snapshot ${key} was not usable (${r.failed}): booting the stack to make it again`);
    }
    this.record = { snapshot: 'made', key, ...(rebuilt ? { rebuilt } : {}) };
    const made = await this.boot(key);
    if ('exit' in made) return made.exit;
    const r = await this.restore(made.snap, false);
    if ('failed' in r) {
      await w.cache.remove(key);
      if (!this.d.over()) throw new InfrastructureError(`the warm stack's snapshot was made but did not restore: ${r.failed}`, 'run with --cold, and report the console logs');
      return { code: null, signal: null };
    }
    this.record = { snapshot: 'made', key, restoreMs: Math.round(r.restoreMs), bootMs: made.snap.meta.bootMs, saveMs: made.snap.meta.saveMs, bytes: made.snap.meta.state.bytes, ...(rebuilt ? { rebuilt } : {}) };
    return r.proc.exited;
  }

  /** Boots the stack with the placeholder payload until L0 pauses the emulator at the snapshot point
   * (both levels wait), then saves the snapshot over QMP and stores it with the console transcript. */
  private async boot(key: string): Promise<{ snap: Snapshot } | { exit: ProcessExit }> {
    const w = this.d.warm!;
    const placeholder = join(this.d.scratch, 'placeholder');
    await writeFile(placeholder, PLACEHOLDER_PAYLOAD);
    const argv = this.d.argv.map((a) => a.split(this.d.payloadArchive).join(placeholder));
    const q = this.qmpArgs('boot');
    const transcript: TranscriptLine[] = [];
    const t0 = this.d.now();
    // started stopped (-S): the QMP handshake is over before the guest's first instruction, and the
    // boot then runs without a single QMP command until it pauses itself
    const proc = this.start('L0 emulator (booting the warm stack)', [...argv, ...q.args, '-S'], (s, l) => {
      transcript.push({ s, l, ms: this.d.now() - t0 });
      this.d.onLine(s, l);
    });
    this.d.note('warm-stack', `no warm stack for this configuration yet (key ${key}): booting L0 and L1 to make its snapshot`);
    const scratch = await w.cache.scratch();
    let qmp: QmpClient | undefined;
    try {
      qmp = await QmpClient.connect(q.sock, QMP_CONNECT_MS, () => proc.state === 'starting' || proc.state === 'running');
      await qmp.execute('cont');
      // the snapshot moment is the boot's own (guest/init.sh snappoint): L0 marks it once L1 waits,
      // and the emulator pauses at that instruction (-action panic=pause)
      const paused = await this.untilPaused(qmp, proc);
      if (!paused) {
        proc.kill('the stack did not reach its snapshot point');
        await rm(scratch, { recursive: true, force: true });
        return { exit: await proc.exited };
      }
      const bootMs = this.d.now() - t0;
      const ts = this.d.now();
      await qmp.execute('migrate', { uri: `file:${join(scratch, 'state.bin')}` });
      await qmp.migrationDone(SAVE_MS, 'saving the warm stack');
      const saveMs = this.d.now() - ts;
      await qmp.execute('quit').catch(() => undefined);
      const exit = await Promise.race([proc.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), QUIT_MS))]);
      if (!exit) {
        proc.kill('did not quit after the snapshot');
        await proc.exited;
      }
      const snap = await w.cache.store(key, scratch, transcript, { bootMs, saveMs, emulator: w.emulatorId });
      this.d.note('warm-stack', `warm stack saved (${(snap.meta.state.bytes / 1048576).toFixed(0)} MiB, ${(saveMs / 1000).toFixed(1)} s): restoring it with this run's payload`);
      return { snap };
    } catch (e) {
      proc.kill(`saving the warm stack failed: ${(e as Error).message}`);
      const exit = await proc.exited;
      await rm(scratch, { recursive: true, force: true });
      if (!this.d.over()) throw new InfrastructureError(`saving the warm stack failed: ${(e as Error).message}`, 'run with --cold (no snapshot), and check the free space in the cache');
      return { exit };
    } finally {
      qmp?.close();
    }
  }

  /** Waits until the guest paused the emulator at the snapshot point (true), or the emulator exited
   * or the run ended (false). Waits for QEMU's GUEST_PANICKED event rather than polling: every QMP
   * command wakes the emulator's main loop, and a deterministic boot should see nothing of the host
   * (the boot started after the handshake, so the event cannot come before it). */
  private async untilPaused(qmp: QmpClient, proc: SupervisedProcess): Promise<boolean> {
    let exited = false;
    void proc.exited.then(() => {
      exited = true;
    });
    for (;;) {
      if (exited || this.d.over()) return false;
      const ev = await qmp.waitEvent((e) => e.event === 'GUEST_PANICKED', 1000, 'the snapshot point').catch((e: unknown) => (e instanceof InfrastructureError && /^timeout/.test(e.message) ? undefined : null));
      if (ev === null) return false;
      if (ev) break;
    }
    // the event comes from the vCPU as it requests the pause; the main loop completes it
    for (;;) {
      const now = (await qmp.execute('query-status').catch(() => undefined)) as { status?: string } | undefined;
      if (now?.status === 'guest-panicked') return true;
      if (exited || this.d.over() || !now) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Restores `snap` in a new emulator with the run's payload; on success replays the boot's
   * transcript (`replay`: the run did not see the boot itself) and continues the stack. The
   * emulator's output is held back until the restore succeeded: a failed restore's errors are not
   * the run's. */
  private async restore(snap: Snapshot, replay: boolean): Promise<Restored> {
    const w = this.d.warm!;
    const q = this.qmpArgs('restore');
    const held: [ 'stdout' | 'stderr', string ][] = [];
    let holding = true;
    const proc = this.start('L0 emulator', [...this.payloadArgv, ...q.args], (s, l) => {
      if (holding) held.push([s, l]);
      else this.d.onLine(s, l);
    });
    let qmp: QmpClient | undefined;
    try {
      qmp = await QmpClient.connect(q.sock, QMP_CONNECT_MS, () => proc.state === 'running' || proc.state === 'starting');
      const t = this.d.now();
      const verified = replay ? w.cache.verifyState(snap) : Promise.resolve(true);
      await qmp.execute('migrate-incoming', { uri: `file:${snap.state}` });
      await qmp.migrationDone(RESTORE_MS, 'restoring the warm stack');
      if (!(await verified)) throw new Error('its state file does not match its SHA-256');
      const restoreMs = this.d.now() - t;
      if (replay) for (const l of snap.transcript) this.d.onLine(l.s, l.l);
      holding = false;
      for (const [s, l] of held.splice(0)) this.d.onLine(s, l);
      if (this.d.over()) throw new Error('the run ended');
      // L0 waits for the power button (guest/init.sh): pressed while the stack is still stopped, it
      // is pending at the first instruction after cont, the same in every run; the query is a
      // round trip through the main loop, which handled the press before it answers
      await qmp.execute('system_powerdown');
      await qmp.execute('query-status');
      await qmp.execute('cont');
      this.d.note('warm-stack', `warm stack restored in ${(restoreMs / 1000).toFixed(1)} s (snapshot ${snap.meta.key}, ${(snap.meta.state.bytes / 1048576).toFixed(0)} MiB)`);
      return { proc, restoreMs };
    } catch (e) {
      const why = [(e as Error).message, ...held.filter(([s]) => s === 'stderr').map(([, l]) => l)].join('; ');
      proc.kill(`restoring the warm stack failed: ${why}`);
      await proc.exited;
      return { failed: why };
    } finally {
      qmp?.close();
    }
  }
}

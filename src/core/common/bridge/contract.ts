// THE contract between the UI (renderer) and the backend (Electron main, or the browser server): every
// method's parameters and result and every pushed event, as zod schemas. Both backends parse each
// request with these schemas before any service runs (src/core/node/bridge/bridge-host.ts); the
// renderer gets one typed client (client.ts). Wire messages are the same over IPC and WebSocket.
import { z } from 'zod';
import type { VcpuSchedulability } from '../analysis/schedulability.js';
import { checkReportSchema } from '../model/check-report.js';
import { diagnosticSchema } from '../model/diagnostic.js';
import { RUN_TIMINGS, runResultsSchema } from '../model/run-results.js';
import { RUN_MODES, sessionEventSchema } from '../model/session-events.js';
import { TIMING_MODES } from '../model/topology.js';

/** Channel/prefix of every bridge message (IPC channel name in Electron). */
export const BRIDGE_CHANNEL = 'nestbed:bridge';

/** A path inside the workspace folder, '/'-separated and relative; the host refuses anything that
 * would leave the folder (absolute, '..', NUL). */
const workspacePath = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'NUL in path');
const runId = z.string().uuid();
const text = z.string().max(1_048_576);
const ptyId = z.number().int().nonnegative();
const dims = { cols: z.number().int().min(2).max(1000), rows: z.number().int().min(1).max(500) };

export const fileEntrySchema = z.strictObject({ path: z.string(), size: z.number().int().nonnegative() });

export const validationViewSchema = z.strictObject({
  /** Echo of the request's `seq`, so a client can drop answers to older keystrokes. */
  seq: z.number().int(),
  diagnostics: z.array(diagnosticSchema),
  errors: z.number().int(),
  warnings: z.number().int(),
  valid: z.boolean(),
  malformed: z.boolean(),
  name: z.string().optional(),
  profile: z.string().optional(),
  schedulability: z.custom<VcpuSchedulability[]>((v) => Array.isArray(v)),
  /** The topology drawn (SVG), when the text is a schema-valid topology. */
  diagram: z.string().optional(),
  /** Validation time in the backend, ms (what an editor keystroke costs). */
  ms: z.number().nonnegative(),
});
export type ValidationView = z.infer<typeof validationViewSchema>;

export const runSummarySchema = z.strictObject({
  dir: z.string(),
  name: z.string(),
  topology: z.string(),
  startedAt: z.string(),
  status: z.enum(['ok', 'failed', 'cancelled']),
  /** A run's timing; `hardware` for a launcher's run replayed from its results directory. */
  timing: z.enum(RUN_TIMINGS),
  allReadyMs: z.number().optional(),
  wallMs: z.number(),
  success: z.boolean().optional(),
  summary: checkReportSchema.shape.summary.optional(),
});
export type RunSummaryView = z.infer<typeof runSummarySchema>;

export const openedRunSchema = z.strictObject({
  dir: z.string(),
  results: runResultsSchema,
  report: checkReportSchema.optional(),
  reportSource: z.enum(['check.json', 'judged', 'none']),
});
export type OpenedRunView = z.infer<typeof openedRunSchema>;

const method = <P extends z.ZodType, R extends z.ZodType>(params: P, result: R) => ({ params, result });
const none = z.strictObject({});
const ok = z.strictObject({ ok: z.literal(true) });

export const BRIDGE_METHODS = {
  'app.info': method(
    none,
    z.strictObject({ version: z.string(), folder: z.string(), shell: z.enum(['browser', 'desktop']), terminal: z.boolean(), terminalReason: z.string().optional(), profiles: z.array(z.strictObject({ id: z.string(), name: z.string() })) }),
  ),
  'workspace.files': method(none, z.strictObject({ folder: z.string(), files: z.array(fileEntrySchema), truncated: z.boolean() })),
  'file.read': method(z.strictObject({ path: workspacePath }), z.strictObject({ text })),
  'file.write': method(z.strictObject({ path: workspacePath, text }), ok),
  'topology.validate': method(z.strictObject({ path: workspacePath, text, seq: z.number().int(), profile: z.string().max(64).optional() }), validationViewSchema),
  'run.start': method(
    z.strictObject({
      mode: z.enum(RUN_MODES),
      path: workspacePath,
      /** The editor's text (may be unsaved); the file's when absent. */
      text: text.optional(),
      timing: z.enum(TIMING_MODES).optional(),
      isolation: z.boolean().optional(),
      strict: z.boolean().optional(),
      timeoutS: z.number().positive().max(86_400).optional(),
    }),
    z.strictObject({ runId }),
  ),
  /** Sends the run's history, then its live events, as 'run.event' to this client. */
  'run.subscribe': method(z.strictObject({ runId }), ok),
  'run.cancel': method(z.strictObject({ runId }), z.strictObject({ cancelled: z.boolean() })),
  'runs.list': method(z.strictObject({ topology: z.string().max(64).optional() }), z.strictObject({ runs: z.array(runSummarySchema) })),
  /** `dir` as listed by runs.list (inside the workspace's runs/ folder). */
  'runs.open': method(z.strictObject({ dir: workspacePath }), openedRunSchema),
  /** Exports a run's deployment bundle (its topology, launch plan, results; images optional) into
   * the workspace's bundles/ folder (reproducible: the same run gives the same bytes). */
  'bundle.export': method(
    z.strictObject({ dir: workspacePath, images: z.boolean() }),
    z.strictObject({ path: z.string(), bytes: z.number().int(), entries: z.number().int(), ms: z.number(), warnings: z.array(z.string()) }),
  ),
  /** Verifies a bundle in the workspace (hashes, coverage, format, topology), as `nestbed verify`. */
  'bundle.verify': method(
    z.strictObject({ path: workspacePath }),
    z.strictObject({
      ok: z.boolean(),
      problems: z.array(z.strictObject({ file: z.string(), message: z.string() })),
      files: z.number().int(),
      compressedBytes: z.number().int(),
      topology: z.string().optional(),
      signature: z.string(),
      imagesIncluded: z.boolean(),
    }),
  ),
  'terminal.open': method(z.strictObject(dims), z.strictObject({ id: ptyId })),
  'terminal.input': method(z.strictObject({ id: ptyId, data: z.string().max(65_536) }), ok),
  'terminal.resize': method(z.strictObject({ id: ptyId, ...dims }), ok),
  'terminal.close': method(z.strictObject({ id: ptyId }), ok),
  /** Flow control: the client has drawn `bytes` more of the terminal's output. */
  'terminal.ack': method(z.strictObject({ id: ptyId, bytes: z.number().int().nonnegative() }), ok),
} as const;

export type BridgeMethod = keyof typeof BRIDGE_METHODS;
export type BridgeParams<M extends BridgeMethod> = z.input<(typeof BRIDGE_METHODS)[M]['params']>;
export type BridgeResult<M extends BridgeMethod> = z.output<(typeof BRIDGE_METHODS)[M]['result']>;
export const BRIDGE_METHOD_NAMES = Object.keys(BRIDGE_METHODS) as BridgeMethod[];

/** Commands the desktop shell's native menus send to the renderer. */
export const APP_COMMANDS = ['save', 'run', 'check', 'stop', 'toggle-theme', 'show-problems', 'show-terminal'] as const;

export const BRIDGE_EVENTS = {
  'app.command': z.strictObject({ command: z.enum(APP_COMMANDS) }),
  'run.event': z.strictObject({ runId, event: sessionEventSchema }),
  'terminal.data': z.strictObject({ id: ptyId, data: z.string() }),
  'terminal.exit': z.strictObject({ id: ptyId, exitCode: z.number().int() }),
} as const;
export type BridgeEvent = keyof typeof BRIDGE_EVENTS;
export type BridgeEventPayload<E extends BridgeEvent> = z.output<(typeof BRIDGE_EVENTS)[E]>;

/** Error codes of a refused or failed request. */
export const BRIDGE_ERRORS = ['bad-request', 'unknown-method', 'not-found', 'forbidden', 'input', 'infrastructure', 'internal'] as const;

/** Client → backend. */
export const requestMessageSchema = z.strictObject({ kind: z.literal('request'), id: z.number().int().nonnegative(), method: z.string().max(64), params: z.unknown() });
export type RequestMessage = z.infer<typeof requestMessageSchema>;

/** Backend → client. */
export const responseMessageSchema = z.discriminatedUnion('ok', [
  z.strictObject({ kind: z.literal('response'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({ kind: z.literal('response'), id: z.number().int(), ok: z.literal(false), error: z.strictObject({ code: z.enum(BRIDGE_ERRORS), message: z.string() }) }),
]);
export const eventMessageSchema = z.strictObject({ kind: z.literal('event'), event: z.string(), payload: z.unknown() });
export type ResponseMessage = z.infer<typeof responseMessageSchema>;
export type EventMessage = z.infer<typeof eventMessageSchema>;
export type BackendMessage = ResponseMessage | EventMessage;

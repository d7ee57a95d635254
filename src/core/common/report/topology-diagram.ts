// The topology view: the nested stack as one self-contained SVG string. The L0 host frame holds the
// L1 hypervisor frame (its vCPU strip in the middle) and the host's cores; the L1 frame holds the L2
// guests as rows of boxes above and below the strip. Pins are wires from each guest vCPU (a chip on
// the box edge) to its hypervisor vCPU; channels are arrows between boxes with their port.
// Pure and deterministic (same topology → same string): no DOM, no Node, no clock, no randomness.
//
// For the renderer: every clickable element is a `<g class="nb-click …" data-line data-path>` whose
// first child is a `<title>` tooltip; text and neutral strokes use currentColor, so the drawing follows
// the page's theme, and TOPOLOGY_DIAGRAM_CSS adds hover styles. There is no DOM to measure text, so
// widths are estimated for a wide font and every label is cut to its box (the tooltip has it whole).
import { supplyForGuestVcpu } from '../analysis/schedulability.js';
import { formatPath } from '../model/diagnostic.js';
import type { Asil, Channel, Guest, Topology } from '../model/topology.js';
import { xmlEscape as esc } from './validation-formats.js';

/** Source position of a node of the topology file; `SourceMap.locate` fits. */
export type LocateInSource = (path: ReadonlyArray<string | number>) => { line: number; column: number };

/** ASIL colours, QM grey-blue graded to a strong red for D. Each carries white text at ≥ 4.5:1 and
 * stands out at ≥ 3:1 on a white and on a near-black page. Never the only cue: the ASIL is written
 * on every box, and the box border grows with the level. */
export const ASIL_COLORS: Readonly<Record<Asil, string>> = { QM: '#607089', A: '#857400', B: '#b06000', C: '#d2461a', D: '#d1202f' };
const ASIL_STROKE: Readonly<Record<Asil, number>> = { QM: 1.2, A: 1.5, B: 1.9, C: 2.3, D: 2.8 };
const ASIL_TINT: Readonly<Record<Asil, number>> = { QM: 0.1, A: 0.12, B: 0.14, C: 0.16, D: 0.18 };
const ASIL_RANK: Readonly<Record<Asil, number>> = { QM: 0, A: 1, B: 2, C: 3, D: 4 };
const ASIL_ORDER: readonly Asil[] = ['QM', 'A', 'B', 'C', 'D'];
const CHANNEL_COLOR = '#7c5cd6';

/** Default styles for the classes the diagram uses; the renderer may append its own. The SVG also
 * carries presentation attributes, so it reads correctly with no CSS at all. */
export const TOPOLOGY_DIAGRAM_CSS = `#topology-diagram{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
#topology-diagram text{fill:currentColor}
#topology-diagram text.nb-on-color{fill:#fff}
#topology-diagram .nb-muted{fill-opacity:.72}
#topology-diagram .nb-click{cursor:pointer}
#topology-diagram .nb-guest:hover>.nb-box{stroke-width:3.5}
#topology-diagram .nb-host:hover>.nb-frame,#topology-diagram .nb-hypervisor:hover>.nb-frame{stroke-opacity:.85}
#topology-diagram .nb-vcpu:hover>.nb-box,#topology-diagram .nb-core:hover>.nb-box{stroke-opacity:1;fill-opacity:.18}
#topology-diagram .nb-chip:hover>rect{stroke:currentColor;stroke-width:1.5}
#topology-diagram .nb-pin:hover>.nb-wire,#topology-diagram .nb-channel:hover>.nb-wire{stroke-width:3.2;stroke-opacity:1}
#topology-diagram .nb-channel:hover>.nb-pill{stroke:currentColor;stroke-width:1.5}
`;

// ── geometry (px) ───────────────────────────────────────────────────────────────────────────────
const MARGIN = 12;
const PAD0 = 12; // inside the L0 frame
const PAD1 = 12; // inside the L1 frame
const HEADER = 26; // a frame's header line
const GUEST_W = 176;
const GUEST_H = 84;
const GUEST_GAP = 22;
const MAX_COLS = 5;
const CHIP_PITCH = 22;
const CHIP_H = 14;
const CHANNEL_TRACK = 16;
const PIN_TRACK = 6;
const GUTTER_TRACK = 5;
const MIN_CONTENT_W = 640;
const VCPU_GAP = 4;
const VCPU_GAP_WIDE = 12;
const VCPU_MIN_W = 24;
const VCPU_MAX_W = 128;
const VCPU_WIDE = 88; // from this width a hypervisor vCPU box has room for words
const CORE_GAP = 3;
const CORE_H = 22;
/** Counts from the topology, bounded so a hand-built object cannot make the drawing explode. */
const MAX_DRAWN = 1024;

// ── small helpers ───────────────────────────────────────────────────────────────────────────────

/** A coordinate: one decimal, never NaN or -0. */
const f = (v: number): string => {
  const r = Math.round((Number.isFinite(v) ? v : 0) * 10) / 10;
  return String(r === 0 ? 0 : r);
};
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? clamp(Math.trunc(v), 0, MAX_DRAWN) : 0);
/** Estimated width of a label: average glyph 0.6 em, bold 0.67 em — DejaVu Sans, the widest common
 * fallback of system-ui, so narrower fonts only leave more room. */
const textWidth = (s: string, fontPx: number, bold = false): number => s.length * fontPx * (bold ? 0.67 : 0.6);
/** Cut a label to an estimated pixel width. */
const fit = (s: string, px: number, fontPx: number, bold = false): string => {
  const max = Math.max(1, Math.floor(px / (fontPx * (bold ? 0.67 : 0.6))));
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
};
/** Server bandwidth Θ/Π as a percentage with at most one decimal: "30 %", "33.3 %". */
export const bandwidthText = (budgetUs: number, periodUs: number): string => {
  const permille = Math.round((1000 * budgetUs) / periodUs);
  return Number.isFinite(permille) ? `${permille / 10} %` : '? %';
};
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const str = (v: unknown): string => String(v);
const asilLabel = (a: Asil): string => (a === 'QM' ? 'QM' : `ASIL ${str(a)}`);
const asilColor = (a: Asil): string => ASIL_COLORS[a] ?? ASIL_COLORS.QM;

interface TextOpts {
  readonly size?: number;
  readonly bold?: boolean;
  readonly anchor?: 'middle' | 'end';
  /** nb-muted: secondary text; nb-on-color: white on a coloured badge or chip. */
  readonly cls?: 'nb-muted' | 'nb-on-color' | 'nb-server-text';
}
const text = (x: number, y: number, s: string, o: TextOpts = {}): string =>
  `<text x="${f(x)}" y="${f(y)}"${o.size !== undefined ? ` font-size="${o.size}"` : ''}${o.bold ? ' font-weight="600"' : ''}${o.anchor ? ` text-anchor="${o.anchor}"` : ''}${o.cls ? ` class="${o.cls}"` : ''} fill="${o.cls === 'nb-on-color' ? '#fff' : 'currentColor'}"${o.cls === 'nb-muted' ? ' fill-opacity="0.72"' : ''}>${esc(s)}</text>`;

/** A bold lead and muted words in one <text>, so the words flow after the lead whatever the font. */
const leadText = (x: number, y: number, lead: string, rest: string, size: number): string =>
  `<text x="${f(x)}" y="${f(y)}" font-size="${size}" fill="currentColor"><tspan font-weight="600">${esc(lead)}</tspan>${rest ? `<tspan class="nb-muted" fill-opacity="0.72" font-size="${size - 1}" dx="8">${esc(rest)}</tspan>` : ''}</text>`;

/** Opening tag of a clickable group: classes, the 1-based source line, the diagnostic-style path and
 * the tooltip. */
const clickable = (cls: string, path: ReadonlyArray<string | number>, locate: LocateInSource, tooltip: string, extra = ''): string => {
  const line = locate(path).line;
  return `<g class="nb-click ${cls}" data-line="${Number.isInteger(line) && line > 0 ? line : 1}" data-path="${esc(formatPath(path))}"${extra}><title>${esc(tooltip)}</title>`;
};

// ── what the picture says about the hypervisor vCPUs ────────────────────────────────────────────

type VcpuStatus = 'idle' | 'dedicated' | 'reserved' | 'shared';
interface Sharer {
  readonly gi: number;
  readonly k: number;
}
interface HvCpu {
  readonly h: number;
  /** Guest vCPUs pinned here (k < vcpus), in guest order. */
  readonly sharers: readonly Sharer[];
  /** Σ budget/period of their servers (the sum NB4002 bounds by 1). */
  readonly reserved: number;
  /** dedicated: the analysis's dedicated supply (one guest vCPU, no server); reserved: every sharer
   * has a server; shared: some sharer has none. */
  readonly status: VcpuStatus;
  /** A cpuset partition of its own in L1 (partitionedCpus). */
  readonly partition: boolean;
}

const isHvIndex = (t: Topology, h: unknown): h is number => typeof h === 'number' && Number.isInteger(h) && h >= 0 && h < t.hypervisor.vcpus;

/** Hypervisor vCPUs that `nestbed run` gives a cpuset partition of their own. The same decision as
 * partitionCpus in core/node/stack/plan.ts, which core/common cannot import; keep the two in step:
 * every CPU whose guests all want a deadline server on that one CPU or have their CPUs to
 * themselves; when that is every CPU, the one with the least critical guests (then the lowest
 * index) stays in L1's root partition, where L1's own tasks run. */
const partitionedCpus = (t: Topology, n: number): Set<number> => {
  const onCpu = new Map<number, number>();
  for (const g of t.guests) for (const c of g.pin) onCpu.set(c, (onCpu.get(c) ?? 0) + 1);
  const wantsPartition = (g: Guest): boolean => (g.vcpuServer ? new Set(g.pin).size === 1 : g.pin.every((c) => onCpu.get(c) === 1));
  const cpus: number[] = [];
  for (let c = 0; c < n; c++) {
    const here = t.guests.filter((g) => g.pin.includes(c));
    if (here.length > 0 && here.every(wantsPartition)) cpus.push(c);
  }
  if (cpus.length < n) return new Set(cpus);
  const criticality = (c: number): number => Math.max(...t.guests.filter((g) => g.pin.includes(c)).map((g) => ASIL_RANK[g.asil] ?? 0));
  const keep = [...cpus].sort((a, b) => criticality(a) - criticality(b) || a - b)[0];
  return new Set(cpus.filter((c) => c !== keep));
};

const hypervisorCpus = (t: Topology): HvCpu[] => {
  const n = count(t.hypervisor.vcpus);
  const sharers: Sharer[][] = Array.from({ length: n }, () => []);
  t.guests.forEach((g, gi) =>
    g.pin.forEach((h, k) => {
      if (k < g.vcpus && isHvIndex(t, h) && h < n) sharers[h]!.push({ gi, k });
    }),
  );
  const parts = partitionedCpus(t, n);
  return sharers.map((here, h) => {
    let reserved = 0;
    for (const s of here) {
      const srv = t.guests[s.gi]!.vcpuServer;
      if (srv) reserved += srv.budgetUs / srv.periodUs;
    }
    const only = here.length === 1 ? here[0]! : undefined;
    const status: VcpuStatus =
      here.length === 0 ? 'idle' : only && supplyForGuestVcpu(t, only.gi, only.k).kind === 'dedicated' ? 'dedicated' : here.every((s) => t.guests[s.gi]!.vcpuServer) ? 'reserved' : 'shared';
    return { h, sharers: here, reserved, status, partition: parts.has(h) };
  });
};

const reservedText = (c: HvCpu): string => bandwidthText(Math.round(c.reserved * 1e6), 1e6);
const statusWords = (c: HvCpu): string => {
  const what = { idle: 'idle', dedicated: 'dedicated (one guest vCPU, no server)', reserved: `servers reserve ${reservedText(c)}${c.reserved > 1 ? ', more than the vCPU has' : ''}`, shared: `shared; some sharer has no server, so no guaranteed supply${c.reserved > 0 ? ` (servers reserve ${reservedText(c)})` : ''}` }[c.status];
  return `${what}${c.partition ? '; own cpuset partition' : ''}`;
};

// ── layout ──────────────────────────────────────────────────────────────────────────────────────

type Side = 'above' | 'below';
interface Chip {
  readonly k: number;
  readonly x: number;
  readonly w: number;
  readonly cx: number;
  /** pin[k]; undefined when pin is shorter than vcpus. */
  readonly hv: number | undefined;
  /** pin[k] names an existing hypervisor vCPU and k < vcpus. */
  readonly ok: boolean;
}
interface Box {
  readonly gi: number;
  readonly g: Guest;
  readonly row: number;
  readonly side: Side;
  readonly x: number;
  y: number;
  readonly w: number;
  readonly chips: readonly Chip[];
}
interface Row {
  readonly side: Side;
  /** Next to the vCPU strip: its pins go straight there; the others go round the left gutter. */
  readonly near: boolean;
  readonly members: readonly number[];
  readonly width: number;
}
interface DrawnChannel {
  readonly j: number;
  readonly c: Channel;
  readonly a: number;
  readonly b: number;
  readonly cross: boolean;
}

/** Greedy left-to-right wrap of widths into rows no wider than `limit`. */
const wrap = (widths: readonly number[], limit: number): number[][] => {
  const rows: number[][] = [];
  let cur: number[] = [];
  let used = 0;
  widths.forEach((w, i) => {
    const need = cur.length === 0 ? w : used + GUEST_GAP + w;
    if (cur.length > 0 && need > limit) {
      rows.push(cur);
      cur = [i];
      used = w;
    } else {
      cur.push(i);
      used = need;
    }
  });
  if (cur.length > 0) rows.push(cur);
  return rows;
};

/** As few rows as `limit` allows, then the narrowest limit that keeps that many: 7 equal boxes at
 * 5 a row become 4 + 3, not 5 + 2. */
const balancedRows = (widths: readonly number[], limit: number): number[][] => {
  const greedy = wrap(widths, limit);
  if (greedy.length <= 1 || widths.length > 64) return greedy;
  const candidates = new Set<number>();
  for (let i = 0; i < widths.length; i++) {
    let sum = -GUEST_GAP;
    for (let j = i; j < widths.length; j++) {
      sum += widths[j]! + GUEST_GAP;
      if (sum <= limit) candidates.add(sum);
    }
  }
  for (const c of [...candidates].sort((a, b) => a - b)) {
    const rows = wrap(widths, c);
    if (rows.length <= greedy.length) return rows;
  }
  return greedy;
};

/** Mean hypervisor vCPU of a guest's valid pins; a guest with none goes last. */
const barycentre = (t: Topology, g: Guest): number => {
  const hs = g.pin.filter((h, k) => k < g.vcpus && isHvIndex(t, h));
  return hs.length === 0 ? Number.MAX_SAFE_INTEGER : hs.reduce((s, h) => s + h, 0) / hs.length;
};

const chipCount = (g: Guest): number => clamp(Math.max(count(g.vcpus), g.pin.length), 1, MAX_DRAWN);

const chipsOf = (t: Topology, g: Guest, x: number, w: number): Chip[] => {
  const n = chipCount(g);
  const pitch = Math.min(CHIP_PITCH, (w - 16) / n);
  const cw = Math.max(1.5, pitch - (pitch >= 8 ? 3 : 1));
  const x0 = x + (w - (n * pitch - (pitch - cw))) / 2;
  return Array.from({ length: n }, (_, k) => {
    const hv = g.pin[k];
    return { k, x: x0 + k * pitch, w: cw, cx: x0 + k * pitch + cw / 2, hv, ok: k < g.vcpus && isHvIndex(t, hv) };
  });
};

/** Where a box's chips sit and where its wires and arrows leave it. */
const chipTop = (b: Box): number => (b.side === 'above' ? b.y + GUEST_H - CHIP_H / 2 : b.y - CHIP_H / 2);
const pinExit = (b: Box): number => (b.side === 'above' ? b.y + GUEST_H + CHIP_H / 2 : b.y - CHIP_H / 2);
const channelEdge = (b: Box): number => (b.side === 'above' ? b.y : b.y + GUEST_H);

interface Wire {
  readonly b: Box;
  readonly c: Chip;
  readonly d: string;
  readonly ok: boolean;
}
interface Arrow {
  readonly d: DrawnChannel;
  readonly path: string;
  readonly labelX: number;
  readonly labelY: number;
  readonly label: string;
  readonly labelW: number;
}
interface Layout {
  readonly W: number;
  readonly H: number;
  readonly titleY: number;
  readonly frame0: Rect;
  readonly frame1: Rect;
  readonly boxes: readonly Box[];
  readonly hvTop: number;
  readonly hvH: number;
  readonly vw: number;
  readonly wide: boolean;
  readonly hvX: (h: number) => number;
  readonly coreTop: number;
  readonly coreW: number;
  readonly coreX: (c: number) => number;
  readonly nCores: number;
  readonly wires: readonly Wire[];
  readonly arrows: readonly Arrow[];
  readonly legendY: number;
}
interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

const channelLabel = (c: Channel): string => `${str(c.kind)} ${c.port}`;
const pillWidth = (s: string): number => textWidth(s, 10) + 12;

/**
 * Places everything. Guests are ordered by the mean of their hypervisor vCPUs (the barycentre
 * heuristic of layered drawings; file order on ties), so pins rarely cross, and cut into balanced
 * rows of at most MAX_COLS standard boxes (or as wide as a wide vCPU strip). Half the rows sit above
 * the vCPU strip, half below, mirrored, so one or two rows wire straight to the strip; farther rows
 * route their pins through the lane under them, the left gutter and a bus next to the strip, in an
 * order that keeps those wires from crossing each other. Channels run in a lane on the outer side of
 * each row, short arrows nearest the boxes so longer ones arch over them; an arrow between rows goes
 * round the right gutter.
 */
const layout = (t: Topology, hv: readonly HvCpu[]): Layout => {
  const guests = t.guests;
  const nHv = hv.length;
  const nCores = count(t.host.cores);

  // ── widths and rows
  const hvMinW = nHv * VCPU_MIN_W + Math.max(0, nHv - 1) * VCPU_GAP;
  const coreMinW = nCores * 16 + Math.max(0, nCores - 1) * CORE_GAP;
  const rowLimit = Math.max(MAX_COLS * GUEST_W + (MAX_COLS - 1) * GUEST_GAP, hvMinW, coreMinW);
  const widths = guests.map((g) => Math.min(rowLimit, Math.max(GUEST_W, chipCount(g) * CHIP_PITCH + 16)));
  const order = guests.map((_, i) => i).sort((a, b) => barycentre(t, guests[a]!) - barycentre(t, guests[b]!) || a - b);
  const cut = balancedRows(
    order.map((i) => widths[i]!),
    rowLimit,
  ).map((r) => r.map((k) => order[k]!));
  const nAbove = Math.ceil(cut.length / 2);
  const rows: Row[] = cut.map((members, r) => ({
    side: r < nAbove ? 'above' : 'below',
    near: r === nAbove - 1 || r === nAbove,
    members,
    width: members.reduce((s, i) => s + widths[i]!, 0) + (members.length - 1) * GUEST_GAP,
  }));
  const rowOf = new Map<number, number>();
  rows.forEach((r, ri) => r.members.forEach((i) => rowOf.set(i, ri)));
  const CW = Math.max(MIN_CONTENT_W, hvMinW, coreMinW, ...rows.map((r) => r.width));

  // ── channels that can be drawn (both ends exist; the validator reports the others)
  const byName = new Map<string, number>();
  guests.forEach((g, i) => {
    if (!byName.has(g.name)) byName.set(g.name, i);
  });
  const drawn: DrawnChannel[] = (t.channels ?? []).flatMap((c, j) => {
    const a = byName.get(c.from);
    const b = byName.get(c.to);
    return a === undefined || b === undefined ? [] : [{ j, c, a, b, cross: rowOf.get(a) !== rowOf.get(b) }];
  });
  const crossing = drawn.filter((d) => d.cross);
  const rightGutter = crossing.length > 0 ? 10 + crossing.length * GUTTER_TRACK : 0;

  // ── horizontal placement
  const X0 = MARGIN;
  const X1 = X0 + PAD0;
  const GL = X1 + PAD1;
  const farPins = (side: Side) => rows.filter((r) => r.side === side && !r.near).reduce((n, r) => n + r.members.reduce((m, i) => m + guests[i]!.pin.filter((h, k) => k < guests[i]!.vcpus && isHvIndex(t, h)).length, 0), 0);
  const gutterTracks = Math.max(farPins('above'), farPins('below'));
  const CX = GL + (gutterTracks > 0 ? 10 + gutterTracks * GUTTER_TRACK : 0);
  const X1r = CX + CW + rightGutter + PAD1;
  const X0r = X1r + PAD0;
  const W = X0r + MARGIN;
  const boxes: Box[] = new Array<Box>(guests.length);
  rows.forEach((r, ri) => {
    let x = CX + (CW - r.width) / 2;
    for (const gi of r.members) {
      const g = guests[gi]!;
      boxes[gi] = { gi, g, row: ri, side: r.side, x, y: 0, w: widths[gi]!, chips: chipsOf(t, g, x, widths[gi]!) };
      x += widths[gi]! + GUEST_GAP;
    }
  });

  // ── channel ends along each box edge: towards the left first, nearest first; then self-loops;
  // then towards the right, farthest first (an arrow to another row, via the right gutter, counts as
  // farthest) — the order in which nested arrows do not cross
  const centre = (gi: number) => boxes[gi]!.x + boxes[gi]!.w / 2;
  const endKey = (gi: number, other: number | 'gutter'): number => {
    if (other === 'gutter') return 2e9;
    const dx = centre(other) - centre(gi);
    return dx < 0 ? -dx : dx > 0 ? 3e9 - dx : 1e9;
  };
  const ends = new Map<number, Array<{ id: string; j: number; key: number }>>();
  const addEnd = (gi: number, id: string, j: number, key: number) => {
    const list = ends.get(gi) ?? [];
    ends.set(gi, list);
    list.push({ id, j, key });
  };
  for (const d of drawn) {
    addEnd(d.a, `${d.j}:from`, d.j, d.a === d.b ? 1e9 : endKey(d.a, d.cross ? 'gutter' : d.b));
    addEnd(d.b, `${d.j}:to`, d.j, d.a === d.b ? 1e9 + 1 : endKey(d.b, d.cross ? 'gutter' : d.a));
  }
  const slotX = new Map<string, number>();
  for (const [gi, list] of ends) {
    const b = boxes[gi]!;
    list.sort((p, q) => p.key - q.key || p.j - q.j || (p.id < q.id ? -1 : 1));
    list.forEach((e, i) => slotX.set(e.id, b.x + 14 + ((b.w - 28) * (i + 1)) / (list.length + 1)));
  }

  // ── channel tracks per row lane: interval colouring, shortest intervals nearest the boxes; an
  // interval covers the arrow's horizontal run and its port label
  interface LaneItem {
    readonly id: string;
    readonly lo: number;
    readonly hi: number;
    track: number;
  }
  const lanes: LaneItem[][] = rows.map(() => []);
  const laneEdge = CX + CW + 4;
  const labelAt = new Map<number, number>();
  for (const d of drawn) {
    const x1 = slotX.get(`${d.j}:from`)!;
    const x2 = slotX.get(`${d.j}:to`)!;
    const lw = pillWidth(channelLabel(d.c));
    const ra = rowOf.get(d.a)!;
    if (!d.cross) {
      const mid = (x1 + x2) / 2;
      labelAt.set(d.j, mid);
      lanes[ra]!.push({ id: `${d.j}`, lo: Math.min(x1, x2, mid - lw / 2) - 4, hi: Math.max(x1, x2, mid + lw / 2) + 4, track: 0 });
    } else {
      const mid = Math.min(x1 + 8 + lw / 2, (x1 + laneEdge) / 2);
      labelAt.set(d.j, mid);
      lanes[ra]!.push({ id: `${d.j}`, lo: Math.min(x1, mid - lw / 2) - 4, hi: laneEdge, track: 0 });
      lanes[rowOf.get(d.b)!]!.push({ id: `${d.j}:in`, lo: x2 - 4, hi: laneEdge, track: 0 });
    }
  }
  const laneTracks = lanes.map((items) => {
    const placed: LaneItem[] = [];
    for (const it of [...items].sort((p, q) => p.hi - p.lo - (q.hi - q.lo) || p.lo - q.lo || (p.id < q.id ? -1 : 1))) {
      let tr = 0;
      while (placed.some((p) => p.track === tr && p.lo < it.hi && it.lo < p.hi)) tr++;
      it.track = tr;
      placed.push(it);
    }
    return placed.reduce((m, p) => Math.max(m, p.track + 1), 0);
  });
  const trackOf = (ri: number, id: string): number => lanes[ri]!.find((it) => it.id === id)?.track ?? 0;

  // ── far pins: numbered from the outermost (the row farthest from the strip, then by chip x); the
  // outermost takes the outer gutter track and the bus track next to the strip
  interface FarPin {
    readonly q: number;
    readonly laneTrack: number;
  }
  const far = new Map<string, FarPin>();
  const farCount: Record<Side, number> = { above: 0, below: 0 };
  const farRows = [...rows.keys()].filter((ri) => !rows[ri]!.near);
  const farOrder = [...farRows.filter((ri) => rows[ri]!.side === 'above'), ...farRows.filter((ri) => rows[ri]!.side === 'below').reverse()];
  const pinsInRow = rows.map(() => 0);
  for (const ri of farOrder) {
    const side = rows[ri]!.side;
    const here = rows[ri]!.members.flatMap((gi) => boxes[gi]!.chips.filter((c) => c.ok).map((c) => ({ gi, c })));
    here.sort((p, q) => p.c.cx - q.c.cx);
    here.forEach((p, laneTrack) => far.set(`${p.gi}:${p.c.k}`, { q: farCount[side]++, laneTrack }));
    pinsInRow[ri] = here.length;
  }

  // ── vertical placement
  const titleY = MARGIN + 15;
  const Y0 = MARGIN + (t.description ? 44 : 28);
  const Y1 = Y0 + HEADER;
  const busHeight = (n: number) => (n > 0 ? 20 + n * PIN_TRACK + 28 : 48);
  let y = Y1 + HEADER;
  rows.forEach((r, ri) => {
    if (r.side !== 'above') return;
    y += laneTracks[ri]! > 0 ? 10 + laneTracks[ri]! * CHANNEL_TRACK : ri === 0 ? 4 : 0;
    for (const gi of r.members) boxes[gi]!.y = y;
    y += GUEST_H + CHIP_H / 2;
    if (!r.near) y += 8 + pinsInRow[ri]! * PIN_TRACK + 12;
  });
  y += busHeight(farCount.above);
  const hvTop = y;
  const vwAt = (gap: number) => (nHv > 0 ? clamp(Math.floor((CW - (nHv - 1) * gap) / nHv), VCPU_MIN_W, VCPU_MAX_W) : 0);
  const vgap = vwAt(VCPU_GAP_WIDE) >= 60 ? VCPU_GAP_WIDE : VCPU_GAP;
  const vw = vwAt(vgap);
  const wide = vw >= VCPU_WIDE;
  const hvH = wide ? 60 : 46;
  const hvX0 = CX + (CW - (nHv * vw + Math.max(0, nHv - 1) * vgap)) / 2;
  const hvX = (h: number) => hvX0 + h * (vw + vgap);
  const hvBottom = hvTop + hvH;
  y = hvBottom;
  if (rows.some((r) => r.side === 'below')) y += busHeight(farCount.below);
  rows.forEach((r, ri) => {
    if (r.side !== 'below') return;
    if (!r.near) y += 12 + pinsInRow[ri]! * PIN_TRACK + 8;
    y += CHIP_H / 2;
    for (const gi of r.members) boxes[gi]!.y = y;
    y += GUEST_H + (laneTracks[ri]! > 0 ? 10 + laneTracks[ri]! * CHANNEL_TRACK : 0);
  });
  const Y1b = y + PAD1 + 4;
  const coreTop = Y1b + 10;
  const Y0b = coreTop + CORE_H + PAD0;
  const coreW = nCores > 0 ? clamp(Math.floor((CW - (nCores - 1) * CORE_GAP) / nCores), 16, 80) : 0;
  const coreX0 = CX + (CW - (nCores * coreW + Math.max(0, nCores - 1) * CORE_GAP)) / 2;

  // ── pins: arrival points spread over the vCPU's edge, in the order the wires come in
  const arrivals = new Map<string, Array<{ key: number; id: string }>>();
  const gutterX = (q: number) => GL + 6 + q * GUTTER_TRACK;
  for (const b of boxes) {
    for (const c of b.chips) {
      if (!c.ok) continue;
      const fp = far.get(`${b.gi}:${c.k}`);
      const edge = `${b.side}:${c.hv}`;
      const list = arrivals.get(edge) ?? [];
      arrivals.set(edge, list);
      list.push({ key: fp ? gutterX(fp.q) - 1e6 : c.cx, id: `${b.gi}:${c.k}` });
    }
  }
  const arrivalX = new Map<string, number>();
  for (const [edge, list] of arrivals) {
    const h = Number(edge.slice(edge.indexOf(':') + 1));
    list.sort((p, q) => p.key - q.key || (p.id < q.id ? -1 : 1));
    list.forEach((a, i) => arrivalX.set(a.id, hvX(h) + (vw * (i + 1)) / (list.length + 1)));
  }
  const wires: Wire[] = [];
  for (const b of boxes) {
    const dir = b.side === 'above' ? 1 : -1;
    const y0 = pinExit(b);
    const target = b.side === 'above' ? hvTop : hvBottom;
    for (const c of b.chips) {
      if (c.hv === undefined || (!c.ok && isHvIndex(t, c.hv))) continue; // unpinned, or a pin beyond vcpus: the chip says so
      if (!c.ok) {
        wires.push({ b, c, ok: false, d: `M${f(c.cx)} ${f(y0)}V${f(y0 + dir * 16)}` });
        continue;
      }
      const ex = arrivalX.get(`${b.gi}:${c.k}`)!;
      const fp = far.get(`${b.gi}:${c.k}`);
      if (!fp) {
        const my = (y0 + target) / 2;
        wires.push({ b, c, ok: true, d: `M${f(c.cx)} ${f(y0)}C${f(c.cx)} ${f(my)} ${f(ex)} ${f(my)} ${f(ex)} ${f(target)}` });
      } else {
        const ly = y0 + dir * (8 + fp.laneTrack * PIN_TRACK);
        const by = target - dir * (14 + fp.q * PIN_TRACK);
        wires.push({ b, c, ok: true, d: `M${f(c.cx)} ${f(y0)}V${f(ly)}H${f(gutterX(fp.q))}V${f(by)}H${f(ex)}V${f(target)}` });
      }
    }
  }

  // ── channel arrows
  const crossQ = new Map(crossing.map((d, q) => [d.j, q]));
  const trackY = (ri: number, tr: number): number => {
    const top = boxes[rows[ri]!.members[0]!]!.y;
    return rows[ri]!.side === 'above' ? top - 12 - tr * CHANNEL_TRACK : top + GUEST_H + 12 + tr * CHANNEL_TRACK;
  };
  const arrows: Arrow[] = drawn.map((d) => {
    const ba = boxes[d.a]!;
    const bb = boxes[d.b]!;
    const x1 = slotX.get(`${d.j}:from`)!;
    const x2 = slotX.get(`${d.j}:to`)!;
    const ya = trackY(ba.row, trackOf(ba.row, `${d.j}`));
    // stop a pixel short of the edge so the arrowhead's tip touches it
    const endY = channelEdge(bb) + (bb.side === 'above' ? -1 : 1);
    const via = d.cross ? `H${f(CX + CW + 10 + crossQ.get(d.j)! * GUTTER_TRACK)}V${f(trackY(bb.row, trackOf(bb.row, `${d.j}:in`)))}` : '';
    const label = channelLabel(d.c);
    return { d, path: `M${f(x1)} ${f(channelEdge(ba))}V${f(ya)}${via}H${f(x2)}V${f(endY)}`, labelX: labelAt.get(d.j)!, labelY: ya, label, labelW: pillWidth(label) };
  });

  return {
    W,
    H: Y0b + 22 + 8 + MARGIN, // the legend's first line; legendSvg reports extra lines
    titleY,
    frame0: { x: X0, y: Y0, w: X0r - X0, h: Y0b - Y0 },
    frame1: { x: X1, y: Y1, w: X1r - X1, h: Y1b - Y1 },
    boxes,
    hvTop,
    hvH,
    vw,
    wide,
    hvX,
    coreTop,
    coreW,
    coreX: (c) => coreX0 + c * (coreW + CORE_GAP),
    nCores,
    wires,
    arrows,
    legendY: Y0b + 22,
  };
};

// ── drawing ─────────────────────────────────────────────────────────────────────────────────────

const guestTooltip = (t: Topology, g: Guest): string => {
  const pins = g.pin.map((h, k) => `vCPU ${k} → hypervisor vCPU ${h}`).join(', ');
  const srv = g.vcpuServer ? `server ${g.vcpuServer.budgetUs} µs every ${g.vcpuServer.periodUs} µs (${bandwidthText(g.vcpuServer.budgetUs, g.vcpuServer.periodUs)}) on each vCPU` : 'no vcpuServer';
  const tasks = g.tasks?.length ? `, ${plural(g.tasks.length, 'real-time task')}` : '';
  const links = (t.channels ?? []).filter((c) => c.from === g.name || c.to === g.name).map((c) => (c.from === g.name ? `→ ${str(c.to)} (${c.port})` : `← ${str(c.from)} (${c.port})`));
  return [`${str(g.name)}: ${asilLabel(g.asil)}, role ${str(g.role)}, os ${str(g.os)}`, `${plural(g.vcpus, 'vCPU')} (${pins}), ${g.memoryMiB} MiB`, `${srv}${tasks}`, ...(links.length ? [`channels ${links.join(', ')}`] : [])].join('\n');
};

const drawGuest = (t: Topology, b: Box, locate: LocateInSource): string => {
  const { g, x, w } = b;
  const y = b.y + (b.side === 'below' ? 4 : 0); // clear of the chips on the top edge
  const a = g.asil;
  const color = asilColor(a);
  const badgeW = 48;
  const inner = w - 16;
  const srv = g.vcpuServer;
  const fourth = srv
    ? text(x + 8, y + 69, fit(`server ${bandwidthText(srv.budgetUs, srv.periodUs)} · ${srv.budgetUs}/${srv.periodUs} µs`, inner, 10), { size: 10, cls: 'nb-server-text' })
    : g.tasks?.length
      ? text(x + 8, y + 69, fit(plural(g.tasks.length, 'real-time task'), inner, 10), { size: 10, cls: 'nb-muted' })
      : '';
  return [
    clickable(`nb-guest nb-asil-${esc(str(a))}`, ['guests', b.gi], locate, guestTooltip(t, g), ` data-guest="${esc(str(g.name))}"`),
    `<rect class="nb-box" x="${f(x)}" y="${f(b.y)}" width="${f(w)}" height="${GUEST_H}" rx="7" fill="${color}" fill-opacity="${ASIL_TINT[a] ?? 0.1}" stroke="${color}" stroke-width="${ASIL_STROKE[a] ?? 1.2}"/>`,
    `<rect class="nb-badge" x="${f(x + 8)}" y="${f(y + 8)}" width="${badgeW}" height="16" rx="8" fill="${color}"/>`,
    text(x + 8 + badgeW / 2, y + 20, asilLabel(a), { size: 10, bold: true, anchor: 'middle', cls: 'nb-on-color' }),
    text(x + 8 + badgeW + 7, y + 20, fit(str(g.name), inner - badgeW - 7, 12, true), { size: 12, bold: true }),
    text(x + 8, y + 40, fit(`${str(g.role)} · ${str(g.os)}`, inner, 11), { size: 11 }),
    text(x + 8, y + 55, fit(`${plural(g.vcpus, 'vCPU')} · ${g.memoryMiB} MiB`, inner, 11), { size: 11, cls: 'nb-muted' }),
    fourth,
    '</g>',
  ].join('');
};

const drawChips = (t: Topology, b: Box, hv: readonly HvCpu[], locate: LocateInSource): string => {
  const color = asilColor(b.g.asil);
  const top = chipTop(b);
  return b.chips
    .map((c) => {
      const label = [`v${c.k}`, `${c.k}`].find((s) => textWidth(s, 9, true) <= c.w - 1) ?? '';
      const where =
        c.hv === undefined
          ? 'not pinned (pin is shorter than vcpus)'
          : c.ok
            ? `pinned to hypervisor vCPU ${c.hv}, ${statusWords(hv[c.hv]!)}`
            : c.k >= b.g.vcpus
              ? `pin[${c.k}] = ${str(c.hv)} is beyond vcpus = ${b.g.vcpus}`
              : `pin[${c.k}] = ${str(c.hv)}: there is no such hypervisor vCPU (0..${t.hypervisor.vcpus - 1})`;
      const path = c.hv === undefined ? ['guests', b.gi, 'pin'] : ['guests', b.gi, 'pin', c.k];
      const body = c.ok ? `fill="${color}"` : `fill="none" stroke="${color}" stroke-dasharray="2 2"`;
      return `${clickable(`nb-chip${c.ok ? '' : ' nb-invalid'}`, path, locate, `${str(b.g.name)} vCPU ${c.k}: ${where}`)}<rect x="${f(c.x)}" y="${f(top)}" width="${f(c.w)}" height="${CHIP_H}" rx="3" ${body}/>${label ? text(c.cx, top + 10.5, label, { size: 9, bold: true, anchor: 'middle', ...(c.ok ? { cls: 'nb-on-color' as const } : {}) }) : ''}</g>`;
    })
    .join('');
};

const drawWire = (t: Topology, w: Wire, hv: readonly HvCpu[], locate: LocateInSource): string => {
  const { b, c } = w;
  const tip = w.ok ? `${str(b.g.name)} vCPU ${c.k} → hypervisor vCPU ${c.hv}: ${statusWords(hv[c.hv!]!)}` : `${str(b.g.name)} pin[${c.k}] = ${str(c.hv)}: there is no such hypervisor vCPU (0..${t.hypervisor.vcpus - 1})`;
  const y0 = pinExit(b) + (b.side === 'above' ? 27 : -18);
  return [
    clickable(`nb-pin nb-asil-${esc(str(b.g.asil))}${w.ok ? '' : ' nb-invalid'}`, ['guests', b.gi, 'pin', c.k], locate, tip, ` data-guest="${esc(str(b.g.name))}" data-vcpu="${c.k}"`),
    `<path class="nb-hit" d="${w.d}" fill="none" stroke="transparent" stroke-width="9"/>`,
    `<path class="nb-wire" d="${w.d}" fill="none" stroke="${asilColor(b.g.asil)}" stroke-width="1.6" stroke-opacity="0.9" stroke-linejoin="round"${w.ok ? '' : ' stroke-dasharray="3 2"'}/>`,
    w.ok ? '' : text(c.cx, y0, '?', { size: 11, bold: true, anchor: 'middle' }),
    '</g>',
  ].join('');
};

const drawArrow = (a: Arrow, locate: LocateInSource): string => {
  const { c, j } = a.d;
  return [
    clickable('nb-channel', ['channels', j], locate, `channel ${str(c.from)} → ${str(c.to)}: ${str(c.kind)} port ${c.port}`, ` data-from="${esc(str(c.from))}" data-to="${esc(str(c.to))}"`),
    `<path class="nb-hit" d="${a.path}" fill="none" stroke="transparent" stroke-width="9"/>`,
    `<path class="nb-wire" d="${a.path}" fill="none" stroke="${CHANNEL_COLOR}" stroke-width="1.6" stroke-linejoin="round" marker-end="url(#nb-topology-arrow)"/>`,
    `<rect class="nb-pill" x="${f(a.labelX - a.labelW / 2)}" y="${f(a.labelY - 7)}" width="${f(a.labelW)}" height="14" rx="7" fill="${CHANNEL_COLOR}"/>`,
    text(a.labelX, a.labelY + 3.5, a.label, { size: 10, anchor: 'middle', cls: 'nb-on-color' }),
    '</g>',
  ].join('');
};

const drawVcpu = (t: Topology, c: HvCpu, L: Layout, locate: LocateInSource): string => {
  const { vw, hvTop, hvH, wide } = L;
  const x = L.hvX(c.h);
  const who = c.sharers.map((s) => {
    const g = t.guests[s.gi]!;
    return `${str(g.name)} vCPU ${s.k}${g.vcpuServer ? ` (server ${bandwidthText(g.vcpuServer.budgetUs, g.vcpuServer.periodUs)})` : ''}`;
  });
  const tip = [`hypervisor vCPU ${c.h}: ${statusWords(c)}`, ...(who.length ? [`guest vCPUs: ${who.join(', ')}`] : []), c.partition ? 'none of L1’s own tasks run here' : 'in L1’s root partition: L1’s own tasks run here'].join('\n');
  const status = c.status === 'reserved' ? `reserved ${reservedText(c)}` : c.status;
  const short = { idle: '–', dedicated: 'ded', reserved: 'res', shared: 'shr' }[c.status];
  const words = wide
    ? text(x + 8, hvTop + 15, `vCPU ${c.h}`, { size: 11, bold: true }) + text(x + 8, hvTop + 29, fit(status, vw - 14, 10), { size: 10 }) + text(x + 8, hvTop + 42, c.partition ? 'partition' : 'L1 root', { size: 10, cls: 'nb-muted' })
    : text(x + vw / 2, hvTop + 14, `${c.h}`, { size: 10, bold: true, anchor: 'middle' }) + (vw >= 26 ? text(x + vw / 2, hvTop + 27, short, { size: 9, anchor: 'middle', cls: 'nb-muted' }) : '') + (c.partition ? text(x + vw / 2, hvTop + 38, 'P', { size: 9, anchor: 'middle', cls: 'nb-muted' }) : '');
  const outline = c.partition ? `<rect class="nb-partition-mark" x="${f(x - 2.5)}" y="${f(hvTop - 2.5)}" width="${f(vw + 5)}" height="${f(hvH + 5)}" rx="6" fill="none" stroke="currentColor" stroke-opacity="0.7" stroke-dasharray="4 2.5"/>` : '';
  return [
    clickable(`nb-vcpu nb-${c.status}${c.partition ? ' nb-partition' : ''}${c.reserved > 1 ? ' nb-overbooked' : ''}`, ['hypervisor', 'vcpus'], locate, tip, ` data-vcpu="${c.h}"`),
    outline,
    `<rect class="nb-box" x="${f(x)}" y="${f(hvTop)}" width="${f(vw)}" height="${hvH}" rx="5" fill="currentColor" fill-opacity="0.07" ${c.reserved > 1 ? `stroke="${ASIL_COLORS.D}" stroke-width="2"` : 'stroke="currentColor" stroke-opacity="0.55"'}/>`,
    words,
    serverBar(t, c, x + (wide ? 8 : 3), hvTop + hvH - (wide ? 11 : 7), vw - (wide ? 16 : 6)),
    '</g>',
  ].join('');
};

/** The vCPU's server bandwidth: one segment per guest vCPU with a server, in its guest's ASIL colour,
 * on a track that stands for the whole vCPU (capped at 100 %; the validator reports more). */
const serverBar = (t: Topology, c: HvCpu, x: number, y: number, w: number): string => {
  if (c.reserved <= 0) return '';
  let acc = 0;
  const segs = c.sharers.flatMap((s) => {
    const g = t.guests[s.gi]!;
    if (!g.vcpuServer) return [];
    const from = w * Math.min(1, acc);
    acc += g.vcpuServer.budgetUs / g.vcpuServer.periodUs;
    const to = w * Math.min(1, acc);
    return to - from > 0 ? [`<rect class="nb-server-seg" x="${f(x + from)}" y="${f(y)}" width="${f(Math.max(0.5, to - from - (to - from > 3 ? 1 : 0)))}" height="5" fill="${asilColor(g.asil)}"/>`] : [];
  });
  return `<rect class="nb-server-track" x="${f(x)}" y="${f(y)}" width="${f(w)}" height="5" fill="currentColor" fill-opacity="0.15"/>${segs.join('')}`;
};

const drawFrames = (t: Topology, L: Layout, locate: LocateInSource): string => {
  const { frame0: a, frame1: b } = L;
  const host = `${str(t.host.cpu)} · ${plural(t.host.cores, 'core')} · ${t.host.memoryMiB} MiB · timing ${str(t.host.timing ?? 'fast')}`;
  const hyp = `${str(t.hypervisor.kind)} · ${plural(t.hypervisor.vcpus, 'vCPU')} · ${t.hypervisor.memoryMiB} MiB`;
  const cores = Array.from({ length: L.nCores }, (_, c) => {
    const x = L.coreX(c);
    const label = [`core ${c}`, `${c}`].find((s) => textWidth(s, 10) <= L.coreW - 6) ?? '';
    return `${clickable('nb-core', ['host', 'cores'], locate, `L0 emulated core ${c} (${str(t.host.cpu)})`)}<rect class="nb-box" x="${f(x)}" y="${f(L.coreTop)}" width="${f(L.coreW)}" height="${CORE_H}" rx="4" fill="currentColor" fill-opacity="0.07" stroke="currentColor" stroke-opacity="0.45"/>${label ? text(x + L.coreW / 2, L.coreTop + 15, label, { size: 10, anchor: 'middle', cls: 'nb-muted' }) : ''}</g>`;
  });
  return [
    `${clickable('nb-host', ['host'], locate, `L0 host, the emulated Arm server: cpu ${str(t.host.cpu)}, ${plural(t.host.cores, 'core')}, ${t.host.memoryMiB} MiB, timing ${str(t.host.timing ?? 'fast')}`)}<rect class="nb-frame" x="${f(a.x)}" y="${f(a.y)}" width="${f(a.w)}" height="${f(a.h)}" rx="10" fill="currentColor" fill-opacity="0.03" stroke="currentColor" stroke-opacity="0.4"/>${leadText(a.x + 12, a.y + 17, 'L0 host', fit(host, a.w - 24 - textWidth('L0 host  ', 12, true), 11), 12)}</g>`,
    ...cores,
    `${clickable('nb-hypervisor', ['hypervisor'], locate, `L1 guest hypervisor (${str(t.hypervisor.kind)} at virtual EL2): ${plural(t.hypervisor.vcpus, 'vCPU')}, ${t.hypervisor.memoryMiB} MiB`)}<rect class="nb-frame" x="${f(b.x)}" y="${f(b.y)}" width="${f(b.w)}" height="${f(b.h)}" rx="8" fill="currentColor" fill-opacity="0.035" stroke="currentColor" stroke-opacity="0.5"/>${leadText(b.x + 12, b.y + 17, 'L1 hypervisor', fit(hyp, b.w - 24 - textWidth('L1 hypervisor  ', 12, true), 11), 12)}</g>`,
  ].join('\n');
};

const drawTitle = (t: Topology, L: Layout): string => {
  const room = L.W - 2 * MARGIN;
  const name = fit(str(t.name), room, 14, true);
  const profile = t.profile ? fit(`profile ${str(t.profile)}`, room - textWidth(`${name}  `, 14, true), 13) : '';
  const desc = t.description ? text(MARGIN + 2, L.titleY + 17, fit(str(t.description).replace(/\s+/g, ' '), room, 11), { size: 11, cls: 'nb-muted' }) : '';
  return `${leadText(MARGIN + 2, L.titleY, name, profile, 14)}${desc}`;
};

const keyItem = (label: string, sample: (x: number, y: number) => string) => ({
  w: 28 + textWidth(label, 10) + 20,
  draw: (x: number, y: number) => `${sample(x, y)}${text(x + 28, y + 4, label, { size: 10, cls: 'nb-muted' })}`,
});

/** The key under the frames: ASIL badges and a pin always; a channel, a partition outline and a
 * server bar when the drawing has one. Wraps. */
const drawLegend = (y0: number, W: number, has: { channels: boolean; partitions: boolean; servers: boolean }): { svg: string; extra: number } => {
  const items = [
    { w: 34, draw: (x: number, y: number) => text(x, y + 4, 'ASIL', { size: 10, bold: true }) },
    ...ASIL_ORDER.map((a) => ({
      w: 30,
      draw: (x: number, y: number) => `<rect x="${f(x)}" y="${f(y - 7)}" width="26" height="14" rx="7" fill="${ASIL_COLORS[a]}"/>${text(x + 13, y + 3.5, a, { size: 9, bold: true, anchor: 'middle', cls: 'nb-on-color' })}`,
    })),
    { w: 14, draw: () => '' },
    keyItem('pin: guest vCPU → hypervisor vCPU', (x, y) => `<path d="M${f(x)} ${f(y)}h22" stroke="${ASIL_COLORS.QM}" stroke-width="1.6"/>`),
    ...(!has.channels ? [] : [keyItem('channel (kind port)', (x, y) => `<path d="M${f(x)} ${f(y)}h22" stroke="${CHANNEL_COLOR}" stroke-width="1.6" marker-end="url(#nb-topology-arrow)"/>`)]),
    ...(!has.partitions ? [] : [keyItem('own cpuset partition in L1', (x, y) => `<rect x="${f(x)}" y="${f(y - 6)}" width="22" height="12" rx="3" fill="none" stroke="currentColor" stroke-opacity="0.7" stroke-dasharray="4 2.5"/>`)]),
    ...(!has.servers ? [] : [keyItem('server bandwidth Θ/Π', (x, y) => `<rect x="${f(x)}" y="${f(y - 2.5)}" width="22" height="5" fill="currentColor" fill-opacity="0.15"/><rect x="${f(x)}" y="${f(y - 2.5)}" width="9" height="5" fill="${ASIL_COLORS.B}"/>`)]),
  ];
  let x = MARGIN + 2;
  let y = y0;
  const parts: string[] = [];
  for (const it of items) {
    if (x + it.w > W - MARGIN && x > MARGIN + 2) {
      x = MARGIN + 36;
      y += 20;
    }
    parts.push(it.draw(x, y));
    x += it.w;
  }
  return { svg: `<g class="nb-legend">${parts.join('')}</g>`, extra: y - y0 };
};

/**
 * The topology as an SVG document (a string), for the IDE's topology view and the HTML report.
 * `locate` maps a path in the file to its source position; each clickable element carries the line:
 * host frame → ['host'], a core → ['host', 'cores'], hypervisor frame → ['hypervisor'], a hypervisor
 * vCPU → ['hypervisor', 'vcpus'], guest box → ['guests', i], a guest vCPU chip and its pin wire →
 * ['guests', i, 'pin', k], channel arrow → ['channels', j].
 */
export const topologyDiagramSvg = (t: Topology, locate: LocateInSource): string => {
  const hv = hypervisorCpus(t);
  const L = layout(t, hv);
  const legend = drawLegend(L.legendY, L.W, { channels: L.arrows.length > 0, partitions: hv.some((c) => c.partition), servers: hv.some((c) => c.reserved > 0) });
  const H = L.H + legend.extra;
  const channels = t.channels?.length ?? 0;
  const aria = `Topology ${str(t.name)}: L0 host ${str(t.host.cpu)} with ${plural(t.host.cores, 'core')}; L1 ${str(t.hypervisor.kind)} hypervisor with ${plural(t.hypervisor.vcpus, 'vCPU')}; ${plural(t.guests.length, 'guest')} (${t.guests.map((g) => `${str(g.name)} ${asilLabel(g.asil)}`).join(', ')}); ${plural(channels, 'channel')}`;
  const body = [
    `<defs><marker id="nb-topology-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path class="nb-arrowhead" d="M0 0L10 5L0 10z" fill="${CHANNEL_COLOR}"/></marker></defs>`,
    drawTitle(t, L),
    drawFrames(t, L, locate),
    ...hv.map((c) => drawVcpu(t, c, L, locate)),
    ...L.wires.map((w) => drawWire(t, w, hv, locate)),
    ...L.arrows.map((a) => drawArrow(a, locate)),
    ...L.boxes.map((b) => drawGuest(t, b, locate)),
    ...L.boxes.map((b) => drawChips(t, b, hv, locate)),
    legend.svg,
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" id="topology-diagram" class="nb-topology" viewBox="0 0 ${f(L.W)} ${f(H)}" width="${f(L.W)}" height="${f(H)}" role="img" aria-label="${esc(aria)}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="11">\n${body.join('\n')}\n</svg>\n`;
};

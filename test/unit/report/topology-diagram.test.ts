import { describe, expect, it } from 'vitest';
import type { Topology, ValidTopology } from '../../../src/core/common/model/topology.js';
import { bandwidthText, topologyDiagramSvg, TOPOLOGY_DIAGRAM_CSS } from '../../../src/core/common/report/topology-diagram.js';
import type { Validation } from '../../../src/core/common/validate/validate-topology.js';
import { partitionCpus } from '../../../src/core/node/stack/plan.js';
import { topologyYaml, validateExample, validateText } from '../../helpers/validate.js';

const render = (v: Validation): string => topologyDiagramSvg(v.topology!, v.sourceMap.locate);
const lineOf = (v: Validation, ...path: Array<string | number>): number => v.sourceMap.locate(path).line;

interface Group {
  readonly cls: string;
  readonly line: number;
  readonly path: string;
  readonly attrs: string;
  /** Everything up to the group's own `</g>` (clickable groups never nest). */
  readonly body: string;
}
/** The clickable groups of one kind, in document order. */
const groups = (svg: string, kind: string): Group[] =>
  [...svg.matchAll(/<g class="nb-click ([^"]*)" data-line="(\d+)" data-path="([^"]*)"([^>]*)>([\s\S]*?)<\/g>/g)]
    .filter((m) => m[1]!.split(' ')[0] === kind)
    .map((m) => ({ cls: m[1]!, line: Number(m[2]), path: m[3]!, attrs: m[4]!, body: m[5]! }));
const texts = (fragment: string): string[] => [...fragment.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
const tooltip = (g: Group): string => /<title>([^<]*)<\/title>/.exec(g.body)![1]!;

/** A strict little XML check: tags balance, attribute values are quoted, and no `<`, `>` or bare `&`
 * is left in text or attributes — what must hold if every string was escaped. */
const assertWellFormed = (svg: string): void => {
  const stack: string[] = [];
  const outside: string[] = [];
  let at = 0;
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (close) expect(stack.pop(), `</${name}>`).toBe(name);
    else if (!selfClose) stack.push(name!);
    outside.push(svg.slice(at, m.index));
    at = m.index + m[0].length;
  }
  outside.push(svg.slice(at));
  const rest = outside.join(' ');
  expect(stack).toEqual([]);
  expect(rest).not.toMatch(/[<>]/);
  expect(rest).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
};

/** Bounds of a guest box (its first rect). */
const boxOf = (g: Group) => {
  const m = /<rect class="nb-box" x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"/.exec(g.body)!;
  const [x, y, w, h] = m.slice(1).map(Number) as [number, number, number, number];
  return { x, y, w, h };
};

describe('topologyDiagramSvg on the zonal controller', () => {
  const v = validateExample('zonal-controller.yaml');
  const svg = render(v);

  it('is one root <svg> with the id, role and label the view needs, and well-formed', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" id="topology-diagram" ')).toBe(true);
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-label="Topology zonal-controller: L0 host ampereone with 3 cores; L1 kvm hypervisor with 3 vCPUs; 3 guests \(safety ASIL D, adas ASIL B, ivi QM\); 2 channels"/);
    expect(svg.match(/<svg /g)).toHaveLength(1);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    assertWellFormed(svg);
  });

  it('draws one box per guest with its ASIL written out, at the line of the guest in the file', () => {
    const boxes = groups(svg, 'nb-guest');
    // each points at its `- name:` line
    expect(boxes.map((b) => `${b.path} ${b.line} ${b.cls} ${texts(b.body).slice(0, 3).join(' | ')}`)).toEqual([
      'guests[0] 22 nb-guest nb-asil-D ASIL D | safety | safety · rtos',
      'guests[1] 33 nb-guest nb-asil-B ASIL B | adas | adas · linux-rt',
      'guests[2] 45 nb-guest nb-asil-QM QM | ivi | infotainment · linux',
    ]);
    // placed left to right by hypervisor vCPU (ivi on 0, adas on 1, safety on 2), so no pins cross
    const [safety, adas, ivi] = boxes.map(boxOf);
    expect(ivi!.x < adas!.x && adas!.x < safety!.x).toBe(true);
    for (const b of boxes) expect(b.line).toBe(lineOf(v, 'guests', Number(/\d+/.exec(b.path)![0])));
    expect(texts(boxes[0]!.body)).toEqual(['ASIL D', 'safety', 'safety · rtos', '1 vCPU · 64 MiB', '3 real-time tasks']);
    expect(tooltip(boxes[0]!)).toBe('safety: ASIL D, role safety, os rtos\n1 vCPU (vCPU 0 → hypervisor vCPU 2), 64 MiB\nno vcpuServer, 3 real-time tasks\nchannels → ivi (5000), ← adas (5001)');
  });

  it('draws one wire per pin, from the guest vCPU, pointing at the pin in the file', () => {
    const pins = groups(svg, 'nb-pin');
    expect(pins.map((p) => `${p.path}@${p.line}`)).toEqual(['guests[0].pin[0]@27', 'guests[1].pin[0]@38', 'guests[2].pin[0]@50']);
    expect(pins.map(tooltip)).toEqual([
      'safety vCPU 0 → hypervisor vCPU 2: dedicated (one guest vCPU, no server); own cpuset partition',
      'adas vCPU 0 → hypervisor vCPU 1: dedicated (one guest vCPU, no server); own cpuset partition',
      'ivi vCPU 0 → hypervisor vCPU 0: dedicated (one guest vCPU, no server)',
    ]);
    // the chip of each guest vCPU is clickable too, at the same line
    expect(groups(svg, 'nb-chip').map((c) => `${c.path}@${c.line}`).sort()).toEqual(pins.map((p) => `${p.path}@${p.line}`).sort());
  });

  it('draws one arrow per channel with its port, at the line of the channel', () => {
    const arrows = groups(svg, 'nb-channel');
    expect(arrows.map((a) => `${a.path}@${a.line} ${texts(a.body).join('')} ${a.attrs.trim()}`)).toEqual([
      'channels[0]@55 vsock 5000 data-from="safety" data-to="ivi"',
      'channels[1]@56 vsock 5001 data-from="adas" data-to="safety"',
    ]);
    for (const a of arrows) expect(a.body).toContain('marker-end="url(#nb-topology-arrow)"');
  });

  it('marks the hypervisor vCPUs: dedicated, and which get their own cpuset partition (as the run plans it)', () => {
    const vcpus = groups(svg, 'nb-vcpu');
    expect(vcpus.map((c) => `${c.cls} ${texts(c.body).join(' | ')}`)).toEqual([
      'nb-vcpu nb-dedicated vCPU 0 | dedicated | L1 root',
      'nb-vcpu nb-dedicated nb-partition vCPU 1 | dedicated | partition',
      'nb-vcpu nb-dedicated nb-partition vCPU 2 | dedicated | partition',
    ]);
    expect(vcpus.every((c) => c.line === lineOf(v, 'hypervisor', 'vcpus') && c.path === 'hypervisor.vcpus')).toBe(true);
  });

  it('makes the host, its cores and the hypervisor clickable at their lines', () => {
    const [host] = groups(svg, 'nb-host');
    const [hyp] = groups(svg, 'nb-hypervisor');
    // the line of the block under `host:` / `hypervisor:`, as a diagnostic at that path has it
    expect([host!.line, host!.path, hyp!.line, hyp!.path]).toEqual([13, 'host', 18, 'hypervisor']);
    expect([host!.line, hyp!.line]).toEqual([lineOf(v, 'host'), lineOf(v, 'hypervisor')]);
    expect(texts(host!.body).join('')).toBe('');
    expect(host!.body).toContain('<tspan font-weight="600">L0 host</tspan><tspan class="nb-muted" fill-opacity="0.72" font-size="11" dx="8">ampereone · 3 cores · 4096 MiB · timing deterministic</tspan>');
    expect(groups(svg, 'nb-core').map((c) => c.line)).toEqual([14, 14, 14]);
  });

  it('is deterministic: the same topology, or a copy of it, gives the same string', () => {
    expect(render(v)).toBe(svg);
    const copy = structuredClone(v.topology!);
    expect(topologyDiagramSvg(copy, v.sourceMap.locate)).toBe(svg);
    expect(render(validateExample('zonal-controller.yaml'))).toBe(svg);
  });
});

describe('topologyDiagramSvg, other shapes', () => {
  it('shows server bandwidth on the guest and on its hypervisor vCPU (shared-core: 60 % + 30 %)', () => {
    const v = validateExample('shared-core.yaml');
    const svg = render(v);
    const boxes = groups(svg, 'nb-guest');
    const text = (name: string) => texts(boxes.find((b) => b.attrs.includes(`data-guest="${name}"`))!.body);
    expect(text('ivi')).toContain('server 30 % · 300/1000 µs');
    expect(text('adas')).toContain('server 60 % · 150/250 µs');
    const vcpus = groups(svg, 'nb-vcpu');
    expect(vcpus.map((c) => `${c.cls} ${texts(c.body).join(' | ')}`)).toEqual(['nb-vcpu nb-reserved vCPU 0 | reserved 90 % | L1 root', 'nb-vcpu nb-dedicated nb-partition vCPU 1 | dedicated | partition']);
    // one bar segment per server, in its guest's ASIL colour
    expect(vcpus[0]!.body.match(/class="nb-server-seg"/g)).toHaveLength(2);
    expect(tooltip(vcpus[0]!)).toBe('hypervisor vCPU 0: servers reserve 90 %\nguest vCPUs: adas vCPU 0 (server 60 %), ivi vCPU 0 (server 30 %)\nin L1’s root partition: L1’s own tasks run here');
  });

  it('draws a topology without channels: no arrows, no channel key', () => {
    const svg = render(validateExample('two-linux.yaml'));
    expect(groups(svg, 'nb-channel')).toEqual([]);
    expect(svg).not.toContain('channel (kind port)');
    expect(groups(svg, 'nb-guest')).toHaveLength(2);
    expect(groups(svg, 'nb-pin')).toHaveLength(2);
    assertWellFormed(svg);
  });

  it.each(['minimal.yaml', 'two-linux.yaml', 'shared-core.yaml', 'zonal-controller.yaml'])('%s: the partitions marked are the ones `nestbed run` makes', (name) => {
    const v = validateExample(name);
    const marked = groups(render(v), 'nb-vcpu').flatMap((c) => (c.cls.includes('nb-partition') ? [Number(/data-vcpu="(\d+)"/.exec(c.attrs)![1])] : []));
    expect(marked).toEqual(partitionCpus(v.valid as ValidTopology));
  });

  it('a guest with several vCPUs has a chip and a wire for each, and shared vCPUs say so', () => {
    const v = validateText(
      topologyYaml(
        `  - { name: big, role: adas, asil: B, os: linux-rt, vcpus: 3, pin: [0, 1, 1], memoryMiB: 256, vcpuServer: { periodUs: 1000, budgetUs: 250 } }
  - { name: ivi, role: infotainment, asil: QM, os: linux, vcpus: 1, pin: [1], memoryMiB: 256, vcpuServer: { periodUs: 1000, budgetUs: 200 } }
`,
      ),
    );
    expect(v.errors).toBe(0);
    const svg = render(v);
    expect(groups(svg, 'nb-pin').map((p) => `${p.path}@${p.line}`)).toEqual(['guests[0].pin[0]@7', 'guests[0].pin[1]@7', 'guests[0].pin[2]@7', 'guests[1].pin[0]@8']);
    expect(groups(svg, 'nb-chip').flatMap((c) => texts(c.body))).toEqual(['v0', 'v1', 'v2', 'v0']);
    expect(groups(svg, 'nb-vcpu').map((c) => `${c.cls} ${texts(c.body)[1]}`)).toEqual(['nb-vcpu nb-reserved reserved 25 %', 'nb-vcpu nb-reserved reserved 70 %']);
  });

  it('draws a pin to a missing hypervisor vCPU as a dangling wire, so a half-edited file still shows', () => {
    const v = validateExample('broken/pin-out-of-range.yaml');
    expect(v.valid).toBeUndefined();
    const svg = render(v);
    const [pin] = groups(svg, 'nb-pin');
    expect(pin!.cls).toBe('nb-pin nb-asil-QM nb-invalid');
    expect(tooltip(pin!)).toBe('ivi pin[0] = 3: there is no such hypervisor vCPU (0..1)');
    expect(pin!.line).toBe(9);
    assertWellFormed(svg);
  });

  it('lays out 32 guests on 64 vCPUs in rows above and below the strip, boxes apart, every pin and channel drawn', () => {
    const asil = ['QM', 'A', 'B', 'C', 'D'];
    const guests = Array.from({ length: 32 }, (_, i) => `  - { name: g${i}, role: other, asil: ${asil[i % 5]}, os: linux, vcpus: 2, pin: [${2 * i}, ${2 * i + 1}], memoryMiB: 64 }`).join('\n');
    const channels = Array.from({ length: 20 }, (_, j) => `  - { from: g${j}, to: g${(j * 7 + 3) % 32}, kind: vsock, port: ${6000 + j} }`).join('\n');
    const text = topologyYaml(`${guests}\n`, `channels:\n${channels}\n`).replace('cores: 2', 'cores: 64').replace('vcpus: 2, memoryMiB: 2048', 'vcpus: 64, memoryMiB: 8192');
    const v = validateText(text);
    expect(v.topology).toBeDefined();
    const svg = render(v);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    assertWellFormed(svg);
    const boxes = groups(svg, 'nb-guest');
    expect(boxes).toHaveLength(32);
    expect(groups(svg, 'nb-pin')).toHaveLength(64);
    expect(groups(svg, 'nb-channel')).toHaveLength(20);
    expect(groups(svg, 'nb-vcpu')).toHaveLength(64);
    const rects = boxes.map(boxOf);
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        const [a, b] = [rects[i]!, rects[j]!];
        expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y, `boxes ${i} and ${j} overlap`).toBe(true);
      }
    }
    // rows: several, some above the vCPU strip and some below it
    const strip = Number(/<g class="nb-click nb-vcpu[^>]*><title>[^<]*<\/title>(?:<rect class="nb-partition-mark"[^>]*>)?<rect class="nb-box" x="[\d.]+" y="([\d.]+)"/.exec(svg)![1]);
    expect(new Set(rects.map((r) => r.y)).size).toBeGreaterThan(2);
    expect(rects.some((r) => r.y < strip) && rects.some((r) => r.y > strip)).toBe(true);
    // labels of narrow boxes fit: the long hypervisor header is cut, never the guest names here
    expect(boxes.map((b) => texts(b.body)[1])).toEqual(Array.from({ length: 32 }, (_, i) => `g${i}`));
  });

  it('escapes every string it takes from the topology', () => {
    const v = validateExample('zonal-controller.yaml');
    const hostile = '<script>alert("x&y")</script>';
    const t = structuredClone(v.topology!) as Topology;
    const guests = t.guests as unknown as Array<Record<string, unknown>>;
    guests[0]!.role = hostile;
    guests[0]!.os = `"><g onload="x'`;
    guests[1]!.name = `a&b<c>`;
    (t.channels as unknown as Array<Record<string, unknown>>)[1]!.from = `a&b<c>`;
    (t.channels as unknown as Array<Record<string, unknown>>)[0]!.kind = '</text><text>';
    (t as unknown as Record<string, unknown>).name = 'x"y';
    (t as unknown as Record<string, unknown>).description = 'a < b & c > d';
    (t.host as unknown as Record<string, unknown>).cpu = '<cpu>';
    const svg = topologyDiagramSvg(t, v.sourceMap.locate);
    assertWellFormed(svg);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;');
    expect(svg).toContain('data-guest="a&amp;b&lt;c&gt;"');
    expect(svg).toContain('aria-label="Topology x&quot;y: L0 host &lt;cpu&gt; with 3 cores;');
    expect(groups(svg, 'nb-channel')).toHaveLength(2);
  });

  it('formats bandwidth with at most one decimal, and ships CSS for every class it styles', () => {
    expect([bandwidthText(300, 1000), bandwidthText(150, 250), bandwidthText(1, 3), bandwidthText(1000, 1000)]).toEqual(['30 %', '60 %', '33.3 %', '100 %']);
    for (const cls of ['nb-click', 'nb-guest', 'nb-pin', 'nb-channel', 'nb-vcpu', 'nb-chip', 'nb-muted', 'nb-on-color']) expect(TOPOLOGY_DIAGRAM_CSS).toContain(`.${cls}`);
  });
});

// The current file's schedulability table (the same exact analysis as `nestbed validate`), live.
import type { VcpuSchedulability } from '../../core/common/analysis/schedulability.js';
import { fill, h } from '../dom.js';

const supplyText = (s: VcpuSchedulability['supply']): string => (s.kind === 'server' ? `server ${s.budgetUs}/${s.periodUs}` : s.kind);

export class SchedulabilityPanel {
  readonly el = h('div', { 'data-testid': 'schedulability' });

  show(rows: readonly VcpuSchedulability[], note: string | undefined): void {
    if (rows.length === 0) {
      fill(this.el, h('p', { class: 'empty' }, note ?? 'No tasks to analyse (the rtos guests\' task sets appear here).'));
      return;
    }
    const j = rows[0]?.interruptPathUs ?? 0;
    const body = rows.flatMap((v) =>
      v.tasks.map((t) =>
        h(
          'tr',
          { class: t.schedulable ? '' : 'miss-row' },
          h('td', {}, v.guest),
          h('td', { class: 'num' }, v.vcpu),
          h('td', {}, supplyText(v.supply)),
          h('td', {}, t.name),
          h('td', { class: 'num' }, t.priority),
          h('td', { class: 'num' }, t.wcetUs),
          h('td', { class: 'num' }, t.periodUs),
          h('td', { class: 'num' }, t.deadlineUs),
          h('td', { class: 'num' }, t.responseTimeUs ?? '∞'),
          h('td', { class: 'num' }, t.slackUs ?? '–'),
          h('td', { class: t.schedulable ? 'okv' : 'miss' }, t.schedulable ? 'ok' : (t.reason ?? 'miss')),
        ),
      ),
    );
    fill(
      this.el,
      h('p', { class: 'empty' }, `Fixed-priority preemptive per guest vCPU, exact integer µs${j ? `; interrupt path J = ${j} µs per release` : ''}.`),
      h(
        'table',
        { class: 'grid' },
        h('thead', {}, h('tr', {}, ...['guest', 'vcpu', 'supply', 'task', 'prio', 'wcet', 'period', 'deadline', 'response', 'slack', 'verdict'].map((c) => h('th', {}, c)))),
        h('tbody', {}, ...body),
      ),
    );
  }
}

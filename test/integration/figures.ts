// The figures deterministic timing must reproduce, shared by the run and warm-stack tests.
import type { RunResults } from '../../src/core/common/model/run-results.js';

/** The virtual-time (guest clock) figures of a run that deterministic mode must reproduce. */
export const virtualFigures = (r: RunResults): Record<string, number | undefined> => {
  const out: Record<string, number | undefined> = { 'l1.kernelToInitS': r.l1.virtual.kernelToInitS };
  for (const g of r.guests) {
    out[`${g.name}.kernelToInitS`] = g.boot.virtual.kernelToInitS;
    out[`${g.name}.initToReadyS`] = g.boot.virtual.initToReadyS;
    if (g.workload?.cyclictest) out[`${g.name}.cyclictestMaxUs`] = g.workload.cyclictest.maxUs;
    for (const t of g.rtos?.tasks ?? []) out[`${g.name}.${t.name}.responseMaxUs`] = t.responseMaxUs;
    if (g.rtos?.end) out[`${g.name}.timerLatencyMaxNs`] = g.rtos.end.timerLatencyMaxNs;
  }
  return out;
};

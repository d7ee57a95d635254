// The terminal view of a VerifyReport: what the bundle holds, then the verdict and every problem.
import { textTable } from '../../common/report/text-table.js';
import type { VerifyReport } from './verify.js';

export const mib = (bytes: number): string => (bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`);

const signatureLine = (s: VerifyReport['signature']): string => {
  switch (s.state) {
    case 'verified':
      return `Ed25519, verified with the given key (key SHA-256 ${s.publicKeySha256})`;
    case 'not-checked':
      return `Ed25519 by key SHA-256 ${s.publicKeySha256} — not checked (give --key pub.pem)`;
    case 'unsigned':
      return 'none (the bundle is not signed)';
    case 'failed':
      return `FAILED${s.publicKeySha256 ? ` (signed by key SHA-256 ${s.publicKeySha256})` : ''}`;
  }
};

export const formatVerifyText = (r: VerifyReport): string => {
  const out: string[] = [`nestbed verify: ${r.bundle} (${mib(r.archive.compressedBytes)} compressed, ${mib(r.archive.tarBytes)} tar, ${r.archive.files} files)`, ''];
  if (r.format) out.push(`format:     ${r.format.name} ${r.format.version}, made by nestbed ${r.nestbedVersion ?? '?'} (verified by nestbed ${r.toolVersion})`);
  if (r.topology) {
    const v = r.validation;
    const verdict = v ? (v.valid ? `validates (${v.errors} errors, ${v.warnings} warnings)` : `does NOT validate (${v.errors} errors)`) : 'not validated';
    out.push(`topology:   ${r.topology.name} (from ${r.topology.sourceFile}, sha256 ${r.topology.sha256}) — ${verdict} with this nestbed's rules and profiles`);
  }
  if (r.profile) {
    const same = r.profile.sameAsCatalog === null ? 'not in this nestbed\'s catalog' : r.profile.sameAsCatalog ? 'same as the current catalog' : 'differs from the current catalog (the bundle keeps the one it was exported with)';
    out.push(`profile:    ${r.profile.id}${r.profile.name ? ` (${r.profile.name})` : ''}, ${r.profile.source === 'option' ? 'chosen with --profile' : "the topology's"}; ${same}`);
  } else if (r.format) out.push('profile:    none');
  out.push(`signature:  ${signatureLine(r.signature)}`);
  if (r.images) {
    out.push(`images:     ${r.images.included ? 'included' : `NOT included (${r.images.omitted ?? 'omitted'}): a launcher needs these exact files`}`);
    const rows = r.images.artifacts.map((a) => [a.path, a.role, a.size === null ? '?' : mib(a.size), a.sha256 ?? 'unknown']);
    if (rows.length) out.push(textTable(['file', 'role', 'size', 'sha256'], rows, new Set([2])).replace(/^/gm, '  '));
  }
  if (r.run) {
    const s = r.run.summary;
    out.push(`results:    ${r.run.timing} run of ${r.run.startedAt}, ${r.run.status}${r.run.success === null ? ' (no check verdict)' : r.run.success ? ', check passed' : ', check FAILED'}${s ? `: ${s.pass} pass, ${s.fail} fail, ${s.warn} warn, ${s.inconclusive} inconclusive, ${s.skipped} skipped` : ''}`);
    if (r.run.checks.length) out.push(textTable(['verdict', 'check', 'guest'], r.run.checks.map((c) => [c.verdict, c.id, c.guest ?? '-'])).replace(/^/gm, '  '));
    for (const m of r.run.imageMismatches) out.push(`  note: the run booted ${m.artifact} sha256 ${m.run.slice(0, 16)}…, the bundle's image set has ${m.bundle.slice(0, 16)}…`);
  } else if (r.format) out.push('results:    none (export with --run DIR to include a check run)');
  out.push('');
  if (r.ok) out.push(`✔ verified: every file matches manifest.json${r.signature.state === 'verified' ? ', the signature verifies' : ''}, the topology validates`);
  else {
    out.push(`✖ verification FAILED (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}):`);
    for (const p of r.problems) out.push(`  ${p.file}: ${p.message}`);
  }
  return `${out.join('\n')}\n`;
};

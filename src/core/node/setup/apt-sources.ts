// Derives nestbed's private apt configuration from the machine's own Debian sources at run time,
// so no archive host name is ever written into the repository. Pure: parsing and rendering only.

export interface DebianSource {
  readonly uris: readonly string[];
  readonly suites: readonly string[];
  readonly components: readonly string[];
  readonly signedBy?: string;
}

/** The stanzas of a deb822 text (blank-line separated; '#' comments), each as its fields by
 * lower-cased name; continuation lines are appended with `join` (a blank for word lists, a newline
 * where each line is a record, as in a Sources index's Checksums-Sha256). */
export const deb822Stanzas = (text: string, join: ' ' | '\n' = ' '): Map<string, string>[] =>
  text.split(/\n\s*\n/).map((stanza) => {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const raw of stanza.split('\n')) {
      if (raw.startsWith('#') || raw.trim() === '') continue;
      if (/^\s/.test(raw) && last !== undefined) {
        fields.set(last, `${fields.get(last) ?? ''}${join}${raw.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(raw);
      if (!m?.[1]) continue;
      last = m[1].toLowerCase();
      fields.set(last, m[2] ?? '');
    }
    return fields;
  });

/** Parses a deb822 .sources file. */
export const parseDeb822 = (text: string): DebianSource[] => {
  const out: DebianSource[] = [];
  for (const fields of deb822Stanzas(text)) {
    const types = (fields.get('types') ?? '').split(/\s+/);
    if (!types.includes('deb') || fields.get('enabled')?.trim() === 'no') continue;
    const words = (k: string): string[] => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    const signedBy = fields.get('signed-by')?.trim();
    out.push({ uris: words('uris'), suites: words('suites'), components: words('components'), ...(signedBy ? { signedBy } : {}) });
  }
  return out;
};

/** Parses one-line-style sources.list entries ("deb [opts] URI suite comp..."). */
export const parseOneLine = (text: string): DebianSource[] => {
  const out: DebianSource[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m?.[2] || !m[3]) continue;
    const signed = /signed-by=(\S+)/.exec(m[1] ?? '')?.[1];
    out.push({ uris: [m[2]], suites: [m[3]], components: (m[4] ?? '').split(/\s+/).filter(Boolean), ...(signed ? { signedBy: signed } : {}) });
  }
  return out;
};

/** The source that serves the release itself (its suites include the bare codename, e.g. "bookworm"). */
export const mainArchive = (sources: readonly DebianSource[], codename: string): DebianSource | undefined =>
  sources.find((s) => s.suites.includes(codename) && s.uris.length > 0);

/** Renders a deb822 stanza for the given suites using the main archive's URI and key. */
export const renderSources = (main: DebianSource, suites: readonly string[], architectures: readonly string[], types: 'deb' | 'deb-src' = 'deb'): string =>
  [
    `Types: ${types}`,
    `URIs: ${main.uris[0] ?? ''}`,
    `Suites: ${suites.join(' ')}`,
    'Components: main',
    ...(architectures.length > 0 ? [`Architectures: ${architectures.join(' ')}`] : []),
    `Signed-By: ${main.signedBy ?? '/usr/share/keyrings/debian-archive-keyring.gpg'}`,
    '',
  ].join('\n');

import { describe, expect, it } from 'vitest';
import { mainArchive, parseDeb822, parseOneLine, renderSources } from '../../../src/core/node/setup/apt-sources.js';

const DEB822 = `Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

describe('apt sources derived from the system file', () => {
  it('picks the stanza that serves the release itself, not security', () => {
    const main = mainArchive(parseDeb822(DEB822), 'bookworm');
    expect(main?.uris).toEqual(['http://mirror.example/debian']);
    expect(renderSources(main!, ['trixie', 'trixie-backports'], ['arm64'])).toMatchInlineSnapshot(`
      "Types: deb
      URIs: http://mirror.example/debian
      Suites: trixie trixie-backports
      Components: main
      Architectures: arm64
      Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
      "
    `);
  });
  it('reads one-line sources.list entries too', () => {
    const s = parseOneLine('deb [signed-by=/k.gpg] http://mirror.example/debian bookworm main\ndeb http://mirror.example/debian-security bookworm-security main\n');
    expect(mainArchive(s, 'bookworm')).toEqual({ uris: ['http://mirror.example/debian'], suites: ['bookworm'], components: ['main'], signedBy: '/k.gpg' });
  });
});

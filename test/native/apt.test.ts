// The private apt configuration: deb-src entries derived from the machine's Debian sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debSrcLines, parseDeb822, parseOneLine } from '../../src/native/apt.js';

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main contrib

Types: deb
Enabled: no
URIs: http://example.invalid/debian
Suites: sid
Components: main
`;

test('deb822 sources become one deb-src line per URI and suite; disabled entries are skipped', () => {
  const e = parseDeb822(DEB822);
  assert.equal(e.length, 3);
  assert.equal(
    debSrcLines(e),
    [
      'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main',
      'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main',
      'deb-src http://deb.debian.org/debian-security bookworm-security main contrib',
    ].join('\n'),
  );
});

test('one-line sources.list entries, options and comments', () => {
  const e = parseOneLine(
    '# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://deb.debian.org/debian bookworm main contrib\ndeb-src http://x y z\ndeb http://a/debian trixie main # tail\n',
  );
  assert.deepEqual(e, [
    { uri: 'http://deb.debian.org/debian', suite: 'bookworm', components: ['main', 'contrib'], signedBy: '/k.gpg' },
    { uri: 'http://a/debian', suite: 'trixie', components: ['main'], signedBy: null },
  ]);
});

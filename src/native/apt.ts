// Debian source packages (`jemalloc`, `lua5.4`) through apt, with a private temporary apt configuration: deb-src entries
// derived from the machine's configured Debian sources, our own lists/cache dirs. The system's apt
// configuration is only read, never written.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimloadError } from '../errors.js';
import { run } from './exec.js';

export interface AptEntry {
  uri: string;
  suite: string;
  components: string[];
  signedBy: string | null;
}

/** deb entries of a deb822 .sources file (Types must include `deb`; `Enabled: no` skipped). */
export function parseDeb822(text: string): AptEntry[] {
  const out: AptEntry[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    let last: string | null = null;
    for (const line of para.split('\n')) {
      if (/^\s*#/.test(line) || line.trim() === '') continue;
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) {
        last = m[1]!.toLowerCase();
        fields[last] = m[2]!.trim();
      } else if (last && /^\s/.test(line)) {
        fields[last] += ' ' + line.trim();
      }
    }
    if (!(fields['types'] ?? '').split(/\s+/).includes('deb')) continue;
    if ((fields['enabled'] ?? 'yes').toLowerCase() === 'no') continue;
    const components = (fields['components'] ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields['uris'] ?? '').split(/\s+/).filter(Boolean)) {
      for (const suite of (fields['suites'] ?? '').split(/\s+/).filter(Boolean)) {
        out.push({ uri, suite, components, signedBy: fields['signed-by'] ?? null });
      }
    }
  }
  return out;
}

/** deb lines of a one-line-style sources.list. */
export function parseOneLine(text: string): AptEntry[] {
  const out: AptEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const signed = /signed-by=(\S+)/.exec(m[1] ?? '');
    out.push({
      uri: m[2]!,
      suite: m[3]!,
      components: m[4]!.split(/\s+/).filter(Boolean),
      signedBy: signed ? signed[1]! : null,
    });
  }
  return out;
}

export function systemAptEntries(etc = '/etc/apt'): AptEntry[] {
  const entries: AptEntry[] = [];
  const list = join(etc, 'sources.list');
  if (existsSync(list)) entries.push(...parseOneLine(readFileSync(list, 'utf8')));
  const dir = join(etc, 'sources.list.d');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      const text = readFileSync(join(dir, f), 'utf8');
      if (f.endsWith('.sources')) entries.push(...parseDeb822(text));
      else if (f.endsWith('.list')) entries.push(...parseOneLine(text));
    }
  }
  return entries;
}

export function debSrcLines(entries: AptEntry[]): string {
  return entries
    .filter((e) => e.components.length > 0)
    .map(
      (e) => `deb-src ${e.signedBy ? `[signed-by=${e.signedBy}] ` : ''}${e.uri} ${e.suite} ${e.components.join(' ')}`,
    )
    .join('\n');
}

/**
 * Downloads a source package (default `jemalloc`) into a temp dir and copies its .orig tarball into
 * `cacheDir`. Returns the cached tarball's path. Failures carry `code`.
 */
export async function fetchDebianSource(
  cacheDir: string,
  log: (s: string) => void,
  pkg = 'jemalloc',
  code = 'ERR_JEMALLOC_SOURCE',
): Promise<string> {
  const entries = systemAptEntries();
  if (entries.length === 0) throw new SimloadError(code, 'no Debian apt sources configured in /etc/apt');
  const tmp = mkdtempSync(join(tmpdir(), 'simload-apt-'));
  try {
    for (const d of ['lists/partial', 'cache/archives/partial', 'parts', 'prefs', 'dl'])
      mkdirSync(join(tmp, d), { recursive: true });
    writeFileSync(join(tmp, 'sources.list'), debSrcLines(entries) + '\n');
    const opts = [
      `Dir::Etc::SourceList=${join(tmp, 'sources.list')}`,
      `Dir::Etc::SourceParts=${join(tmp, 'parts')}`,
      `Dir::Etc::PreferencesParts=${join(tmp, 'prefs')}`,
      `Dir::State::Lists=${join(tmp, 'lists')}`,
      `Dir::Cache=${join(tmp, 'cache')}`,
      // Our temp dirs belong to us, not to apt's sandbox user; we never touch the system's lock files.
      'APT::Sandbox::User=root',
      'Debug::NoLocking=1',
    ].flatMap((o) => ['-o', o]);
    const aptLog = join(tmp, 'apt.log');
    log(`fetching Debian source package \`${pkg}\` with a private apt configuration`);
    try {
      await run('apt-get', [...opts, '-q', 'update'], { log: aptLog, code });
    } catch (err) {
      // Some configured sources may be unreachable; apt-get source below decides.
      log(`apt-get update reported problems (continuing): ${(err as Error).message.split('\n')[0]}`);
    }
    await run('apt-get', [...opts, '-q', 'source', '--download-only', pkg], {
      cwd: join(tmp, 'dl'),
      log: aptLog,
      code,
    });
    const orig = readdirSync(join(tmp, 'dl')).find(
      (f) => f.startsWith(`${pkg}_`) && /\.orig\.tar\.(bz2|gz|xz)$/.test(f),
    );
    if (!orig)
      throw new SimloadError(
        code,
        `apt-get source ${pkg} gave no .orig tarball (${readdirSync(join(tmp, 'dl')).join(', ')})`,
      );
    mkdirSync(cacheDir, { recursive: true });
    const dest = join(cacheDir, orig);
    copyFileSync(join(tmp, 'dl', orig), dest);
    return dest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

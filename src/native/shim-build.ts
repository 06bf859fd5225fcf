// Compiles native/shim.c (with its split files and the handle table, native/handles.c) into native/build/shim/libsimload_shim.so with cc; rebuilt only when the source or flags change.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { run } from './exec.js';
import { shimDir, shimExtraSources, shimLib, shimSource } from './paths.js';

const CFLAGS = ['-O2', '-g', '-Wall', '-Wextra', '-Wno-format-truncation', '-fPIC', '-shared'];
const LIBS = ['-ldl', '-lpthread'];

/** Over every file compiled in (a change to handles.c or handles.h makes the cached library stale) and the flags. */
function shimKey(): string {
  const h = createHash('sha256').update(readFileSync(shimSource));
  for (const f of shimExtraSources) h.update(readFileSync(f));
  return h
    .update(JSON.stringify([CFLAGS, LIBS]))
    .digest('hex')
    .slice(0, 16);
}

export function shimUpToDate(): boolean {
  try {
    const rec = JSON.parse(readFileSync(join(shimDir, 'build.json'), 'utf8')) as { key: string };
    return rec.key === shimKey() && existsSync(shimLib);
  } catch {
    return false;
  }
}

export async function buildShim(log: (s: string) => void): Promise<void> {
  if (shimUpToDate()) return;
  mkdirSync(shimDir, { recursive: true });
  const cc = process.env['CC'] || 'cc';
  const tmp = shimLib + '.tmp';
  const cSources = shimExtraSources.filter((f) => f.endsWith('.c'));
  log(`shim: ${cc} ${CFLAGS.join(' ')} native/shim.c ${cSources.map((f) => 'native/' + basename(f)).join(' ')}`);
  await run(cc, [...CFLAGS, '-o', tmp, shimSource, ...cSources, ...LIBS], {
    log: join(shimDir, 'build.log'),
    code: 'ERR_BUILD',
  });
  // rename, so a process that has the old .so mapped keeps a valid file
  renameSync(tmp, shimLib);
  writeFileSync(
    join(shimDir, 'build.json'),
    JSON.stringify({ key: shimKey(), cc, cflags: CFLAGS, builtAt: new Date().toISOString() }, null, 2) + '\n',
  );
}

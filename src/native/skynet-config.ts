// A skynet config file (skynet's own `key = value` Lua syntax) for running services from given folders on a
// built skynet tree. Used by the fidelity driver, `watch` tests and the build smoke test.
import { writeFileSync } from 'node:fs';

export interface SkynetConfigOptions {
  /** The built skynet tree (SkynetBuild.root). */
  root: string;
  /** The service skynet starts after bootstrap (a Lua file name without .lua, found in serviceDirs or skynet's service/). */
  start: string;
  /** Extra folders searched for Lua services and modules, before skynet's own. */
  serviceDirs?: string[];
  /** skynet's `thread` (worker threads); default 8, skynet's default. */
  thread?: number;
  /** More `key = value` pairs, readable with skynet.getenv(key); strings are quoted, numbers are not. */
  env?: Record<string, string | number>;
}

const lua = (v: string | number): string => (typeof v === 'number' ? String(v) : JSON.stringify(v));

export function skynetConfig(o: SkynetConfigOptions): string {
  const dirs = o.serviceDirs ?? [];
  const pairs: Record<string, string | number> = {
    thread: o.thread ?? 8,
    harbor: 0,
    start: o.start,
    bootstrap: 'snlua bootstrap',
    luaservice: [...dirs.map((d) => `${d}/?.lua`), `${o.root}/service/?.lua`].join(';'),
    lualoader: `${o.root}/lualib/loader.lua`,
    lua_path: [...dirs.map((d) => `${d}/?.lua`), `${o.root}/lualib/?.lua`, `${o.root}/lualib/?/init.lua`].join(';'),
    lua_cpath: `${o.root}/luaclib/?.so`,
    cpath: `${o.root}/cservice/?.so`,
    ...o.env,
  };
  return (
    Object.entries(pairs)
      .map(([k, v]) => `${k} = ${lua(v)}`)
      .join('\n') + '\n'
  );
}

export function writeSkynetConfig(file: string, o: SkynetConfigOptions): string {
  writeFileSync(file, skynetConfig(o));
  return file;
}

// `simload fidelity`'s flags, as the command line parsed them, validated up front with exact messages
// (UsageError, exit 2). Pure.
import { UsageError } from '../errors.js';
import { SKYNET_TRANSPORTS, type SkynetTransport } from './plan.js';

export interface FidelityOptions {
  scenario: string;
  script?: string;
  variants?: string[];
  outDir: string;
  /** Run folders already recorded, one per pair; undefined: that side runs. */
  simDirs?: string[];
  skyDirs?: string[];
  transport: SkynetTransport;
  /** Pairs, one after the other (default: the number of folders given, else 1). */
  repeat: number;
}

/** The flags as parsed: strings, a list when a flag was given twice, undefined when absent. */
export type FidelityFlags = Partial<Record<'script' | 'out' | 'simload' | 'skynet' | 'transport' | 'repeat', unknown>>;

const usage = (message: string) => new UsageError('ERR_FIDELITY_ARGS', message);

/** A flag's text; a flag given with no value (`--out` last, or followed by another flag) is a mistake. */
function value(flags: FidelityFlags, name: keyof FidelityFlags, list = false): string | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v) && !list) throw usage(`--${name} given ${v.length} times: once`);
  const text = Array.isArray(v) ? v.map(String).join(',') : String(v);
  if (text.trim() === '') throw usage(`--${name} needs a value`);
  return text;
}

/** A comma-separated list of folders; `--simload A --simload B` is the same as `--simload A,B`. */
function folders(flags: FidelityFlags, name: 'simload' | 'skynet'): string[] | undefined {
  const text = value(flags, name, true);
  if (text === undefined) return undefined;
  const dirs = text
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  if (dirs.length === 0) throw usage(`--${name} needs a value`);
  return dirs;
}

export function fidelityOptions(scenario: string, flags: FidelityFlags, variants?: string[]): FidelityOptions {
  const transport = (value(flags, 'transport') ?? 'gate') as SkynetTransport; // runSkynet's default too
  if (!SKYNET_TRANSPORTS.includes(transport))
    throw usage(`--transport ${transport}: one of ${SKYNET_TRANSPORTS.join(', ')}`);
  const simDirs = folders(flags, 'simload');
  const skyDirs = folders(flags, 'skynet');
  const repeatText = value(flags, 'repeat');
  const repeat = repeatText !== undefined ? Number(repeatText) : (simDirs?.length ?? skyDirs?.length ?? 1);
  if (!Number.isInteger(repeat) || repeat < 1)
    throw usage(`--repeat ${repeatText}: a whole number of pairs, at least 1`);
  for (const [name, dirs] of [
    ['simload', simDirs],
    ['skynet', skyDirs],
  ] as const) {
    if (dirs && dirs.length !== repeat)
      throw usage(`--${name} names ${dirs.length} folder(s) for ${repeat} pair(s): one per pair`);
  }
  const script = value(flags, 'script');
  return {
    scenario,
    ...(script !== undefined ? { script } : {}),
    ...(variants ? { variants } : {}),
    outDir: value(flags, 'out') ?? 'results',
    ...(simDirs ? { simDirs } : {}),
    ...(skyDirs ? { skyDirs } : {}),
    transport,
    repeat,
  };
}

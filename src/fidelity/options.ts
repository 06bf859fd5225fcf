// `npm run fidelity`'s command line, validated up front with exact messages (UsageError, exit 2). Pure.
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { SKYNET_TRANSPORTS, type SkynetTransport } from './plan.js';

export const FIDELITY_USAGE =
  'usage: npm run fidelity -- SCENARIO [--script PATH] [--variants a,b] [--out DIR] [--simload DIR,...] [--skynet DIR,...] [--transport driver|gate] [--repeat N]';

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

const FLAGS = ['script', 'variants', 'out', 'simload', 'skynet', 'transport', 'repeat'] as const;

export function parseFidelityArgs(argv: string[]): FidelityOptions {
  // Node's parser, not strict, so an unknown flag or a missing value gets this command's own message.
  const { tokens } = parseArgs({ args: argv, options: Object.fromEntries(FLAGS.map((f) => [f, { type: 'string' as const }])), strict: false, allowPositionals: true, tokens: true });
  const values = new Map<string, string>();
  const positional: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positional.push(t.value);
    if (t.kind !== 'option') continue;
    if (!(FLAGS as readonly string[]).includes(t.name)) throw new UsageError('ERR_FIDELITY_ARGS', `fidelity: unknown flag ${t.rawName}\n${FIDELITY_USAGE}`);
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('--'))) throw new UsageError('ERR_FIDELITY_ARGS', `fidelity: ${t.rawName} needs a value\n${FIDELITY_USAGE}`);
    values.set(t.name, t.value);
  }
  if (positional.length !== 1) throw new UsageError('ERR_FIDELITY_ARGS', positional.length ? `fidelity: one scenario, got ${positional.join(' ')}\n${FIDELITY_USAGE}` : FIDELITY_USAGE);

  const transport = (values.get('transport') ?? 'gate') as SkynetTransport; // runSkynet's default too
  if (!SKYNET_TRANSPORTS.includes(transport)) throw new UsageError('ERR_FIDELITY_ARGS', `fidelity: --transport ${transport}: one of ${SKYNET_TRANSPORTS.join(', ')}`);
  const list = (name: string) => values.get(name)?.split(',').map((d) => d.trim()).filter(Boolean);
  const simDirs = list('simload');
  const skyDirs = list('skynet');
  const repeatText = values.get('repeat');
  const repeat = repeatText !== undefined ? Number(repeatText) : (simDirs?.length ?? skyDirs?.length ?? 1);
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError('ERR_FIDELITY_ARGS', `fidelity: --repeat ${repeatText}: a whole number of pairs, at least 1`);
  for (const [name, dirs] of [['simload', simDirs], ['skynet', skyDirs]] as const) {
    if (dirs && dirs.length !== repeat) throw new UsageError('ERR_FIDELITY_ARGS', `fidelity: --${name} names ${dirs.length} folder(s) for ${repeat} pair(s): one per pair`);
  }
  const variants = list('variants');
  return {
    scenario: positional[0]!,
    ...(values.has('script') ? { script: values.get('script')! } : {}),
    ...(variants ? { variants } : {}),
    outDir: values.get('out') ?? 'results',
    ...(simDirs ? { simDirs } : {}),
    ...(skyDirs ? { skyDirs } : {}),
    transport,
    repeat,
  };
}

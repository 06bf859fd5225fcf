// The console's answers as skynet prints them (service/debug_console.lua, launcher.lua), marks and addresses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConsoleAddress } from '../../src/watch/console.js';
import { parseCmem, parseJmem, parseList, parseMallctlLines, parseMem } from '../../src/watch/console-parse.js';
import { parseMark } from '../../src/watch/marks.js';

test('jmem: the five stats from `%11d  %8.2f Mb` lines; null when one is missing', () => {
  const lines = [
    'stats.active\t  144044032    137.37 Mb',
    'stats.allocated\t  141029256    134.50 Mb',
    'stats.mapped\t  171073536    163.15 Mb',
    'stats.resident\t  156364800    149.12 Mb',
    'stats.retained\t   16621568     15.85 Mb',
  ];
  assert.deepEqual(parseJmem(lines), {
    active: 144044032,
    allocated: 141029256,
    mapped: 171073536,
    resident: 156364800,
    retained: 16621568,
  });
  assert.equal(parseJmem(lines.slice(1)), null);
  assert.equal(parseJmem(['Invalid command, type help for command list']), null);
});

test('mem: services sorted by memory, TIMEOUT/ERROR counted as unanswered', () => {
  const m = parseMem([
    ':00000004\t47.17 Kb (snlua cdummy)',
    ':0000000a\t39418.49 Kb (snlua holder)',
    ':0000000b\tTIMEOUT (snlua holder)',
    ':0000000c\tERROR (snlua x)',
  ]);
  assert.deepEqual(
    m.services.map((s) => s.address),
    [':0000000a', ':00000004'],
  );
  assert.equal(m.services[0]!.bytes, Math.round(39418.49 * 1024));
  assert.equal(m.services[0]!.name, 'snlua holder');
  assert.equal(m.total, Math.round(39418.49 * 1024) + Math.round(47.17 * 1024));
  assert.equal(m.unanswered, 2);
});

test('list: address -> launch command; cmem: bytes per handle, block and total lines', () => {
  const list = parseList([':00000004\tsnlua cdummy', ':0000000a\tsnlua holder 3', 'junk']);
  assert.deepEqual(
    [...list],
    [
      [':00000004', 'snlua cdummy'],
      [':0000000a', 'snlua holder 3'],
    ],
  );
  // debug_console's dump_list sorts the keys as strings: handles, then block, then total.
  const c = parseCmem([':00000001\t0', ':0000000a\t4200126', ':fffffffe\t-16', 'block\t5', 'total\t4200110']);
  assert.deepEqual(c, {
    handles: [
      { address: ':00000001', bytes: 0 },
      { address: ':0000000a', bytes: 4200126 },
      { address: ':fffffffe', bytes: -16 },
    ],
    total: 4200110,
    blocks: 5,
  });
  assert.equal(parseCmem(['Invalid command, type help for command list']), null);
});

test('mallctl lines from inject, negative decay included', () => {
  assert.deepEqual(parseMallctlLines(['arenas.page\t4096', 'opt.muzzy_decay_ms\t-1', 'junk line']), {
    'arenas.page': 4096,
    'opt.muzzy_decay_ms': -1,
  });
});

test('marks: kinds and targets; not a mark', () => {
  assert.deepEqual(parseMark(' Peak \n'), { word: 'peak', kind: 'hold', target: 1 });
  assert.deepEqual(parseMark('down'), { word: 'down', kind: 'ramp', target: 0 });
  assert.deepEqual(parseMark('quiet'), { word: 'quiet', kind: 'hold', target: 0 });
  assert.deepEqual(parseMark('up'), { word: 'up', kind: 'ramp', target: 1 });
  assert.deepEqual(parseMark('deploy-2'), { word: 'deploy-2', kind: 'hold', target: 1 });
  assert.equal(parseMark('two words'), null);
  assert.equal(parseMark(''), null);
});

test('console addresses', () => {
  assert.deepEqual(parseConsoleAddress('127.0.0.1:8000'), { host: '127.0.0.1', port: 8000 });
  assert.deepEqual(parseConsoleAddress('[::1]:8000'), { host: '::1', port: 8000 });
  assert.throws(() => parseConsoleAddress('127.0.0.1'), /give HOST:PORT/);
  assert.throws(() => parseConsoleAddress('127.0.0.1:70000'), /give HOST:PORT/);
});

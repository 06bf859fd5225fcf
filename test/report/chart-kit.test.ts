// The units and pieces every chart shares (report/chart-kit.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartFrame, lineSeries, mib, mibAxis, sec, timeAxis, valueAxis } from '../../src/report/chart-kit.js';

test('charts draw MiB and seconds to one decimal', () => {
  assert.equal(mib(0), 0);
  assert.equal(mib(1.5 * 1024 * 1024), 1.5);
  assert.equal(mib(1024 * 1024 + 1), 1);
  assert.equal(mib(1.26 * 1024 * 1024), 1.3);
  assert.equal(sec(1249), 1.2);
  assert.equal(sec(1251), 1.3);
  assert.equal(sec(60_000), 60);
});

test('a line series takes its points in the line colour; options given are added', () => {
  const s = lineSeries('Rss', { color: '#222', width: 1.5 }, [[0, 1]], { yAxisIndex: 1 });
  assert.deepEqual(s, {
    name: 'Rss',
    type: 'line',
    showSymbol: false,
    lineStyle: { color: '#222', width: 1.5 },
    itemStyle: { color: '#222' },
    data: [[0, 1]],
    yAxisIndex: 1,
  });
});

test('axes: named along the middle, from 0 for time, what is given overrides', () => {
  assert.deepEqual(timeAxis(), {
    type: 'value',
    name: 'seconds since server start',
    nameLocation: 'middle',
    nameGap: 28,
    min: 0,
  });
  assert.deepEqual(mibAxis({ min: 0 }), { type: 'value', name: 'MiB', nameLocation: 'middle', nameGap: 50, min: 0 });
  assert.equal(valueAxis('ms', { type: 'log' }).type, 'log');
});

test('every chart opens the same way: still, titled, an axis tooltip and the legend at the bottom', () => {
  assert.deepEqual(chartFrame('t'), {
    animation: false,
    title: { text: 't', left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
  });
  const big = chartFrame('t', { fontSize: 15, tooltip: 'item', scroll: true });
  assert.deepEqual(
    [big.title, big.tooltip, big.legend],
    [{ text: 't', left: 'center', textStyle: { fontSize: 15 } }, { trigger: 'item' }, { type: 'scroll', bottom: 0 }],
  );
});

// JUnit XML for CI dashboards: one test case per threshold and variant; a failed threshold is a <failure>.

import { writeFile } from 'node:fs/promises';
import { SimloadError } from '../errors.js';
import { describeActual, type ExpectResult } from '../analysis/expect.js';

/** The XML text; pure. */
export function formatJUnit(results: ExpectResult[], suiteName = 'simload.expect'): string {
  const failures = results.filter((r) => !r.pass).length;
  const cases = results.map((r) => {
    const name = `${r.variant}: ${r.rule.source}`;
    const open = `    <testcase classname="${esc(`simload.${r.variant}`)}" name="${esc(name)}" time="0">`;
    if (r.pass) return `${open}</testcase>`;
    const msg = `${r.rule.source} failed for ${r.variant}: actual ${describeActual(r)}`;
    return `${open}\n      <failure message="${esc(msg)}" type="threshold">${esc(msg)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="simload" tests="${results.length}" failures="${failures}">`,
    `  <testsuite name="${esc(suiteName)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export async function writeJUnit(file: string, results: ExpectResult[]): Promise<void> {
  try {
    await writeFile(file, formatJUnit(results));
  } catch (err) {
    throw new SimloadError(
      'ERR_JUNIT_WRITE',
      `cannot write JUnit XML to ${file}: ${(err as Error).message}`,
      undefined,
      { cause: err },
    );
  }
}

function esc(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

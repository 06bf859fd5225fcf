// The report's public API in one place (run/ and plan/ import from here): report.html, chart.svg and the
// console's tables, drawn from what analysis/ computes.
export { renderReport, renderSvg } from './render.js';
export { formatSummaryTable } from './table.js';
export { writeJUnit, formatJUnit } from './junit.js';
export { formatComparison } from './compare-text.js';

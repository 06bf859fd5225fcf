// The layering of src/, checked by `npm run check:deps` (dependency-cruiser) in .ci/run. docs/architecture.md
// is drawn from these rules; change both together.
//
// Bottom to top:
//   leaves    errors.ts, units.ts, input-file.ts, terminal-text.ts, alloc/stats.ts (the allocator's stats format): import nothing of src/
//             verdict.ts (outcomes and their exit codes, for analysis/ and probe/ alike): imports errors.ts alone
//   native/   builds jemalloc variants, skynet, the shim: imports only leaves
//   proc/     the one /proc reader: imports only leaves
//   alloc/    the allocator bridge: imports native/ (to find a build) and leaves, nothing else. native/ does
//             not import alloc/ (read from the code: building needs no loaded allocator), so the two never loop.
//   results/  the run folder's formats (samples, events, summary metrics, plan.json) and its writer
//   cgroup/   memory cgroups of servers: imports proc/, results/ (the events it writes) and leaves
//   ...       server, scenario, recorder, driver
//   analysis/ reads a run folder and computes its metrics and verdicts: imports only results/ and leaves
//   report/   draws them (report.html, charts, the console's tables): imports analysis/, results/ and leaves;
//             analysis/ never imports report/
//   live/     live outputs of a recording (/metrics for Prometheus, the live page): reads results/, analysis/
//             and report/, is fed by run/, serve/ and watch/, drives none of them
//   session/  a run folder from open to close (the recorder, the stop signal, the report and the verdict at the
//             end): imports results/, recorder/, analysis/, report/, live/ and leaves; used by run/, serve/, watch/
//   run/, probe/, then plan/, watch/, fidelity/ (which drive run/)
//   commands/ the CLI's commands: imported by cli.ts alone
//
// Type-only imports count: a type is as much a dependency of the layering as a function.

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'Folders of src/ depend on each other one way: no chain of imports leads from a folder back to itself.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'leaves-import-nothing',
      comment:
        'errors.ts, units.ts, input-file.ts, terminal-text.ts and alloc/stats.ts are leaves: anything may import them, they import nothing of src/.',
      severity: 'error',
      from: { path: '^src/(errors|units|input-file|terminal-text)\\.ts$|^src/alloc/stats\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'verdict-imports-only-errors',
      comment:
        'verdict.ts names the outcomes every judging command ends with and their exit codes (errors.ts), nothing more.',
      severity: 'error',
      from: { path: '^src/verdict\\.ts$' },
      to: { path: '^src/', pathNot: '^src/errors\\.ts$' },
    },
    {
      name: 'native-imports-only-leaves',
      comment: 'native/ (builds) imports nothing of the rest of src/ but the leaves.',
      severity: 'error',
      from: { path: '^src/native/' },
      to: { path: '^src/', pathNot: '^src/native/|^src/(errors|units|input-file|terminal-text)\\.ts$' },
    },
    {
      name: 'proc-imports-only-leaves',
      comment: 'proc/ (the /proc reader) sits at the bottom, below recorder, probe, watch and cgroup.',
      severity: 'error',
      from: { path: '^src/proc/' },
      to: { path: '^src/', pathNot: '^src/proc/|^src/(errors|units|input-file|terminal-text)\\.ts$' },
    },
    {
      name: 'results-imports-only-formats',
      comment: 'results/ defines the run folder: it may name the allocator stats and /proc formats, nothing above.',
      severity: 'error',
      from: { path: '^src/results/' },
      to: {
        path: '^src/',
        pathNot: '^src/(results|proc)/|^src/(errors|units|input-file|terminal-text)\\.ts$|^src/alloc/stats\\.ts$',
      },
    },
    {
      name: 'cgroup-at-the-bottom',
      comment:
        'cgroup/ is used by run, the pressure shape and plan, and uses none of them: only proc/, results/ and leaves.',
      severity: 'error',
      from: { path: '^src/cgroup/' },
      to: { path: '^src/', pathNot: '^src/(cgroup|proc|results)/|^src/(errors|units|input-file|terminal-text)\\.ts$' },
    },
    {
      name: 'alloc-imports-only-native-and-leaves',
      comment: 'The allocator bridge knows nothing of the rest: it may find its builds in native/, nothing more.',
      severity: 'error',
      from: { path: '^src/alloc/' },
      to: { path: '^src/', pathNot: '^src/(alloc|native)/|^src/(errors|units|input-file|terminal-text)\\.ts$' },
    },
    {
      name: 'analysis-reads-only-results',
      comment:
        'The analysis is computed from the run folder alone: it imports results/ (the formats), the leaves, verdict.ts ' +
        "and the validated Scenario's type (scenario.json holds it; type-only, see analysis-scenario-type-only).",
      severity: 'error',
      from: { path: '^src/analysis/' },
      to: {
        path: '^src/',
        pathNot:
          '^src/(analysis|results)/|^src/(errors|units|input-file|terminal-text|verdict)\\.ts$|^src/alloc/stats\\.ts$|^src/scenario/types\\.ts$',
      },
    },
    {
      name: 'analysis-never-imports-report',
      comment:
        'Rendering depends on the analysis, never the reverse: metrics and verdicts do not know how they are drawn.',
      severity: 'error',
      from: { path: '^src/analysis/' },
      to: { path: '^src/report/' },
    },
    {
      name: 'analysis-scenario-type-only',
      comment: 'The analysis may name the Scenario type (scenario.json), never run scenario code.',
      severity: 'error',
      from: { path: '^src/analysis/' },
      to: { path: '^src/scenario/types\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'report-draws-the-analysis',
      comment:
        'The report only draws: report.html, charts and the console text of what analysis/ computed from the run ' +
        'folder. It imports analysis/, results/ (the formats) and the leaves.',
      severity: 'error',
      from: { path: '^src/report/' },
      to: {
        path: '^src/',
        pathNot: '^src/(report|analysis|results)/|^src/(errors|units|input-file|terminal-text)\\.ts$',
      },
    },
    {
      name: 'live-reads-the-folder-formats',
      comment:
        'live/ follows what a run folder takes (results/), reads it as the report does (analysis/) and draws it with ' +
        'the report (report/): it imports those, the leaves and the Scenario type, never what records (run/, serve/, ' +
        'watch/, recorder/, driver/, server/).',
      severity: 'error',
      from: { path: '^src/live/' },
      to: {
        path: '^src/',
        pathNot:
          '^src/(live|analysis|report|results)/|^src/(errors|units)\\.ts$|^src/alloc/stats\\.ts$|^src/scenario/types\\.ts$',
      },
    },
    {
      name: 'session-below-the-commands-it-ends',
      comment:
        'session/ opens and closes a run folder for run/, serve/ and watch/, and knows none of them: it imports the ' +
        'folder formats, the recorder, the analysis, the report, the live outputs, the leaves, verdict.ts and the Scenario type.',
      severity: 'error',
      from: { path: '^src/session/' },
      to: {
        path: '^src/',
        pathNot:
          '^src/(session|results|recorder|analysis|report|live)/|^src/(errors|units|verdict)\\.ts$|^src/alloc/stats\\.ts$|^src/scenario/types\\.ts$',
      },
    },
    {
      name: 'nothing-imports-commands',
      comment: 'commands/ is the top: only cli.ts (and commands/ itself) import it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/commands/|^src/cli\\.ts$' },
      to: { path: '^src/commands/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

// The JSON Schema of a scenario file as users write it (YAML, units as text). `simload schema` prints it so
// that editors (VS Code's YAML extension, JetBrains) complete and check scenario files. The loader validates
// against it with ajv, then runs the semantic checks a schema cannot express (scenario/check.ts).
// `errorMessage` is a plain annotation here: the loader shows it instead of ajv's branch-by-branch noise, and
// editors that know the keyword show it too.

import { MAX_THREADS } from '../server/validate.js';

type Json = Record<string, unknown>;

const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?\\s*(ms|s|m|h)\\s*)+$|^\\s*\\d+(\\.\\d+)?\\s*$';
const SIZE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgGtT][iI]?[bB]?|[bB])?\\s*$';
const PERCENT_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$';

const definitions: Record<string, Json> = {
  duration: {
    description: 'A duration: `250ms`, `30s`, `2m`, `1m30s`, or a number of seconds.',
    anyOf: [
      { type: 'number', minimum: 0 },
      { type: 'string', pattern: DURATION_PATTERN },
    ],
    errorMessage: 'expected a duration such as 30s, 2m or 250ms',
  },
  size: {
    description: 'A size in bytes: `64KiB`, `1.5GiB`, `200MB`, or a number of bytes.',
    anyOf: [
      { type: 'number', minimum: 0 },
      { type: 'string', pattern: SIZE_PATTERN },
    ],
    errorMessage: 'expected a size such as 64KiB, 1.5GiB or 4096',
  },
  fraction: {
    description: 'A fraction: `5%` or `0.05`.',
    anyOf: [
      { type: 'number', minimum: 0, maximum: 1 },
      { type: 'string', pattern: PERCENT_PATTERN },
    ],
    errorMessage: 'expected a fraction between 0 and 1, or a percentage such as 5%',
  },
  target: {
    description: 'Online players: an absolute count (`8000`) or a percentage of the peak so far (`33%`).',
    anyOf: [
      { type: 'integer', minimum: 0 },
      { type: 'string', pattern: PERCENT_PATTERN },
    ],
    errorMessage: 'expected a count or a percentage',
  },
  rate: {
    description: 'Game messages per online player per second (open loop); 0 = idle players.',
    type: 'number',
    minimum: 0,
    errorMessage: 'expected messages per player per second, a number >= 0',
  },
  sizes: {
    description:
      'Object sizes: a list of weighted size classes (`- {size: 64KiB, weight: 3}`) or `{lognormal: {median, sigma, min, max}}`.',
    anyOf: [
      {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['size'],
          properties: {
            size: { $ref: '#/definitions/size' },
            weight: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Relative weight (default 1).' },
          },
        },
      },
      {
        type: 'object',
        additionalProperties: false,
        required: ['lognormal'],
        properties: {
          lognormal: {
            type: 'object',
            additionalProperties: false,
            required: ['median', 'sigma'],
            properties: {
              median: { $ref: '#/definitions/size' },
              sigma: { type: 'number', exclusiveMinimum: 0, description: 'Spread of ln(size).' },
              min: { $ref: '#/definitions/size' },
              max: { $ref: '#/definitions/size' },
            },
          },
        },
      },
    ],
    errorMessage: 'expected a list of {size, weight} or {lognormal: {median, sigma, min, max}}',
  },
};

const server: Json = {
  type: 'object',
  additionalProperties: false,
  description: 'The simulated skynet-style server. Every key is optional; defaults: `simload schema` descriptions.',
  properties: {
    threads: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_THREADS,
      description: "Worker threads, skynet's `thread` (default 8).",
    },
    agent: {
      enum: ['per-player', 'pool'],
      description:
        '`per-player`: one agent service per connection, freed at logout (skynet watchdog); `pool`: a fixed pool.',
    },
    pool_size: { type: 'integer', minimum: 1, description: 'Agents in `pool` mode.' },
    host: { type: 'string', description: 'Loopback address to listen on (127.0.0.1, ::1 or localhost).' },
    port: { type: 'integer', minimum: 0, maximum: 65535, description: '0 = any free port.' },
    state: {
      type: 'object',
      additionalProperties: false,
      description: 'Player state allocated (and written) at login, freed at logout.',
      properties: {
        objects: { type: 'integer', minimum: 1, description: 'Objects per player.' },
        sizes: { $ref: '#/definitions/sizes' },
      },
    },
    churn: {
      type: 'object',
      additionalProperties: false,
      description: 'Allocator traffic per game message.',
      properties: {
        temp_allocs: { type: 'integer', minimum: 0, description: 'Short-lived allocations per message.' },
        temp_sizes: { $ref: '#/definitions/sizes' },
        realloc_rate: { $ref: '#/definitions/fraction' },
        realloc_step: { $ref: '#/definitions/size' },
      },
    },
    logout_free_delay: { $ref: '#/definitions/duration' },
    free_first_workers: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_THREADS,
      description:
        'Workers whose first allocator call is a free (of a block the main thread allocated), as a skynet worker whose first message at boot only frees; jemalloc 5.0-5.2 never lets such a thread trigger decay (jemalloc#1497). Default 0; docs/fidelity.md.',
    },
    max_frame: { $ref: '#/definitions/size' },
    origins: {
      type: 'array',
      items: { type: 'string', pattern: '^[a-z][a-z0-9+.-]*://[^/\\s]+$' },
      description:
        'WebSocket Origins the gate accepts besides none (default: only http://127.0.0.1, which the bots send).',
      errorMessage: 'expected a list of origins such as http://127.0.0.1 or https://game.example:8443',
    },
    seed: {
      type: 'integer',
      minimum: 0,
      description: "Seed of the deterministic size draws (and of each Lua VM's math.random).",
    },
    script: {
      type: 'string',
      minLength: 1,
      description:
        "A Lua 5.4 agent script (relative to this file), e.g. `agents/rpg.lua`: each agent service runs it in its own sandboxed Lua VM over the variant's allocator. Defines login(player_id) and message(n), optionally logout(player_id); see docs/agents.md. Without it, the synthetic `state`/`churn` model is used.",
    },
    service_lib: {
      type: 'string',
      minLength: 1,
      description:
        "A service library loaded in every agent VM before the script, as skynet's snlua loads skynet.lua: a skynet tree's lualib folder (relative to this file, or `${NAME}` from the environment), or `skynet` for the lualib of the cached skynet peer build, or `auto`: skynet's lualib when a skynet tree is known (the peer build, or SKYNET_SRC), else none. Its C modules are inert stand-ins; its function prototypes are kept off the simulated heap (skynet shares them between VMs). See docs/agents.md.",
    },
    lua: {
      enum: ['5.4', 5.4, 'skynet', 'auto'], // YAML reads an unquoted 5.4 as a number
      description:
        "Which Lua the agent VMs run: `5.4` (default: Debian's Lua 5.4) or `skynet`: the Lua of the cached skynet peer build (`npm run build:peers`; skynet f19d1605 embeds Lua 5.5.0 with its own changes), so that the VMs allocate the same objects, of the same sizes, as that skynet's services; or `auto`: skynet's when the peer build is there, else 5.4. See docs/agents.md.",
    },
    script_limits: {
      type: 'object',
      additionalProperties: false,
      description: 'Limits of each Lua call and VM.',
      properties: {
        instructions: {
          type: 'integer',
          minimum: 1000,
          description: 'Lua instructions one call may run before it is stopped (default 10000000).',
        },
        memory: { $ref: '#/definitions/size' },
      },
    },
  },
};

const variant: Json = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  description: 'One allocator setup; each runs in its own server process.',
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      errorMessage: 'expected a name of letters, digits, `.`, `_` or `-`',
      description: 'Shown in reports and used in `expect:`.',
    },
    build: { type: 'string', description: 'A build from `simload build` (madv-free, no-madv-free, glibc).' },
    jemalloc: {
      type: 'string',
      description:
        "With build: the jemalloc source to build from (a tree such as skynet's 3rd/jemalloc, or a release tarball), relative to this file; " +
        "`${NAME}` takes the path from the environment variable NAME (relative to the working directory). Default: Debian's 5.3.0.",
    },
    lib: { type: 'string', description: 'Path of your own allocator library instead of a build.' },
    skynet: {
      description:
        "A real skynet instead of simload's server, with the same phases, agent script (server.script) and players through " +
        "skynet's gate: `madv-free` or `no-madv-free` (the peer build: SKYNET_SRC and SKYNET_JEMALLOC_SRC, else ../shared/vendor), " +
        "or `{build, tree, jemalloc}` for your own skynet tree (relative to this file; jemalloc defaults to the tree's 3rd/jemalloc). " +
        'The report then compares it with the simload variants of the same build. See docs/fidelity.md.',
      anyOf: [
        // A pattern, not an enum: a mapping given here then gets its own errors alone (scenario/validate.ts).
        { type: 'string', pattern: '^(madv-free|no-madv-free)$' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['build'],
          properties: {
            build: { enum: ['madv-free', 'no-madv-free'], description: 'The jemalloc recipe skynet is built with.' },
            tree: {
              type: 'string',
              minLength: 1,
              description: 'Your skynet source tree or tarball; `${NAME}` reads it from the environment.',
            },
            jemalloc: {
              type: 'string',
              minLength: 1,
              description:
                "The jemalloc source tree or tarball skynet is built with (default: the tree's 3rd/jemalloc).",
            },
          },
        },
      ],
      errorMessage: 'expected madv-free, no-madv-free, or {build: madv-free, tree: PATH, jemalloc: PATH}',
    },
    prefix: { enum: ['je_', 'none'], description: "With lib: the library's symbol prefix (default none)." },
    malloc_conf: {
      type: 'string',
      description: 'jemalloc options, e.g. `dirty_decay_ms:10000,muzzy_decay_ms:10000`.',
    },
    env: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Extra environment variables of the server process.',
    },
  },
};

const onePhase: Json = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  errorMessage: 'a phase is exactly one of `ramp:`, `hold:` or `pressure:`',
  properties: {
    ramp: {
      type: 'object',
      additionalProperties: false,
      required: ['to', 'over'],
      description:
        'Moves the online count linearly to `to` over `over`; arrivals are spread, leavers chosen at random.',
      properties: {
        to: { $ref: '#/definitions/target' },
        over: { $ref: '#/definitions/duration' },
        rate: { $ref: '#/definitions/rate' },
      },
    },
    hold: {
      description: 'Keeps the online count: `hold: 20s` or `hold: {for: 60s, rate: 0}`.',
      anyOf: [
        { $ref: '#/definitions/duration' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['for'],
          properties: { for: { $ref: '#/definitions/duration' }, rate: { $ref: '#/definitions/rate' } },
        },
      ],
      errorMessage: 'expected a duration (hold: 20s) or {for: 60s, rate: 0}',
    },
    pressure: {
      type: 'object',
      additionalProperties: false,
      required: ['limit', 'for'],
      description: 'Holds the online count with the server under a memory limit (cgroup; needs root).',
      properties: {
        limit: { $ref: '#/definitions/size' },
        for: { $ref: '#/definitions/duration' },
        rate: { $ref: '#/definitions/rate' },
      },
    },
  },
};

// A phase of `load.phases`: one of the above, or a `repeat:` of them (one level: a repeat holds no repeat).
const phase: Json = {
  ...onePhase,
  errorMessage: 'a phase is exactly one of `ramp:`, `hold:`, `pressure:` or `repeat:`',
  properties: {
    ...(onePhase.properties as Json),
    repeat: {
      type: 'object',
      additionalProperties: false,
      required: ['times', 'phases'],
      description:
        'Plays `phases` `times` times in a row (a day-night pattern: several peaks). The report measures each cycle: its peak against the first, and reuse.',
      properties: {
        times: { type: 'integer', minimum: 1, maximum: 1000 },
        phases: { type: 'array', minItems: 1, items: onePhase },
      },
    },
  },
};

const load: Json = {
  type: 'object',
  additionalProperties: false,
  required: ['phases'],
  properties: {
    rate: { $ref: '#/definitions/rate' },
    think_time: { $ref: '#/definitions/duration' },
    bot_workers: {
      type: 'integer',
      minimum: 1,
      maximum: 64,
      description: 'Worker threads hosting the bots (default 2).',
    },
    players_per_connection: {
      type: 'integer',
      minimum: 1,
      description:
        "Players per bot connection (default 1: one WebSocket each). N > 1: multiplexed connections (`?mux=1`) of up to N players each, one channel per player, as a gateway tier in front of a game server; at most the server's maxChannelsPerConnection (4096).",
      errorMessage: 'expected a whole number of players per connection, 1 or more',
    },
    phases: { type: 'array', minItems: 1, items: phase },
  },
};

const expectRule: Json = {
  type: 'string',
  description: '`metric op value`, e.g. `retention < 0.6`, `p99 < 50ms`, `lazyfree_share < 5%`.',
};

export const SCENARIO_SCHEMA_ID = 'urn:simload:scenario:v1';

/** The scenario JSON Schema (draft-07). A fresh object each call, so callers may change it. */
export function scenarioSchema(): Json {
  return JSON.parse(
    JSON.stringify({
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: SCENARIO_SCHEMA_ID,
      title: 'simload scenario',
      description:
        'Players ramp up and down against a simulated game server, once per allocator variant. See docs/scenario.md.',
      type: 'object',
      additionalProperties: false,
      required: ['name', 'variants', 'load'],
      properties: {
        name: { type: 'string', minLength: 1, description: 'Names the results folder.' },
        description: { type: 'string' },
        server,
        variants: { type: 'array', minItems: 1, items: variant },
        load,
        record: {
          type: 'object',
          additionalProperties: false,
          properties: {
            interval: { $ref: '#/definitions/duration' },
            baseline: { $ref: '#/definitions/duration' },
            // Drift (`rss_slope`, `allocated_slope`) is measured over the final hold after this much of it.
            warmup: { $ref: '#/definitions/duration' },
          },
        },
        expect: {
          type: 'array',
          description: 'Thresholds checked after the run; a failure exits 1. A rule, or `variant: [rules]`.',
          items: {
            anyOf: [
              expectRule,
              {
                type: 'object',
                minProperties: 1,
                maxProperties: 1,
                additionalProperties: { type: 'array', items: expectRule },
              },
            ],
            errorMessage: 'expected a rule such as `retention < 0.6`, or `variant: [rules]`',
          },
        },
        output: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dir: { type: 'string', minLength: 1, description: 'Base folder of run folders (default results).' },
          },
        },
      },
      definitions,
    }),
  ) as Json;
}

// Everything a server process needs, resolved (no units, no defaults left). Produced by the scenario
// loader or by `simload serve`; sent to the server process at start.

/** Sizes of objects drawn per player: weighted size classes, or a clipped log-normal. */
export type SizeDistribution =
  | { kind: 'classes'; classes: Array<{ size: number; weight: number }> }
  | { kind: 'lognormal'; median: number; sigma: number; min: number; max: number };

export interface StateProfile {
  /** Objects allocated (and fully written) at login. */
  objects: number;
  sizes: SizeDistribution;
}

export interface ChurnOptions {
  /** Short-lived allocations per game message, freed after the handler. */
  tempAllocsPerMessage: number;
  tempSizes: SizeDistribution;
  /** Probability that a game message grows or shrinks one state object with realloc. */
  reallocRate: number;
  /** Largest growth or shrink of one realloc, in bytes. */
  reallocStep: number;
}

/** A Lua agent script (docs/agents.md): each agent service runs it in its own Lua VM. */
export interface AgentScript {
  /** The script's name in error messages (path relative to the working directory when inside it). */
  path: string;
  source: string;
  /** Instruction budget of one call (login, message, logout, the main chunk); past it the call is stopped. */
  maxInstructions: number;
  /** Memory limit of one VM, bytes; growth past it is refused (a Lua "not enough memory" error). */
  maxMemoryBytes: number;
  /**
   * A service library's folder (skynet's lualib, absolute), loaded in every VM before the script as snlua does
   * (native/agent.c, docs/agents.md); absent: the bare sandbox.
   */
  serviceLib?: string;
  /**
   * The agent library to run the VMs with (absolute): one compiled with a skynet tree's own Lua (scenario
   * `server.lua: skynet`, src/native/agent-build.ts); absent: the default, Debian's Lua 5.4.
   */
  luaLib?: string;
  /** Which Lua that is, for messages and the run's record, e.g. "Lua 5.5.0 (skynet's 3rd/lua)". */
  luaName?: string;
}

export interface ServerOptions {
  /** Worker threads, skynet's `thread` (default 8). */
  threads: number;
  agent: 'per-player' | 'pool';
  /** Agents in `pool` mode. */
  poolSize: number;
  host: string;
  /**
   * Set only by `simload serve --host ADDR`: the operator asked to listen beyond loopback (bots on other
   * hosts, docs/distributed.md). Scenario files and JSON configs cannot set it.
   */
  exposed?: boolean;
  /** 0 = ephemeral. */
  port: number;
  profile: StateProfile;
  churn: ChurnOptions;
  /** Delay between logout and freeing the player's state (Lua's collector), ms; 0 = at once. */
  logoutFreeDelayMs: number;
  /**
   * Workers (the first N) whose first allocator call is a free of a block another thread allocated, as a
   * skynet worker whose first message at boot only frees. jemalloc 5.0-5.2 then never lets that thread
   * trigger decay (jemalloc#1497, #2251; docs/fidelity.md). Optional, default 0.
   */
  freeFirstWorkers?: number;
  /** Largest accepted WebSocket frame, bytes. */
  maxFrameBytes: number;
  /** Seed for the deterministic size draws. */
  seed: number;
  /**
   * Gate backpressure (optional, added later; defaults in server/defaults.ts). A connection stops being read
   * while its unsent replies exceed `sendHighWaterBytes` or it has `maxInflightPerConnection` requests
   * not yet answered, and is read again once both fall to half.
   */
  sendHighWaterBytes?: number;
  maxInflightPerConnection?: number;
  /**
   * Multiplexed connections (`?mux=1`, docs/server.md): logged-in channels one connection may hold (optional;
   * default MUX_DEFAULTS in server/defaults.ts). A login past it gets TOO_MANY_CHANNELS.
   */
  maxChannelsPerConnection?: number;
  /**
   * WebSocket Origins the gate accepts (optional; default ORIGIN_DEFAULTS in server/defaults.ts). A browser
   * always sends an Origin, so a web page from elsewhere cannot drive the server; clients that send none
   * (command-line tools, tests) are accepted.
   */
  allowedOrigins?: string[];
  /**
   * How agents hold player state (optional): `synthetic` draws `profile` and `churn`;
   * `lua` runs `script` in one Lua VM per agent service, over the variant's allocator. Default synthetic.
   */
  agentModel?: 'synthetic' | 'lua';
  script?: AgentScript;
}

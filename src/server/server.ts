// One simulated server: allocator, worker pool, agents and gate, composed. main.ts puts it behind the
// control channel; nothing here knows about IPC.

import { Allocator } from '../alloc/allocator.js';
import { SimloadError } from '../errors.js';
import type { ServerStats, ServiceMemory } from './control.js';
import { Agents, type Counters } from './agents.js';
import { attachLua, luaCode, type LuaFns } from './lua-vm.js';
import { checkScript } from './script-check.js';
import { Gate } from './gate.js';
import type { ServerOptions } from './options.js';
import type { VariantOptions } from '../alloc/options.js';
import { WorkerPool } from './pool.js';
import { SlotTable } from './slots.js';
import { validateServerOptions } from './validate.js';

export class SimServer {
  readonly counters: Counters = { messages: 0, errors: 0, logins: 0, logouts: 0, connections: 0 };
  private agents!: Agents;
  private gate!: Gate;
  private slots!: SlotTable;
  private baseHeap = 0;
  private stopping: Promise<void> | null = null;

  private constructor(
    readonly options: ServerOptions,
    readonly alloc: Allocator,
    private readonly pool: WorkerPool,
    private readonly lua: LuaFns | null,
  ) {}

  /**
   * Loads the allocator (the env from variantEnv must already be in process.env), starts the workers and the
   * gate. `onFatal` hears about failures after start (a worker died).
   */
  static async start(
    options: ServerOptions,
    variant: VariantOptions,
    onFatal: (code: string, message: string) => void,
  ): Promise<SimServer> {
    validateServerOptions(options);
    const lua = options.agentModel === 'lua' && options.script;
    // A bad script is an error before the gate listens, with the script's file:line.
    if (lua) checkScript(options.script!, options.agent);
    const alloc = Allocator.load(variant);
    // The gate copies each game frame into the variant's heap (agent.c packets) on this thread.
    const packets = lua ? attachLua(options.script!.luaLib) : null;
    const stride = 1 + options.profile.objects;
    // Blocks for the workers whose first allocator call is a free; each frees its own, so none is left over.
    const firstFrees = Array.from({ length: options.freeFirstWorkers ?? 0 }, () => alloc.malloc(64));
    let server: SimServer | null = null;
    const pool = await WorkerPool.start(
      options.threads,
      {
        variant,
        profile: options.profile,
        churn: options.churn,
        seed: options.seed,
        stride,
        ...(firstFrees.length > 0 ? { firstFrees } : {}),
        ...(options.agentModel === 'lua' && options.script
          ? { script: options.script, perPlayer: options.agent === 'per-player' }
          : {}),
      },
      // A batch's replies to one multiplexed connection leave in one write (Gate.batch).
      (worker, count, errors) => server?.gate.batch(() => server!.agents.scheduler.done(worker, count, errors)),
      (worker, err) => onFatal('ERR_WORKER_DIED', `worker ${worker} died: ${err.message}`),
    );
    server = new SimServer(options, alloc, pool, packets);
    server.slots = new SlotTable(stride, (index, sab) => pool.broadcast({ type: 'chunk', index, sab }));
    server.agents = new Agents(options, server.slots, server.counters, pool, packets);
    try {
      server.gate = await Gate.listen(options, server.agents, server.counters);
    } catch (err) {
      server.agents.stop();
      await pool.stop();
      throw err;
    }
    server.baseHeap = process.memoryUsage().heapUsed;
    return server;
  }

  get url(): string {
    return this.gate.url;
  }

  get port(): number {
    return this.gate.port;
  }

  stats(): ServerStats {
    const mem = process.memoryUsage();
    let mailboxMax = 0;
    for (const s of this.agents.services.values()) if (s.mailbox.length > mailboxMax) mailboxMax = s.mailbox.length;
    const holders = this.agents.onlineCount + this.agents.leaving;
    return {
      alloc: this.alloc.stats(),
      runtime: {
        rss: mem.rss,
        heapTotal: mem.heapTotal,
        heapUsed: mem.heapUsed,
        external: mem.external,
        arrayBuffers: mem.arrayBuffers,
      },
      online: this.agents.onlineCount,
      loaded: this.agents.loaded,
      services: this.agents.services.size,
      mailboxMax,
      counters: { ...this.counters },
      // JS heap grown since start (connections, players, services; garbage not yet collected included) plus
      // the shared slot table, per player holding state.
      jsBytesPerPlayer: holders === 0 ? 0 : Math.max(0, mem.heapUsed - this.baseHeap + this.slots.bytes) / holders,
      leaving: this.agents.leaving,
      gate: {
        connections: this.gate.connections,
        paused: this.gate.pausedCount,
        muxConnections: this.gate.muxConnections,
        channels: this.gate.channels,
      },
      ...(this.lua
        ? { luaVms: this.lua.live(), luaPackets: this.packetCounts(this.lua), luaCode: luaCode(this.lua) }
        : {}),
    };
  }

  private packetCounts(lua: LuaFns): { live: number; made: number } {
    const o = new Float64Array(2);
    lua.packets(o);
    return { live: o[0]!, made: o[1]! };
  }

  services(): ServiceMemory[] {
    const out: ServiceMemory[] = [];
    for (const s of this.agents.services.values()) {
      out.push({
        id: s.id,
        bytes: s.bytes,
        players: s.players,
        mailbox: s.mailbox.length,
        workersSeen: s.workersSeen,
        turns: s.turns,
      });
    }
    return out;
  }

  /** Flushes every worker's tcache and purges all arenas (glibc: malloc_trim(0)), then reports. */
  async purge(): Promise<ServerStats> {
    const errors = await this.pool.purgeAll();
    if (errors.length) throw new SimloadError('ERR_PURGE', `purge failed in a worker: ${errors[0]}`);
    this.alloc.purge();
    return this.stats();
  }

  /** Closes the gate and every connection, stops the workers. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.gate.close();
      this.agents.stop();
      await this.pool.stop();
    })();
    return this.stopping;
  }
}

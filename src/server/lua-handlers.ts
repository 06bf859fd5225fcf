// A worker's Lua handlers (ServerOptions.agentModel 'lua'): each agent service hosts one Lua VM (native/agent.c)
// over the variant's allocator, run on whichever worker has the service's turn. Per-player agents create
// their VM in a start turn of their own, log in in a later turn, and close the VM at exit; pool agents create
// theirs at their first login and keep it, dropping a player's data through logout(player_id). Every game packet is freed here, by the worker that
// handles it, whatever the handler did.

import { attachLua, LuaFn, type LuaFns } from './lua-vm.js';
import type { AgentScript } from './options.js';
import { playerSeed } from './profile.js';
import { Op, Status } from './wire.js';

/** Seeds of pool VMs live apart from the players' (login ordinals are far below this). */
const POOL_SEED_BASE = 0x40000000;

export class LuaHandlers {
  private readonly f: LuaFns;
  private readonly src: Buffer;
  /** The VM this turn's service got from a login earlier in the same turn (its handle is not in the batch). */
  private turnVm = 0;
  private turnService = 0;

  constructor(
    private readonly script: AgentScript,
    private readonly seed: number,
    private readonly perPlayer: boolean,
  ) {
    this.f = attachLua(script.luaLib);
    this.src = Buffer.from(script.source, 'utf8');
  }

  beginTurn(serviceId: number): void {
    this.turnVm = 0;
    this.turnService = serviceId;
  }

  /** Runs one mail; writes status, VM handle and VM bytes (-1 = unknown) at out[o..o+2]; returns the error text or null. */
  handle(
    op: number,
    vmIn: number,
    ordinal: number,
    n: number,
    packet: number,
    out: Float64Array,
    o: number,
  ): string | null {
    try {
      return this.run(op, vmIn || this.turnVm, ordinal, n, out, o);
    } finally {
      if (packet > 0) {
        const rc = this.f.packetFree(packet);
        if (rc !== 0) process.stderr.write(`simload server: freeing packet ${packet} failed (${rc})\n`);
      }
    }
  }

  private run(op: number, vm: number, ordinal: number, n: number, out: Float64Array, o: number): string | null {
    const f = this.f;
    out[o] = Status.ok;
    out[o + 1] = vm;
    out[o + 2] = -1;
    if (op === Op.noop) return null;
    if (op === Op.start) {
      if (vm) return null;
      vm = this.newVm(ordinal);
      if (vm < 0) return this.fail(out, o, 0, f.lastError());
      this.turnVm = vm;
      out[o + 1] = vm;
      out[o + 2] = f.vmBytes(vm);
      return null;
    }
    if (op === Op.login) {
      let created = false;
      if (!vm) {
        vm = this.newVm(ordinal);
        if (vm < 0) return this.fail(out, o, 0, f.lastError());
        created = true;
        this.turnVm = vm;
      }
      const bytes = f.call(vm, LuaFn.login, ordinal, 0);
      if (bytes < 0) {
        const err = f.lastError();
        if (created && this.perPlayer) {
          f.vmClose(vm);
          this.turnVm = 0;
          return this.fail(out, o, 0, err);
        }
        return this.fail(out, o, vm, err);
      }
      out[o + 1] = vm;
      out[o + 2] = bytes;
      return null;
    }
    if (!vm) return this.fail(out, o, 0, 'this service has no Lua VM (its login failed or never ran)');
    if (op === Op.msg) {
      const bytes = f.call(vm, LuaFn.message, n, ordinal);
      if (bytes < 0) {
        const err = f.lastError();
        this.fail(out, o, vm, err);
        out[o + 2] = f.vmBytes(vm);
        return err;
      }
      out[o + 2] = bytes;
      return null;
    }
    if (op === Op.free) {
      // logout(player_id) when the script has one (an agent's disconnect handler), then a per-player agent exits.
      const bytes = f.call(vm, LuaFn.logout, ordinal, 0);
      const err = bytes < 0 ? f.lastError() : null;
      if (this.perPlayer) {
        f.vmClose(vm);
        this.turnVm = 0;
        out[o] = err ? Status.error : Status.ok;
        out[o + 1] = -1;
        out[o + 2] = 0;
        return err;
      }
      if (err) return this.fail(out, o, vm, err);
      out[o + 2] = bytes;
      return null;
    }
    return this.fail(out, o, vm, `unknown op ${op}`);
  }

  /** A new VM with the script loaded; its handle, or a negative error (lastError has the text). */
  private newVm(ordinal: number): number {
    const s = this.script;
    const seed = playerSeed(this.seed, this.perPlayer ? ordinal : POOL_SEED_BASE + this.turnService);
    return this.f.vmNew(
      this.src,
      this.src.length,
      s.path,
      s.maxInstructions,
      s.maxMemoryBytes,
      seed,
      s.serviceLib ?? '',
    );
  }

  private fail(out: Float64Array, o: number, vm: number, err: string): string {
    out[o] = Status.error;
    out[o + 1] = vm;
    out[o + 2] = -1;
    return err;
  }
}

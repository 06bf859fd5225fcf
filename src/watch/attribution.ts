// Which service holds C memory: skynet's `cmem` (bytes per handle, exited handles included) split by the
// launcher's `list` read beside it into live services, services that exited and left C memory behind, and
// handles the launcher never listed. The watch keeps the launch command last seen per handle so that an exited
// service is named; it forgets a handle once it is neither listed nor charged any bytes, so what it keeps is
// bounded by the live services and the exited ones still holding memory.

import type { CmemGroup, CmemHandle, CmemSample } from '../results/sample.js';
import type { Cmem } from './console-parse.js';

/**
 * skynet's own threads allocate outside any service: skynet_initthread charges them to the handle -THREAD_x
 * (skynet_imp.h), which `cmem` lists like a service. Worker threads between messages are handle 0, which it
 * leaves out.
 */
export const THREAD_HANDLES: Readonly<Record<string, string>> = {
  ':ffffffff': '(main thread)',
  ':fffffffe': '(socket thread)',
  ':fffffffd': '(timer thread)',
  ':fffffffc': '(monitor thread)',
};

export class HandleNames {
  private readonly names = new Map<string, string>();

  /** One reading of `list` and `cmem` taken together; each group keeps its `top` largest handles by name. */
  read(list: Map<string, string>, cmem: Cmem, top: number): CmemSample {
    for (const [address, name] of list) this.names.set(address, name);
    const keep = new Set(list.keys());
    const live: CmemHandle[] = [];
    const exited: CmemHandle[] = [];
    const unlisted: CmemHandle[] = [];
    for (const h of cmem.handles) {
      if (h.bytes === 0) continue; // skynet never clears a handle's slot: every service that ever ran is there
      const name = this.names.get(h.address) ?? THREAD_HANDLES[h.address] ?? null;
      const entry: CmemHandle = { address: h.address, name, bytes: h.bytes };
      if (list.has(h.address)) live.push(entry);
      else if (this.names.has(h.address)) {
        exited.push(entry);
        keep.add(h.address);
      } else unlisted.push(entry);
    }
    for (const address of [...this.names.keys()]) if (!keep.has(address)) this.names.delete(address);
    return {
      total: cmem.total,
      blocks: cmem.blocks,
      live: cmemGroup(live, top),
      exited: cmemGroup(exited, top),
      unlisted: cmemGroup(unlisted, top),
    };
  }
}

/** The group's count and bytes, and its `top` largest handles (ties by address, so a reading is stable). */
export function cmemGroup(handles: CmemHandle[], top: number): CmemGroup {
  const sorted = [...handles].sort(
    (a, b) => b.bytes - a.bytes || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0),
  );
  return {
    count: handles.length,
    bytes: handles.reduce((acc, h) => acc + h.bytes, 0),
    top: sorted.slice(0, Math.max(0, top)),
  };
}

// Per-player scratch shared by every worker: the player's RNG state and the current size of each state
// object (realloc needs it). Lives in SharedArrayBuffer chunks, so any worker that runs the player's service
// reads and updates it without copying, and the JS heap stays out of the measurement.

export const CHUNK_SLOTS = 1024;

/** Worker side: a view of the chunks it was handed. */
export class SlotView {
  private readonly chunks: Uint32Array[] = [];
  constructor(readonly stride: number) {}

  addChunk(index: number, sab: SharedArrayBuffer): void {
    this.chunks[index] = new Uint32Array(sab);
  }

  /** The slot: [rng state, sizes...]. */
  slot(id: number): Uint32Array {
    const chunk = this.chunks[Math.floor(id / CHUNK_SLOTS)];
    if (!chunk) throw new Error(`slot ${id} is in a chunk this worker never received`);
    const off = (id % CHUNK_SLOTS) * this.stride;
    return chunk.subarray(off, off + this.stride);
  }
}

/** Main side: hands out slot ids and grows the table a chunk at a time. */
export class SlotTable {
  private readonly free: number[] = [];
  private next = 0;
  private chunks = 0;

  /** `onChunk` must deliver the new chunk to every worker before any slot in it is used. */
  constructor(
    readonly stride: number,
    private readonly onChunk: (index: number, sab: SharedArrayBuffer) => void,
  ) {}

  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const id = this.next++;
    if (id >= this.chunks * CHUNK_SLOTS) {
      this.onChunk(this.chunks, new SharedArrayBuffer(CHUNK_SLOTS * this.stride * 4));
      this.chunks++;
    }
    return id;
  }

  release(id: number): void {
    this.free.push(id);
  }

  /** Bytes of shared memory the table holds. */
  get bytes(): number {
    return this.chunks * CHUNK_SLOTS * this.stride * 4;
  }
}

// Names the calling OS thread (Linux comm, 15 bytes at most), so /proc/PID/task/TID/comm, top -H and perf say
// which thread is the gate, which a worker and which the bots; Node names every thread "node". Best effort: a
// libc without pthread_setname_np leaves the name as it was.

import koffi from 'koffi';

type SetName = (name: string) => boolean;

let setName: SetName | null | undefined;

function bind(): SetName | null {
  try {
    const libc = koffi.load('libc.so.6');
    const self = libc.func('unsigned long pthread_self(void)') as () => number | bigint;
    const set = libc.func('int pthread_setname_np(unsigned long thread, const char *name)') as (
      t: number | bigint,
      n: string,
    ) => number;
    return (name) => set(self(), name.slice(0, 15)) === 0;
  } catch {
    return null;
  }
}

/** Sets this thread's name; true when it took. */
export function nameThisThread(name: string): boolean {
  if (setName === undefined) setName = bind();
  return setName ? setName(name) : false;
}

// skynet's worker weights (skynet_start.c): how much of a service's mailbox one worker drains per turn.
// Workers 0-3 take one message, 4-7 all, 8-15 half, 16-23 a quarter, 24-31 an eighth; later ones all.

const WEIGHTS = [-1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3];

export function workerWeight(worker: number): number {
  return worker < WEIGHTS.length ? WEIGHTS[worker]! : 0;
}

/**
 * Messages one turn takes from a mailbox of `length`, exactly as skynet_context_message_dispatch counts them
 * (skynet f19d1605, skynet-src/skynet_server.c lines 309-319): `n = 1`; the loop pops the first message, then
 * (weight >= 0) sets `n = skynet_mq_length(q) >> weight` from what REMAINS after that pop, and runs while
 * `i < n` with the first message as i = 0. So a turn takes max(1, (length - 1) >> weight) messages: 99 of 100
 * at weight 0, not 100; weight -1 takes one (skynet_start.c lines 213-226 give the weights).
 */
export function turnSize(length: number, weight: number): number {
  if (length <= 0) return 0;
  if (weight < 0) return 1;
  return Math.max(1, (length - 1) >> weight);
}

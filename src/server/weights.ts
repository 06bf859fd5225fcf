// skynet's worker weights (skynet_start.c): how much of a service's mailbox one worker drains per turn.
// Workers 0-3 take one message, 4-7 all, 8-15 half, 16-23 a quarter, 24-31 an eighth; later ones all.

const WEIGHTS = [
  -1, -1, -1, -1, 0, 0, 0, 0,
  1, 1, 1, 1, 1, 1, 1, 1,
  2, 2, 2, 2, 2, 2, 2, 2,
  3, 3, 3, 3, 3, 3, 3, 3,
];

export function workerWeight(worker: number): number {
  return worker < WEIGHTS.length ? WEIGHTS[worker]! : 0;
}

/**
 * Messages one turn takes from a mailbox of `length`, as skynet_context_message_dispatch counts them: the
 * first message, then (weight >= 0) the remaining length shifted right by the weight.
 */
export function turnSize(length: number, weight: number): number {
  if (length <= 0) return 0;
  if (weight < 0) return 1;
  return 1 + ((length - 1) >> weight);
}

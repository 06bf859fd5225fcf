// Messages between the bot pool (parent thread) and each bot host (a piscina worker), over a MessagePort.
// Shared by both sides so they cannot drift apart.

import type { MessagePort } from 'node:worker_threads';

/** The long-running task's argument: one per worker. */
export interface BotHostInit {
  port: MessagePort;
  url: string;
  worker: number;
  /** Unique per run and variant, so player names never collide across workers or variants. */
  playerPrefix: string;
  thinkTimeMs: number;
  /** Messages per online player per second. */
  rate: number;
  phase: string;
  /** How often the host posts its status, ms. */
  statusIntervalMs: number;
  /** Give up a login (connect + login reply) after this long, ms. */
  connectTimeoutMs: number;
  /**
   * Players per connection: 1 = one WebSocket per player; N > 1 = multiplexed connections (`?mux=1`), each
   * carrying up to N players on their own channels (docs/server.md).
   */
  playersPerConnection: number;
}

/** Parent -> host. `id` orders connect/disconnect so the parent can match a status to what it sent. */
export type BotCommand =
  | { type: 'connect'; id: number; n: number }
  | { type: 'disconnect'; id: number; n: number }
  | { type: 'rate'; rate: number }
  | { type: 'phase'; label: string }
  | { type: 'report'; id: number }
  | { type: 'stop' };

/** Counters of one phase in one host. */
export interface PhaseCounters {
  sent: number;
  answered: number;
  /** `err` replies, unexpected closes, replies never answered before the player left. */
  errors: number;
  connectFailures: number;
  /** Latency of answered messages, microseconds, hdr-histogram-js compressed base64. */
  histogram: string;
}

export interface BotStatus {
  type: 'status';
  worker: number;
  /** Last connect/disconnect command id applied. */
  ack: number;
  /** Bots connecting or logged in (not leaving): what the parent asked for, minus what was lost. */
  count: number;
  online: number;
  connecting: number;
  leaving: number;
  /** Cumulative over the host's life. */
  connectFailures: number;
  errors: number;
  /** Connections the server closed while the player was online. */
  dropped: number;
  sent: number;
  answered: number;
  /** First error text seen since the last status, for the log. */
  lastError: string | null;
}

export interface BotReport {
  type: 'report';
  id: number;
  worker: number;
  phases: Record<string, PhaseCounters>;
}

export type BotHostMessage = BotStatus | BotReport;

/** What the task resolves with when stopped. */
export interface BotHostResult {
  worker: number;
  phases: Record<string, PhaseCounters>;
  status: BotStatus;
}

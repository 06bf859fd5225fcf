// The skynet side's players when its load comes through a gate (plan.transport "gate", docs/fidelity.md): one
// TCP connection per player to simload_gate.lua on loopback, as a game server's players connect, kept at the
// plan's online target; each online player sends `rate` packets a second, round robin so they are spread evenly,
// once its think time after the login reply is over (the rate of players still thinking goes to the others, as
// simload's bots do);
// leavers are picked at random and close their connection, as simload's bots do. A packet is a 2-byte big-endian
// length and the bytes simload's bots send for a message, so both servers copy packets of the same size.
//
// A child process entry, run by path (never imported): `node gate-client.js PLAN.json PORT START`, START being
// the wall-clock ms at which skynet's driver began its baseline (it prints it with the port), so both follow
// one clock however long this process took to start. It prints
// a `GATE-CLIENT` status line every second and keeps its connections open after the plan until it is killed,
// so the driver's last sample sees the plan's last target.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { PlanPhase, SkynetPlan } from './plan.js';

const TICK_MS = 10;
const STATUS_MS = 1000;
/** Connections being logged in at once; skynet's driver uses the same bound for its logins in flight. */
const MAX_PENDING = 512;

interface Player {
  socket: Socket;
  online: boolean;
  leaving: boolean;
  seq: number;
  /** When it may send its first message (think time after login), performance.now() ms. */
  activeAt: number;
  /** Bytes of the login reply read so far (it is the only packet the server sends). */
  inbox: Buffer;
}

const [planFile, portArg, startArg] = process.argv.slice(2);
if (!planFile || !portArg || !startArg) {
  process.stderr.write('usage: gate-client.js PLAN.json PORT START\n');
  process.exit(2);
}
const plan = JSON.parse(readFileSync(planFile, 'utf8')) as SkynetPlan;
const port = Number(portArg);

const online: Player[] = [];
let pending = 0;
let rr = 0;
let carry = 0;
const counters = { sent: 0, logins: 0, logouts: 0, failures: 0, dropped: 0 };
let lastError: string | null = null;

function frame(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  body.copy(out, 2);
  return out;
}

function removeOnline(p: Player): void {
  const i = online.indexOf(p);
  if (i < 0) return;
  online[i] = online[online.length - 1]!;
  online.pop();
}

function login(): void {
  pending++;
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  const p: Player = { socket, online: false, leaving: false, seq: 1, activeAt: 0, inbox: Buffer.alloc(0) };
  socket.on('data', (chunk: Buffer) => {
    if (p.online) return;
    p.inbox = Buffer.concat([p.inbox, chunk]);
    if (p.inbox.length < 2 || p.inbox.length < 2 + p.inbox.readUInt16BE(0)) return;
    p.online = true;
    p.activeAt = performance.now() + plan.think_time_ms;
    pending--;
    counters.logins++;
    online.push(p);
  });
  socket.on('error', (err) => {
    lastError = err.message;
  });
  socket.on('close', () => {
    if (p.leaving || over) return;
    if (p.online) {
      counters.dropped++;
      removeOnline(p);
    } else {
      counters.failures++;
      pending--;
    }
  });
}

function logoutOne(): void {
  const i = Math.floor(Math.random() * online.length);
  const p = online[i]!;
  online[i] = online[online.length - 1]!;
  online.pop();
  p.leaving = true;
  counters.logouts++;
  p.socket.end();
}

function steer(target: number): void {
  while (online.length + pending < target && pending < MAX_PENDING) login();
  while (online.length > target) logoutOne();
}

function sendMessages(rate: number, dtS: number, now: number): void {
  const n = online.length;
  if (n === 0) return;
  carry += rate * n * dtS;
  while (carry >= 1) {
    // The next player past its think time; when every player is still thinking, this tick's messages lapse.
    let p: Player | null = null;
    for (let k = 0; k < n && !p; k++) {
      rr = (rr + 1) % n;
      if (online[rr]!.activeAt <= now) p = online[rr]!;
    }
    if (!p) {
      carry %= 1;
      return;
    }
    carry -= 1;
    p.socket.write(frame(JSON.stringify({ t: 'msg', seq: ++p.seq, kind: 'move' })));
    counters.sent++;
  }
}

/** The phase at `elapsed` ms from the start (null in the baseline and once the plan is over), its target then. */
function at(elapsed: number): { phase: PlanPhase | null; target: number; over: boolean } {
  let t = elapsed - plan.baseline_ms;
  if (t < 0) return { phase: null, target: 0, over: false };
  for (const p of plan.phases) {
    if (t < p.duration_ms)
      return { phase: p, target: Math.floor(p.from + (p.to - p.from) * (t / p.duration_ms) + 0.5), over: false };
    t -= p.duration_ms;
  }
  const last = plan.phases[plan.phases.length - 1];
  return { phase: null, target: last ? last.to : 0, over: true };
}

const start = performance.now() - (Date.now() - Number(startArg));
let last = start;
let target = 0;
/** Past the plan's end: skynet's driver takes its last sample and stops skynet, which closes every connection. */
let over = false;

const tick = setInterval(() => {
  const now = performance.now();
  const cur = at(now - start);
  target = cur.target;
  over = cur.over;
  if (over) return clearInterval(tick);
  steer(target);
  if (cur.phase) sendMessages(cur.phase.rate, (now - last) / 1000, now);
  last = now;
}, TICK_MS);

function status(): void {
  const c = counters;
  process.stdout.write(
    `GATE-CLIENT t=${Math.round(performance.now() - start)} target=${target} online=${online.length} pending=${pending} sent=${c.sent} ` +
      `logins=${c.logins} logouts=${c.logouts} failures=${c.failures} dropped=${c.dropped}${lastError ? ` error=${JSON.stringify(lastError)}` : ''}\n`,
  );
  lastError = null;
}
const statusTimer = setInterval(status, STATUS_MS);

process.on('SIGTERM', () => {
  clearInterval(tick);
  clearInterval(statusTimer);
  status();
  for (const p of online) p.socket.destroy();
  process.exit(0);
});

# The body of a generated locustfile (Python, Locust 2.x under gevent, websocket-client). `simload export
# locust` (src/export/locust.ts) writes a data block in front of it that defines SCENARIO_NAME, BASELINE_S, PHASES,
# THINK_TIME_S, PLAYERS_PER_CONNECTION, PLAYER_PREFIX, SPAWN_RATE and the timing constants; nothing here reads
# scenario text: the scenario reaches Python only as quoted literals in that block.
import functools
import itertools
import json
import math
import os
import random
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

# Locust first: importing it patches sockets for gevent, which websocket-client then uses.
from locust import LoadTestShape, User, events, task
import locust.argument_parser
import locust.runners
import gevent
from gevent.event import AsyncResult
import websocket

# Debian's python3-locust 2.12.1 has an empty version string (locust/_version.py); a master then refuses every
# worker as "an old (pre 2.0) worker". Master and workers all load this file, so they agree on this one.
if not locust.runners.__version__:
    locust.runners.__version__ = "2.x-unversioned"
# Workers: Locust 2.12 re-parses its whole command line (default_args_dict, ~13 ms here) once per option
# of every spawn message, about a second of CPU per message: a shape that changes the user count often
# starves the worker's heartbeats and the master drops it. The defaults never change within a process.
if hasattr(locust.argument_parser, "default_args_dict") and not hasattr(locust.argument_parser.default_args_dict, "cache_info"):
    locust.argument_parser.default_args_dict = functools.lru_cache(maxsize=1)(locust.argument_parser.default_args_dict)
# Master: hand the next target to the workers at once rather than waiting up to 1 s for their reports.
os.environ.setdefault("LOCUST_WAIT_FOR_WORKERS_REPORT_AFTER_RAMP_UP", "0")

FIRST_LOGIN_MESSAGE = "simload_first_login"
END_S = (PHASES[-1]["start"] + PHASES[-1]["duration"]) if PHASES else 0.0


# ---- the load shape: the scenario's online target over time --------------------------------------------------

def target_at(t):
    """Online target at t seconds after the first phase started, as simload's driver computes it."""
    if t < 0 or not PHASES:
        return 0
    for p in PHASES:
        if t < p["start"] + p["duration"]:
            f = 1.0 if p["duration"] <= 0 else min(1.0, max(0.0, (t - p["start"]) / p["duration"]))
            # JavaScript's Math.round (half up), not Python's round (half to even)
            return int(math.floor(p["from"] + (p["to"] - p["from"]) * f + 0.5))
    return PHASES[-1]["to"]


def most_over(a, b):
    """The highest target in [a, b]: the targets are piecewise linear, so at an end or a phase boundary."""
    points = [a, b] + [p["start"] for p in PHASES if a < p["start"] < b]
    return max(target_at(x) for x in points)


def rate_at(t):
    """Messages per player per second at t seconds after the first phase started."""
    if not PHASES:
        return 0.0
    for p in PHASES:
        if t < p["start"] + p["duration"]:
            return p["rate"]
    return PHASES[-1]["rate"]


_FIRST_LOGIN = {"at": None}  # on the master: when the first player's login was answered (time.perf_counter())


class SimloadShape(LoadTestShape):
    """
    The baseline (no players), then the phases, then TAIL_S more seconds at the last target so that
    simload's last sample still sees the players; then the test stops (its users log out).

    The phase clock starts when the first player's login is answered (a worker tells the master), which is
    when simload serve --record starts its own: until then the shape holds at the first phase's start.
    Each answer asks for the most players the scenario wants during the next LEAD_S seconds, so a ramp up
    is met ahead of time and a ramp down is followed without going below the target.
    """

    def __init__(self):
        super().__init__()
        self._clear()

    def _clear(self):
        self.asked_at = None
        self.last = None
        self.changed_at = 0.0

    def reset_time(self):
        super().reset_time()
        self._clear()
        _FIRST_LOGIN["at"] = None

    def wanted(self):
        now = time.perf_counter()
        if now - self.start_time < BASELINE_S:
            return (0, SPAWN_RATE)
        if self.asked_at is None:
            self.asked_at = now
        first = _FIRST_LOGIN["at"]
        if first is None and now - self.asked_at >= FIRST_LOGIN_WAIT_S:
            first = self.asked_at  # no login answered yet: go on anyway, the players' errors say why
        t = 0.0 if first is None else now - first
        if t >= END_S + TAIL_S:
            return None
        return (most_over(t, min(t + LEAD_S, END_S + TAIL_S)), SPAWN_RATE)

    def tick(self):
        # Locust sleeps a whole second after an unchanged answer. Waiting here for the next change instead
        # (at most one every MIN_GAP_S) lets the user count follow the target within a fraction of a second.
        while True:
            value = self.wanted()
            now = time.perf_counter()
            if value is None or (value != self.last and now - self.changed_at >= MIN_GAP_S):
                self.last = value
                self.changed_at = now
                return value
            gevent.sleep(POLL_S)


def _on_first_login(environment, msg, **_kwargs):
    if _FIRST_LOGIN["at"] is None:
        _FIRST_LOGIN["at"] = time.perf_counter()


@events.init.add_listener
def _on_init(environment, **_kwargs):
    host = environment.host or ""
    if host and not host.startswith(("ws://", "wss://")):
        raise SystemExit("simload locustfile: --host %s: give the gate's WebSocket URL, ws://HOST:PORT (simload serve prints it)" % host)
    if environment.runner is not None and not isinstance(environment.runner, locust.runners.WorkerRunner):
        headless = bool(getattr(environment.parsed_options, "headless", False))
        if not host and headless:
            # Workers get the host from the master; a headless master or single process needs it now.
            raise SystemExit("simload locustfile: no --host: give the gate's WebSocket URL, --host ws://HOST:PORT (simload serve prints it)")
        environment.runner.register_message(FIRST_LOGIN_MESSAGE, _on_first_login)


# ---- the player: simload's gate protocol over WebSocket --------------------------------------------------------

_PROCESS = uuid.uuid4().hex[:12]  # unique per Locust process, so player ids never collide across workers and hosts
_SERIAL = itertools.count(1)
_CLOCK = {"phase0": None}  # this process's first login: its phase clock, for the phases' message rates


class GateError(Exception):
    """A connection that failed or closed."""


class ReplyError(GateError):
    """An err reply from the gate: the connection itself is fine."""


def _mux_url(url):
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + "mux=1"
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))


def _connect(url):
    # No Origin header: the gate refuses Origins it does not know (a browser page must not reach it).
    ws = websocket.create_connection(url, timeout=CONNECT_TIMEOUT_S, suppress_origin=True, enable_multithread=True)
    return ws


def _check(reply, op):
    if reply.get("t") == "err":
        raise ReplyError("%s: %s" % (reply.get("code"), reply.get("message")))
    if reply.get("t") != "ok" or reply.get("op") != op:
        raise ReplyError("unexpected reply to %s: %s" % (op, json.dumps(reply)[:200]))


class PlainSession:
    """One player per connection: the gate's plain protocol. One request in flight at a time."""

    def __init__(self, url):
        self.ws = _connect(url)
        self.seq = 0

    def request(self, frame, timeout):
        self.seq += 1
        seq = self.seq
        self.ws.settimeout(timeout)
        self.ws.send(json.dumps(dict(frame, seq=seq)))
        while True:
            text = self.ws.recv()
            if not text:
                raise GateError("the server closed the connection")
            reply = json.loads(text)
            # A reply to a request given up on earlier (a timeout, a stop) is skipped.
            if reply.get("seq") == seq or (reply.get("t") == "err" and reply.get("seq") is None):
                return reply, len(text)

    def release(self, clean=True):
        try:
            self.ws.close()
        except Exception:
            pass


class MuxConnection:
    """One multiplexed connection (?mux=1) carrying up to PLAYERS_PER_CONNECTION players, one per channel."""

    def __init__(self, pool, url):
        self.pool = pool
        self.url = url
        self.ws = None
        self.ready = AsyncResult()
        self.dead = None
        self.users = 0
        self.free = []
        self.next_ch = 0
        self.seqs = itertools.count(1)
        self.waiting = {}  # ch -> (seq, AsyncResult)

    def open(self):
        try:
            self.ws = _connect(_mux_url(self.url))
            self.ws.settimeout(None)
        except Exception as e:
            self.fail(GateError("cannot connect: %s" % e))
            raise
        self.ready.set(True)
        gevent.spawn(self.read)

    def channel(self):
        return self.free.pop() if self.free else self._new_channel()

    def _new_channel(self):
        ch = self.next_ch
        self.next_ch += 1
        return ch

    def request(self, ch, frame, timeout):
        self.ready.get(timeout=CONNECT_TIMEOUT_S)
        if self.dead is not None:
            raise self.dead
        seq = next(self.seqs)
        result = AsyncResult()
        self.waiting[ch] = (seq, result)
        try:
            self.ws.send(json.dumps(dict(frame, seq=seq, ch=ch)))
            return result.get(timeout=timeout)
        finally:
            if self.waiting.get(ch, (None,))[0] == seq:
                del self.waiting[ch]

    def read(self):
        try:
            while True:
                text = self.ws.recv()
                if not text:
                    raise GateError("the server closed the connection")
                reply = json.loads(text)
                w = self.waiting.get(reply.get("ch"))
                if w is not None and w[0] == reply.get("seq"):
                    w[1].set((reply, len(text)))
                elif reply.get("t") == "err" and reply.get("ch") is None:
                    # Not tied to a channel: it cannot be given to a player, so it is counted on its own.
                    events.request.fire(request_type="WS", name="mux", response_time=0, response_length=len(text),
                                        exception=GateError("%s: %s" % (reply.get("code"), reply.get("message"))), context={})
        except Exception as e:
            self.fail(e if isinstance(e, GateError) else GateError(str(e) or type(e).__name__))

    def fail(self, err):
        if self.dead is None:
            self.dead = err
        if not self.ready.ready():
            self.ready.set_exception(err)
        for _, result in list(self.waiting.values()):
            result.set_exception(err)
        self.waiting.clear()
        self.pool.forget(self)

    def close(self):
        self.pool.forget(self)
        if self.dead is None:
            self.dead = GateError("connection closed")
        try:
            if self.ws is not None:
                self.ws.close()
        except Exception:
            pass


class MuxPool:
    """This process's multiplexed connections: a player joins the first with a free channel, else a new one."""

    def __init__(self):
        self.conns = []

    def session(self, url):
        conn = next((c for c in self.conns if c.dead is None and c.url == url and c.users < PLAYERS_PER_CONNECTION), None)
        opener = conn is None
        if opener:
            conn = MuxConnection(self, url)
            self.conns.append(conn)
        conn.users += 1
        ch = conn.channel()
        try:
            if opener:
                conn.open()
            else:
                conn.ready.get(timeout=CONNECT_TIMEOUT_S)
        except BaseException:
            conn.users -= 1
            raise
        return MuxSession(conn, ch)

    def forget(self, conn):
        if conn in self.conns:
            self.conns.remove(conn)


class MuxSession:
    def __init__(self, conn, ch):
        self.conn = conn
        self.ch = ch

    def request(self, frame, timeout):
        return self.conn.request(self.ch, frame, timeout)

    def release(self, clean=True):
        c = self.conn
        c.users -= 1
        # A channel whose player may still be logged in (a request that got no answer) is not used again.
        if c.dead is None and clean:
            c.free.append(self.ch)
        if c.users <= 0:
            c.close()


_MUX = MuxPool()


def _open_session(url):
    return PlainSession(url) if PLAYERS_PER_CONNECTION <= 1 else _MUX.session(url)


class SimloadPlayer(User):
    """
    One player: logs in when Locust starts the user, sends messages at the scenario's rate after the think
    time with exponential gaps, so each player's arrivals are random as with simload's bots (which pick a
    random player for each of a 20 ms tick's messages; their total per tick is fixed, here it varies by
    chance), logs out when Locust stops the user (a ramp down, or the end). Each request's round trip goes to Locust's request event.
    """

    def __init__(self, environment):
        super().__init__(environment)
        self.session = None
        self.logged_in = False
        self.login_sent = False
        self.next_at = 0.0

    def wait_time(self):
        return max(0.0, self.next_at - time.monotonic())

    def _timed(self, name, frame, timeout):
        start = time.perf_counter()
        reply, size, exc = None, 0, None
        try:
            reply, size = self.session.request(frame, timeout)
            _check(reply, frame["t"])
        except gevent.Timeout:
            exc = GateError("no reply in %.0f s" % timeout)
        except Exception as e:
            exc = e
        self.environment.events.request.fire(request_type="WS", name=name, response_time=(time.perf_counter() - start) * 1000.0,
                                             response_length=size, exception=exc, context={})
        if exc is not None and not isinstance(exc, ReplyError) and name == "msg":
            # The connection is gone (or a reply never came): log in again on a new one a second later,
            # as simload's bots replace a dropped player.
            session, self.session = self.session, None
            self.logged_in = False
            self.login_sent = False
            session.release(False)
            self.next_at = time.monotonic() + 1.0
        return exc is None

    def _schedule(self, after):
        rate = rate_at(time.monotonic() - _CLOCK["phase0"]) if _CLOCK["phase0"] is not None else 0.0
        gap = random.expovariate(rate) if rate > 0 else 1.0
        self.next_at = max(self.next_at, time.monotonic() - 1.0) + after + gap
        return rate > 0

    def _login(self):
        if not self.host:
            raise RuntimeError("no host: give locust --host ws://HOST:PORT (the URL simload serve printed)")
        player = "%s-%s-%d" % (PLAYER_PREFIX, _PROCESS, next(_SERIAL))
        if self.session is None:
            try:
                self.session = _open_session(self.host)
            except Exception as e:
                self.environment.events.request.fire(request_type="WS", name="connect", response_time=0, response_length=0, exception=e, context={})
                self.next_at = time.monotonic() + 1.0  # try again in a second, as simload's bots replace a failed one
                return
        self.login_sent = True
        self.logged_in = self._timed("login", {"t": "login", "player": player}, REPLY_TIMEOUT_S)
        if not self.logged_in:
            self.login_sent = False
            self.session.release(False)
            self.session = None
            self.next_at = time.monotonic() + 1.0
            return
        if _CLOCK["phase0"] is None:
            _CLOCK["phase0"] = time.monotonic()
            self.environment.runner.send_message(FIRST_LOGIN_MESSAGE, {"player": player})
        self.next_at = time.monotonic()
        self._schedule(THINK_TIME_S)

    def on_start(self):
        self._login()

    @task
    def play(self):
        if not self.logged_in:
            if time.monotonic() >= self.next_at:
                self._login()
            return
        if time.monotonic() < self.next_at:
            return
        sending = self._schedule(0.0)
        if sending:
            self._timed("msg", {"t": "msg", "kind": "move"}, REPLY_TIMEOUT_S)

    def on_stop(self):
        session, self.session = self.session, None
        if session is None:
            return
        clean = True
        try:
            if self.logged_in:
                self.session = session
                clean = self._timed("logout", {"t": "logout"}, LOGOUT_TIMEOUT_S)
            elif self.login_sent:
                # Stopped while its login was on the way: the login may still land, so take it back (an
                # answer NOT_LOGGED_IN is fine; this is not a request of the scenario, so it is not timed).
                try:
                    session.request({"t": "logout"}, LOGOUT_TIMEOUT_S)
                except (Exception, gevent.Timeout):
                    clean = False
        finally:
            self.session = None
            self.logged_in = False
            self.login_sent = False
            session.release(clean)

#!/usr/bin/python3
"""End-to-end benchmark: prints figures, never a verdict on time (issue 11
item 6).  `make bench-e2e` runs it; it is not part of `make check` or
tests/run-all.

In ONE run, through one private Prosody on 127.0.0.1 (lean configuration: no
archive, no offline store, log level warn; the modules it really loaded are
printed), with headless libpurple clients (tests/e2e/esess-client), four
client pairs side by side:

  ours        this plugin (an ESession, group and keys as a user gets them)
  pidgin-otr  Debian's pidgin-otr, real libotr crypto, in the same client:
              libgtk-x11-2.0 and tests/e2e/otr-stub.c preloaded (Pidgin's UI
              entry points stubbed), DSA keys made beforehand
              (tests/e2e/otr-keygen.c), OTR started with pidgin-otr's query
              message
  plaintext   no plugin
  padded      no plugin, bodies padded so the stanza is as long on the wire
              as ours

For each: time to private (ours, pidgin-otr: from the start command to both
sides private, taken on the clients' monotonic clock) and the CPU both
clients spent on it, messages per second through Prosody (a one-way burst,
first sent to last shown), and client CPU per message on the sender and on
the receiver (getrusage deltas around the burst divided by the count) and
the server's (/proc/PID/stat, to 10 ms a burst); and
a conversation, each message answered at once: round trips per second and
CPU per message (where libotr makes a new DH key every turn).  Medians of several runs with [min-max]; the bursts of the four
pairs are interleaved, in a rotating order, so load on a shared machine hits
all of them alike.  Ratios are ours over the others.

A figure is printed only when its run was verified: every message arrived,
as sent (compared in the receiving client), none twice; for ours and
pidgin-otr every message stanza on the wire (both ends) was encrypted (an
XEP-0200 <c/>, or an OTR "?OTR:" body) and none carried the plaintext; and
pidgin-otr's libotr state was ENCRYPTED on both sides.  Otherwise the column
says what failed.

ESESS_BENCH_N (messages per burst, default 2000), ESESS_BENCH_RUNS (default 9;
time to private takes at most 4 of them, the plugin's rate limit),
ESESS_BENCH_LEN (body bytes, default 100) override the defaults.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import esess_harness as h  # noqa: E402

N = int(os.environ.get("ESESS_BENCH_N", "2000"))
RUNS = int(os.environ.get("ESESS_BENCH_RUNS", "9"))
LEN = int(os.environ.get("ESESS_BENCH_LEN", "100"))
WARMUP = 50
# time to private: the plugin admits 5 negotiations per contact per minute
# (SECURITY 58, ESESS_LIMIT_PER_PEER); one cold start and 4 timed ones fit
TTP_RUNS = max(1, min(RUNS, 4))
SETTLE = 0.5    # seconds after private before the negotiation's CPU is read
# round trips per conversation run: each waits for the answer, so fewer
N_CONV = int(os.environ.get("ESESS_BENCH_CONV", str(max(10, N // 10))))
OTR_STUB = os.environ.get("ESESS_OTR_STUB", "")
OTR_KEYGEN = os.environ.get("ESESS_OTR_KEYGEN", "")
GTK = "libgtk-x11-2.0.so.0"
OTR_ENCRYPTED = "1"     # libotr's OTRL_MSGSTATE_ENCRYPTED
MODES = ("ours", "pidgin-otr", "plaintext", "padded")
SERVER = None   # the Prosody of the run


class Failed(Exception):
    pass


def pkg_version(name):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", name],
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "?"


def pidgin_otr_path():
    try:
        out = subprocess.run(["dpkg", "-L", "pidgin-otr"], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in out.splitlines():
        if line.endswith("pidgin-otr.so"):
            return line
    return None


def event_time(ev):
    return int(ev[-1])


def cpu(c):
    """(process CPU µs, monotonic µs, main thread CPU µs) of client c, from
    a fresh cpu event."""
    since = c.mark()
    c.cmd("cpu")
    ev = c.wait_event("cpu", since=since)
    return int(ev[1]), int(ev[2]), int(ev[3])


class Pair:
    def __init__(self, name, sender, receiver, length):
        self.name = name
        self.s = sender
        self.r = receiver
        self.length = length
        self.rates = []
        self.cpu_s = []
        self.cpu_r = []
        self.ttp = []
        self.ttp_cpu = []
        self.ttp_cold = None
        self.ttp_cpu_cold = None
        self.failed = None
        self.wire_bytes = None   # mean bytes per message stanza sent
        self.wire_shape = None   # mean elements and xmlns declarations per stanza sent
        self.wire_last = None    # the last burst's wire counters, sent/received
        self.background = []     # share of the bursts' CPU outside the main threads
        self.conv_rates = []
        self.conv_cpu = []
        self.server_cpu = []     # Prosody's CPU per message in the bursts, µs

    def fail(self, why):
        if self.failed is None:
            self.failed = why

    def burst(self, tag, n, record=True):
        """One burst of n messages sender -> receiver, verified; records
        the rate and the CPU per message when record."""
        s, r = self.s, self.r
        mr = r.mark()
        r.cmd("expect %s %d %d" % (tag, n, self.length))
        r.wait_event("expecting", tag, since=mr)
        cr0, _, tr0 = cpu(r)
        ms = s.mark()
        cs0, _, ts0 = cpu(s)
        srv0 = SERVER.cpu_seconds()
        s.cmd("burst %s %s %d %d" % (r.jid, tag, n, self.length))
        start = s.wait_event("burst-start", tag, since=ms, timeout=30)
        timeout = 60 + n / 20.0
        try:
            done = r.wait_event("expect-done", tag, since=mr, timeout=timeout)
        except TimeoutError:
            got = r.find(lambda e: e[0] in ("expect-bad", "expect-counts"), mr)
            raise Failed("%s: not all %d messages arrived within %.0f s %s"
                         % (tag, n, timeout, got[:2]))
        sent = s.wait_event("burst-sent", tag, since=ms, timeout=timeout)
        srv1 = SERVER.cpu_seconds()
        cr1, _, tr1 = cpu(r)
        cs1, _, ts1 = cpu(s)
        counts = r.wait_event("expect-counts", tag, since=mr)
        self.verify(tag, n, counts, sent, done, r.find(lambda e: e[0] == "expect-bad", mr))
        self.wire_bytes = int(sent[7]) / max(1, int(sent[2]))
        self.wire_shape = (int(sent[8]) / max(1, int(sent[2])),
                           int(sent[9]) / max(1, int(sent[2])))
        self.wire_last = (sent, done)
        if record:
            total = (cs1 - cs0) + (cr1 - cr0)
            if total > 0:
                self.background.append(
                    ((cs1 - cs0) - (ts1 - ts0) + (cr1 - cr0) - (tr1 - tr0)) / total)
            secs = (event_time(done) - event_time(start)) / 1e6
            self.rates.append(n / secs)
            self.cpu_s.append((cs1 - cs0) / n)
            self.cpu_r.append((cr1 - cr0) / n)
            if srv0 is not None and srv1 is not None:
                self.server_cpu.append((srv1 - srv0) * 1e6 / n)

    def conversation(self, tag, n):
        """n round trips: the sender sends message i when the answer to i-1
        came, the receiver answers each at once (tests/e2e/esess-client.c
        pingpong / expect reply).  Records round trips per second and the
        CPU per message of both clients together (2n messages)."""
        s, r = self.s, self.r
        rtag = tag + "-r"
        mr = r.mark()
        r.cmd("expect %s %d %d reply" % (tag, n, self.length))
        r.wait_event("expecting", tag, since=mr)
        cr0 = cpu(r)[0]
        ms = s.mark()
        cs0 = cpu(s)[0]
        s.cmd("pingpong %s %s %d %d" % (r.jid, tag, n, self.length))
        start = s.wait_event("burst-start", tag, since=ms, timeout=30)
        timeout = 60 + n / 5.0
        try:
            done_s = s.wait_event("expect-done", rtag, since=ms, timeout=timeout)
        except TimeoutError:
            raise Failed("%s: the conversation did not finish within %.0f s (%s answers)"
                         % (tag, timeout, r.find(lambda e: e[0] == "expect-counts", mr)))
        cr1 = cpu(r)[0]
        cs1 = cpu(s)[0]
        for c, m, t in ((r, mr, tag), (s, ms, rtag)):
            counts = c.wait_event("expect-counts", t, since=m)
            # the counters now: the receiver's last answer went after its
            # expect-done, before the sender's
            mw = c.mark()
            c.cmd("wire " + t)
            sent = c.wait_event("wire-sent", t, since=mw)
            done = c.wait_event("wire-recv", t, since=mw)
            self.verify(t, n, counts, sent, done, c.find(lambda e: e[0] == "expect-bad", m))
        secs = (event_time(done_s) - event_time(start)) / 1e6
        self.conv_rates.append(n / secs)
        self.conv_cpu.append(((cs1 - cs0) + (cr1 - cr0)) / (2.0 * n))

    def verify(self, tag, n, counts, sent, done, bad):
        good, nbad, dup = (int(x) for x in counts[2:5])
        if good != n or nbad or dup:
            raise Failed("%s: %d of %d messages arrived as sent, %d garbled, %d twice %s"
                         % (tag, good, n, nbad, dup, bad[:1]))
        # wire counters: total esess otr plain leak bytes
        st, se, so, sp, sl = (int(x) for x in sent[2:7])
        rt, re_, ro, rp, _ = (int(x) for x in done[2:7])
        want = {"ours": (se, re_), "pidgin-otr": (so, ro)}.get(self.name, (sp, rp))
        if st != n or rt != n or want != (n, n):
            raise Failed("%s: on the wire %d sent / %d received message stanzas, "
                         "%d / %d of the expected kind (of %d)"
                         % (tag, st, rt, want[0], want[1], n))
        if self.name in ("ours", "pidgin-otr") and sl:
            raise Failed("%s: %d stanzas carried the plaintext on the wire" % (tag, sl))


def timed_start(p, command, private_a, private_b):
    """Runs command on the sender and waits until both report private: the
    time from the command to the later of the two (the clients' monotonic
    clock), and the CPU both clients spent, counted until SETTLE after that
    so that what the start leaves to do (the key pool refilled) is in it."""
    a, b = p.s, p.r
    ma, mb = a.mark(), b.mark()
    cb0 = cpu(b)
    ca0 = cpu(a)
    a.cmd("cmd %s %s" % (b.jid, command))
    res = a.wait_event("cmd-result", b.jid, since=ma)
    if res[2] != "0":
        raise Failed("%s: the command failed: %s" % (command, res[3]))
    ea = a.wait_for(private_a, 30, since=ma, what="private")
    eb = b.wait_for(private_b, 30, since=mb, what="private")
    p.ttp.append((max(event_time(ea), event_time(eb)) - event_time(res)) / 1000.0)
    time.sleep(SETTLE)
    ca1 = cpu(a)
    cb1 = cpu(b)
    p.ttp_cpu.append(((ca1[0] - ca0[0]) + (cb1[0] - cb0[0])) / 1000.0)
    return ea, eb


def start_ours(p):
    """Time to private for ours: '/esession start' on the sender until both
    report private (states 2 or 3)."""
    a, b = p.s, p.r
    timed_start(p, "esession start",
                lambda e: e[0] == "state" and e[1].split("/")[0] == b.jid and
                e[2] in ("2", "3"),
                lambda e: e[0] == "state" and e[1].split("/")[0] == a.jid and
                e[2] in ("2", "3"))


def ours_private(p):
    for c, peer in ((p.s, p.r), (p.r, p.s)):
        m = c.mark()
        c.cmd("ipc get-state %s" % peer.full_jid)
        ev = c.wait_event("ipc", "get-state", since=m)
        if ev[3] not in ("2", "3"):
            raise Failed("%s's session is in state %s, not private" % (c.user, ev[3]))


def start_otr(p):
    """The same with pidgin-otr: its 'Start private conversation' (the
    default query message) until libotr reports ENCRYPTED on both sides
    (gone_secure -> otrg_dialog_connected)."""
    connected = (lambda e: e[0] == "otr" and e[1] == "connected")
    ea, eb = timed_start(p, "otr-start", connected, connected)
    if ea[3] != OTR_ENCRYPTED or eb[3] != OTR_ENCRYPTED:
        raise Failed("libotr connected but not ENCRYPTED (%s, %s)" % (ea[3], eb[3]))


def otr_private(p):
    for c, peer in ((p.s, p.r), (p.r, p.s)):
        m = c.mark()
        c.cmd("cmd %s otr-state" % peer.jid)
        ev = c.wait_for(lambda e: e[0] == "otr" and e[1] == "state", 15, since=m)
        if ev[3] != OTR_ENCRYPTED:
            raise Failed("%s: libotr state %s, not ENCRYPTED" % (c.user, ev[3]))
        odd = c.find(lambda e: e[0] == "otr" and e[1] in ("unexpected", "finished",
                                                         "disconnected"))
        if odd and odd[-1][1] == "unexpected":
            raise Failed("%s: pidgin-otr reached a stubbed Pidgin function: %s"
                         % (c.user, odd[-1][2]))


def med(xs):
    return statistics.median(xs)


def cell(p, values, fmt):
    if p is None:
        return "-"
    if p.failed:
        return "FAILED"
    if not values:
        return "-"
    return (fmt + " [" + fmt + "-" + fmt + "]") % (med(values), min(values), max(values))


def ratio_cell(ours, other, get):
    """Ratio of the medians, and [min-max] of the per-run ratios (runs are
    interleaved, so run i of both saw the same machine)."""
    if ours is None or other is None or ours.failed or other.failed:
        return "FAILED" if (ours and ours.failed) or (other and other.failed) else "-"
    a, b = get(ours), get(other)
    if not a or not b:
        return "-"
    per = [x / y for x, y in zip(a, b) if y]
    if not med(b) or not per:
        return "-"
    return "%.2f [%.2f-%.2f]" % (med(a) / med(b), min(per), max(per))


def print_table(pairs):
    rows = (("time to private, ms", lambda p: p.ttp, "%.1f"),
            ("CPU to private, both clients, ms", lambda p: p.ttp_cpu, "%.1f"),
            ("messages/s through Prosody", lambda p: p.rates, "%.0f"),
            ("client CPU/message, sender, us", lambda p: p.cpu_s, "%.1f"),
            ("client CPU/message, receiver, us", lambda p: p.cpu_r, "%.1f"),
            ("server CPU/message (Prosody), us", lambda p: p.server_cpu, "%.0f"),
            ("conversation: round trips/s", lambda p: p.conv_rates, "%.0f"),
            ("conversation: CPU/message, us", lambda p: p.conv_cpu, "%.1f"))
    w0 = 34
    w = 24
    print()
    print("%-*s" % (w0, "median [min-max]") + "".join("%-*s" % (w, m) for m in MODES))
    for label, get, fmt in rows:
        line = "%-*s" % (w0, label)
        for m in MODES:
            p = pairs.get(m)
            vals = get(p) if p is not None else []
            if "private" in label and m in ("plaintext", "padded"):
                line += "%-*s" % (w, "-")
            else:
                line += "%-*s" % (w, cell(p, vals, fmt))
        print(line)
    print()
    others = ("pidgin-otr", "plaintext", "padded")
    print("%-*s" % (w0, "ratio ours/...") + "".join("%-*s" % (w, o) for o in others))
    for label, get, _ in rows:
        line = "%-*s" % (w0, label)
        for o in others:
            if "private" in label and o != "pidgin-otr":
                line += "%-*s" % (w, "-")
            else:
                line += "%-*s" % (w, ratio_cell(pairs.get("ours"), pairs.get(o), get))
        print(line)
    print("(messages/s and round trips/s: above 1 means ours is faster; time and CPU: "
          "below 1 means ours costs less)")
    print("burst: %d messages one way as fast as they go; conversation: %d round trips, "
          "each message answered at once (OTR then makes a new DH key every turn), CPU "
          "per message = both clients' CPU / %d messages" % (N, N_CONV, 2 * N_CONV))
    for m in MODES:
        p = pairs.get(m)
        if p is not None and p.failed:
            print("%s FAILED: %s" % (m, p.failed))


def setup_otr(server):
    """The pidgin-otr pair, or (None, reason)."""
    otr = pidgin_otr_path()
    if otr is None:
        return None, "pidgin-otr is not installed (scripts/setup-deps installs it)"
    if not (OTR_STUB and os.path.exists(OTR_STUB) and OTR_KEYGEN and
            os.path.exists(OTR_KEYGEN)):
        return None, "the OTR stub or key generator was not built (configure found no libotr?)"
    key = os.path.join(server.dir, "otr.private_key")
    tags = os.path.join(server.dir, "otr.instance_tags")
    accounts = ["carol@%s/bench" % h.HOST, "dave@%s/bench" % h.HOST]
    t0 = time.monotonic()
    try:
        subprocess.run([OTR_KEYGEN, key, tags] + accounts, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        return None, "the OTR keys could not be made: %s" % exc
    print("pidgin-otr keys: DSA-1024 keys and instance tags made beforehand in %.2f s"
          % (time.monotonic() - t0))
    clients = []
    for user in ("carol", "dave"):
        d = os.path.join(server.dir, "client-%s-bench" % user)
        os.makedirs(d, mode=0o700, exist_ok=True)
        shutil.copy(key, d)
        shutil.copy(tags, d)
        # pidgin-otr requires Pidgin's UI id
        clients.append(h.Client(server, user, resource="bench", plugins=[otr],
                                ui_id="gtk-gaim", preload=[GTK, OTR_STUB],
                                debug_log=False))
    for c in clients:
        c.wait_for(lambda e: e[0] in ("loaded", "load-failed"), 15, what="plugin load")
        if c.find(lambda e: e[0] == "load-failed"):
            return None, "pidgin-otr did not load: %s" % c.find(
                lambda e: e[0] == "load-failed")[0][1:]
    return clients, otr


def make_identity_keys(clients, timeout=120.0):
    """Has the plugin make each account's identity key now ('/esession key'
    makes it when there is none), as pidgin-otr's keys are made before the
    run: a key made during the first session would land in its time.  Waits
    for the public half on disk (esessions/*idkey.pub).  Returns seconds, or
    None when this plugin has no identity keys."""
    t0 = time.monotonic()
    marks = []
    for c, peer in ((clients[0], clients[1]), (clients[1], clients[0])):
        marks.append(c.mark())
        c.cmd("cmd %s esession key" % peer.jid)
    for c, m in zip(clients, marks):
        try:
            c.wait_for(lambda e: e[0] == "msg" and "identity key" in e[4], 10, since=m,
                       what="identity key")
        except TimeoutError:
            return None
    deadline = time.monotonic() + timeout
    for c in clients:
        d = os.path.join(c.dir, "esessions")
        while not (os.path.isdir(d) and any(n.endswith("idkey.pub") for n in os.listdir(d))):
            if time.monotonic() > deadline:
                raise Failed("%s's identity key was not made within %.0f s" % (c.user, timeout))
            time.sleep(0.1)
    return time.monotonic() - t0


def main():
    t_start = time.monotonic()
    if RUNS < 3:
        print("note: ESESS_BENCH_RUNS=%d: fewer than 3 runs, the medians are rough" % RUNS)
    global SERVER
    server = SERVER = h.Prosody(users=("alice", "bob", "carol", "dave", "erin", "frank"),
                                lean=True).start()
    pairs = {}
    try:
        mods = server.loaded_modules()
        print("make bench-e2e: %d messages of %d B per burst, %d runs, after a %d-message "
              "warm-up; time to private: %d runs after a cold one"
              % (N, LEN, RUNS, WARMUP, TTP_RUNS))
        print("Prosody %s on 127.0.0.1, TLS, log level %s (as Prosody read it: %s); lean "
              "config: no archive (mod_mam), no offline store, no carbons, no stanza "
              "debug log" % (pkg_version("prosody"), server.log_level,
                             server.log_levels() or "unknown"))
        for host in sorted(mods):
            print("  modules loaded on %s: %s" % (host, " ".join(mods[host])))
        if not mods:
            print("  modules loaded: unknown (mod_esess_modlist wrote nothing)")
        print("clients: tests/e2e/esess-client, libpurple %s, debug output off "
              "(as Pidgin with its debug window closed), separate processes"
              % pkg_version("libpurple0"))

        ours = [h.Client(server, u, resource="bench", debug_log=False)
                for u in ("alice", "bob")]
        plain = [h.Client(server, u, resource="bench", plugins=[], debug_log=False)
                 for u in ("erin", "frank")]
        try:
            otr_clients, otr_why = setup_otr(server)
        except (TimeoutError, RuntimeError) as exc:
            otr_clients, otr_why = None, "pidgin-otr's client did not start: %s" % exc
        for c in ours + plain + (otr_clients or []):
            c.signed_on(timeout=30)
        pairs["ours"] = Pair("ours", ours[0], ours[1], LEN)
        pairs["plaintext"] = Pair("plaintext", plain[0], plain[1], LEN)
        # the padded pair's length is known after the warm-up
        pairs["padded"] = Pair("padded", plain[0], plain[1], LEN)
        if otr_clients:
            pairs["pidgin-otr"] = Pair("pidgin-otr", otr_clients[0], otr_clients[1], LEN)
            print("pidgin-otr %s (%s), libotr %s: GTK preloaded, Pidgin's UI stubbed "
                  "(tests/e2e/otr-stub.c), policy: v2+v3 allowed, started by hand"
                  % (pkg_version("pidgin-otr"), otr_why, pkg_version("libotr5")))
        else:
            p = Pair("pidgin-otr", None, None, LEN)
            p.fail(otr_why)
            pairs["pidgin-otr"] = p

        a, b = ours
        # the initiator asks; the responder accepts without a dialog, as
        # libotr answers a query message
        a.cmd("account-set esessions-policy on-request")
        b.cmd("account-set esessions-policy opportunistic")
        for c in ours:
            c.cmd("answer Accept")
        for x, y in ((ours[0], ours[1]), (plain[0], plain[1])) + \
                ((tuple(otr_clients),) if otr_clients else ()):
            h.befriend(x, y)
        if not h.wait_feature(a, b.full_jid, h.FEATURE_116) or \
                not h.wait_feature(b, a.full_jid, h.FEATURE_116):
            pairs["ours"].fail("the clients never saw each other's XEP-0116 feature")

        if not pairs["ours"].failed:
            try:
                took = make_identity_keys(ours)
                if took is not None:
                    print("ours: identity keys made by the plugin beforehand in %.2f s" % took)
            except (Failed, TimeoutError, RuntimeError) as exc:
                pairs["ours"].fail(str(exc))
        # the plugin's key pool fills in idle time after it loads, as it
        # does while a user looks at the roster; then time to private,
        # interleaved: one cold start, TTP_RUNS timed ones; the last session
        # stays for the bursts
        time.sleep(1.0)
        for r in range(TTP_RUNS + 1):
            for name, start in (("ours", start_ours), ("pidgin-otr", start_otr)):
                p = pairs[name]
                if p.failed:
                    continue
                try:
                    start(p)
                    if r < TTP_RUNS:
                        end_session(p)
                except (Failed, TimeoutError, RuntimeError) as exc:
                    p.fail("time to private: %s" % exc)
        for name in ("ours", "pidgin-otr"):
            if pairs[name].ttp:
                pairs[name].ttp_cold = pairs[name].ttp.pop(0)
                pairs[name].ttp_cpu_cold = pairs[name].ttp_cpu.pop(0)
        print("first session after sign-in (not in the medians): " + ", ".join(
            "%s %.1f ms (CPU %.1f ms)" % (m, pairs[m].ttp_cold, pairs[m].ttp_cpu_cold)
            for m in ("ours", "pidgin-otr") if pairs[m].ttp_cold is not None))
        for name, check in (("ours", ours_private), ("pidgin-otr", otr_private)):
            p = pairs[name]
            if not p.failed:
                try:
                    check(p)
                except (Failed, TimeoutError, RuntimeError) as exc:
                    p.fail(str(exc))

        # warm-up; it also gives each pair's stanza size on the wire
        for name in ("ours", "pidgin-otr", "plaintext"):
            p = pairs[name]
            if not p.failed:
                try:
                    p.burst("warm%s" % name[:4], WARMUP, record=False)
                except (Failed, TimeoutError, RuntimeError) as exc:
                    p.fail("warm-up: %s" % exc)
        pad = pairs["padded"]
        if pairs["ours"].wire_bytes and pairs["plaintext"].wire_bytes:
            pad.length = LEN + int(round(pairs["ours"].wire_bytes -
                                         pairs["plaintext"].wire_bytes))
            if pad.length < LEN:
                pad.length = LEN
            try:
                pad.burst("warmpad", WARMUP, record=False)
            except (Failed, TimeoutError, RuntimeError) as exc:
                pad.fail("warm-up: %s" % exc)
        else:
            pad.fail("no stanza size from ours and plaintext")
        print("message stanza on the wire (mean bytes, elements, xmlns declarations sent): "
              + ", ".join("%s %s" % (m, "%.0f B %.0f/%.0f" % ((pairs[m].wire_bytes,) +
                                                             pairs[m].wire_shape)
                                    if pairs[m].wire_bytes else "-")
                          for m in MODES) + "; padded body %d B" % pad.length)
        print("(Prosody's cost per stanza grows with its elements and namespaces more than "
              "with its bytes: make bench-stanza)")

        # the bursts, interleaved in a rotating order
        for r in range(RUNS):
            order = MODES[r % len(MODES):] + MODES[:r % len(MODES)]
            for name in order:
                p = pairs[name]
                if p.failed:
                    continue
                try:
                    p.burst("r%d%s" % (r, name[:4]), N)
                    p.conversation("c%d%s" % (r, name[:4]), N_CONV)
                except (Failed, TimeoutError, RuntimeError) as exc:
                    p.fail(str(exc))
        # still private after the bursts
        for name, check in (("ours", ours_private), ("pidgin-otr", otr_private)):
            p = pairs[name]
            if not p.failed:
                try:
                    check(p)
                except (Failed, TimeoutError, RuntimeError) as exc:
                    p.fail("after the bursts: %s" % exc)

        print_table(pairs)
        print("wire, last burst (message stanzas sent / received; kind; with the "
              "plaintext):")
        for m in MODES:
            p = pairs[m]
            if p.wire_last is None or p.failed:
                continue
            sent, done = p.wire_last
            kinds = [("XEP-0200 <c/>", 3), ("?OTR: body", 4), ("plain body", 5)]
            kind = ", ".join("%s %s/%s" % (k, sent[i], done[i]) for k, i in kinds
                             if sent[i] != "0" or done[i] != "0")
            print("  %-11s %s/%s; %s; %s" % (m, sent[2], done[2], kind, sent[6]))
        busy = ["%s %.0f%%" % (m, 100 * max(pairs[m].background)) for m in MODES
                if pairs[m].background and max(pairs[m].background) > 0.02]
        if busy:
            print("note: CPU outside the clients' main threads during a burst (in the "
                  "figures; a background job?): " + ", ".join(busy))
        good = [m for m in MODES if not pairs[m].failed]
        print("verified for %s: every message arrived once and as sent%s"
              % (", ".join(good) or "none",
                 "; %s encrypted on the wire (XEP-0200 <c/> / ?OTR: bodies), no plaintext "
                 "there, still private at the end" % " and ".join(
                     m for m in ("ours", "pidgin-otr") if m in good)
                 if "ours" in good or "pidgin-otr" in good else ""))
        print("total %.0f s" % (time.monotonic() - t_start))
        return 1 if any(p.failed for p in pairs.values()) else 0
    finally:
        h.stop_all()


def end_session(p):
    a, b = p.s, p.r
    if p.name == "ours":
        mb = b.mark()
        a.cmd("cmd %s esession end" % b.jid)
        b.wait_for(lambda e: e[0] == "state" and e[2] == "4", 15, since=mb, what="ours ended")
        b.cmd("cmd %s esession end" % a.jid)
    else:
        mb = b.mark()
        a.cmd("cmd %s otr-end" % b.jid)
        b.wait_for(lambda e: e[0] == "otr" and e[1] == "finished", 15, since=mb,
                   what="OTR finished")
        b.cmd("cmd %s otr-end" % a.jid)
    b.sync()
    a.sync()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Offline (XEP-0187) message benchmark: prints figures, never a verdict on
time.  `make bench-offline` runs it; it is not part of `make check` or
tests/run-all.

Each run on a fresh private Prosody (with PEP, as tests/e2e/run-e2e.py's
group_offline): alice (policy: require encryption) and bob (opportunistic)
sign on, befriend, alice fetches bob's identity key; bob signs off (his
client publishes offline options); alice sends one message.  Measured:

  send     alice's send command until her client reports the sealed stanza
           handed to the server (the "will be delivered privately" notice the
           plugin writes right after sending it): fetching bob's options,
           checking them, sealing
  return   bob's sign-on command until the message is shown decrypted
           (includes the login)
  total    the sum

Times are taken in this script (monotonic clock) when the command is written
to the client and when the client's event is read; the clients' events
arrive on a pipe, so that adds well under a millisecond.

A run counts only when verified: the server's offline store held the sealed
stanza and no file of the server (tap, log, store) held the plaintext, and
bob was shown exactly the plaintext alice sent.  Otherwise FAILED is printed
instead of figures.  ESESS_BENCH_RUNS (default 5) sets the number of runs.
"""
import os
import random
import statistics
import string
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import esess_harness as h  # noqa: E402

RUNS = int(os.environ.get("ESESS_BENCH_RUNS", "5"))
NS_INIT = "xep-0116.html#ns-init"
NOTICE = "will be delivered privately"


class Failed(Exception):
    pass


def system_msg(text):
    return lambda e: e[0] == "msg" and "system" in e[1].split(",") and text in e[4]


def debug_line(c, text, timeout=20.0):
    """True once c's debug log has a line with text."""
    log = os.path.join(c.dir, "debug.log")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(log, errors="replace") as f:
                if any(text in line for line in f):
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return False


def one_run(i):
    """One verified run on a fresh Prosody: (send s, return s)."""
    s = h.Prosody(pep=True).start()
    clients = []
    try:
        a = h.Client(s, "alice")
        b = h.Client(s, "bob")
        clients = [a, b]
        a.signed_on(timeout=30)
        b.signed_on(timeout=30)
        a.cmd("account-set esessions-policy required")
        b.cmd("account-set esessions-policy opportunistic")
        h.befriend(a, b)
        if not h.wait_feature(a, b.full_jid, h.FEATURE_116) or \
                not h.wait_feature(b, a.full_jid, h.FEATURE_116):
            raise Failed("the clients never saw each other's XEP-0116 feature")
        # alice holds bob's key (from his PEP node), as group_offline
        m = a.mark()
        a.cmd("cmd %s esession key" % b.jid)
        a.wait_for(lambda e: system_msg(b.jid)(e) and "Identity key of" in e[4], 30,
                   since=m, what="bob's identity key")
        m = a.mark()
        b.cmd("signoff")
        a.wait_event("buddy-signed-off", b.jid, since=m, timeout=20)
        if not debug_line(b, "offline: options sent for publication"):
            raise Failed("bob published no offline options")
        text = "bench-offline-%d-%s" % (i, "".join(random.choice(string.ascii_lowercase)
                                                    for _ in range(16)))

        m = a.mark()
        t0 = time.monotonic()
        a.cmd("send %s %s" % (b.jid, text))
        a.wait_for(system_msg(NOTICE), 30, since=m, what="the offline notice")
        t_send = time.monotonic() - t0

        # the sealed stanza is in the server's offline store, the plaintext
        # nowhere on the server
        deadline = time.monotonic() + 10
        stored = []
        while not stored and time.monotonic() < deadline:
            stored = [p for p in s.saw(NS_INIT) if p.startswith(s.data)]
            time.sleep(0.05)
        if not stored:
            raise Failed("the sealed stanza is not in the server's offline store")
        if s.saw(text):
            raise Failed("the server holds the plaintext in %d file(s)" % len(s.saw(text)))

        m = b.mark()
        t0 = time.monotonic()
        b.cmd("signon")
        ev = b.wait_for(lambda e: e[0] == "msg" and "recv" in e[1].split(",") and
                        text in e[4], 60, since=m, what="the offline message")
        t_ret = time.monotonic() - t0
        if ev[4].strip() != text:
            raise Failed("bob was shown %r, not what alice sent" % ev[4][:200])
        if s.saw(text):
            raise Failed("the server holds the plaintext after delivery")
        return t_send, t_ret
    finally:
        for c in clients:
            c.stop()
        s.stop()


def fmt(xs):
    return "%.1f [%.1f-%.1f]" % (statistics.median(xs), min(xs), max(xs))


def main():
    t_start = time.monotonic()
    print("make bench-offline: %d runs, each on a fresh Prosody (PEP, offline store); "
          "one XEP-0187 message alice -> bob while he is offline" % RUNS)
    sends, rets, tots = [], [], []
    failed = None
    try:
        for i in range(RUNS):
            try:
                ts, tr = one_run(i)
            except (Failed, TimeoutError, RuntimeError) as exc:
                failed = "run %d: %s" % (i + 1, exc)
                break
            sends.append(ts * 1000.0)
            rets.append(tr * 1000.0)
            tots.append((ts + tr) * 1000.0)
            print("  run %d: send %.1f ms, return %.1f ms" % (i + 1, ts * 1000.0,
                                                               tr * 1000.0), flush=True)
    finally:
        h.stop_all()
    rows = (("send: command to sealed stanza sent, ms", sends),
            ("return: sign-on to message shown, ms", rets),
            ("total, ms", tots))
    print()
    print("%-42s%s" % ("median [min-max]", "offline message"))
    for label, xs in rows:
        print("%-42s%s" % (label, "FAILED" if failed or not xs else fmt(xs)))
    if failed:
        print("FAILED: %s" % failed)
        return 1
    print("verified each run: the server's offline store held the sealed stanza, no "
          "server file held the plaintext, bob was shown it decrypted")
    print("total %.0f s" % (time.monotonic() - t_start))
    return 0


if __name__ == "__main__":
    sys.exit(main())

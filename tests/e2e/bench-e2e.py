#!/usr/bin/python3
"""End-to-end benchmark (prints figures; not a test).  Through one private
Prosody on 127.0.0.1, with headless libpurple clients:

  * messages per second alice -> bob, plaintext vs encrypted (and the ratio)
  * the same with pidgin-otr (Debian package pidgin-otr) loaded into the same
    clients, when it can be loaded there
  * time from "/esession start" to both sides private (group 15; the plugin's
    key pool has prepared the DH key pairs, as it does in real use)

Medians of several runs.  `make bench-e2e` runs it.  ESESS_BENCH_N and
ESESS_BENCH_RUNS override the message count and the number of runs.
"""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import esess_harness as h  # noqa: E402

N = int(os.environ.get("ESESS_BENCH_N", "200"))
RUNS = int(os.environ.get("ESESS_BENCH_RUNS", "5"))


def burst(a, b, tag):
    """Seconds from the first send to the last message received."""
    mb = b.mark()
    last = "%s-%d-end" % (tag, N - 1)
    t0 = time.monotonic()
    for i in range(N):
        a.cmd("send %s %s-%d-end message body of moderate length for the benchmark"
              % (b.jid, tag, i))
    b.wait_for(lambda e: e[0] == "msg" and "recv" in e[1] and last in e[4], timeout=120,
               since=mb, what="last message")
    return time.monotonic() - t0


def rate(a, b, name):
    times = [burst(a, b, "%s%d" % (name, r)) for r in range(RUNS)]
    return N / statistics.median(times)


def state(c, peer, states, since, timeout=60):
    return c.wait_for(lambda e: e[0] == "state" and e[1].split("/")[0] == peer and e[2] in states,
                      timeout, since=since)


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


def main():
    server = h.Prosody().start()
    try:
        a = h.Client(server, "alice")
        b = h.Client(server, "bob")
        a.signed_on()
        b.signed_on()
        for c in (a, b):
            c.cmd("account-set esessions-policy on-request")
            # logging "may": no XEP-0334 hints, so the server archives the
            # encrypted messages as it does the plaintext ones (fair ratio)
            c.cmd("account-set esessions-logging forbid")
            c.cmd("answer Accept")
            c.cmd("answer Later")
        h.befriend(a, b)
        h.wait_feature(a, b.full_jid, h.FEATURE_116)
        h.wait_feature(b, a.full_jid, h.FEATURE_116)

        plain = rate(a, b, "plain")
        print("plaintext:  %8.1f messages/s (median of %d runs of %d)" % (plain, RUNS, N))

        neg = []
        for r in range(RUNS):
            ma, mb = a.mark(), b.mark()
            t0 = time.monotonic()
            a.cmd("cmd %s esession start" % b.jid)
            state(a, b.jid, ("2", "3"), ma)
            state(b, a.jid, ("2", "3"), mb)
            neg.append(time.monotonic() - t0)
            if r < RUNS - 1:
                ma, mb = a.mark(), b.mark()
                a.cmd("cmd %s esession end" % b.jid)
                state(b, a.jid, ("4",), mb)
                b.cmd("cmd %s esession end" % a.jid)
                b.sync()
                a.sync()
        details = a.mark()
        a.cmd("ipc get-details %s" % b.jid)
        ev = a.wait_event("ipc", "get-details", since=details)
        group = [line for line in ev[3].splitlines() if "group" in line.lower()]
        print("negotiation: %7.1f ms from /esession start to both private (median of %d; %s)"
              % (1000 * statistics.median(neg), RUNS, group[0] if group else "group ?"))

        enc = rate(a, b, "enc")
        print("encrypted:  %8.1f messages/s (median of %d runs of %d)" % (enc, RUNS, N))
        print("ratio encrypted/plaintext: %.2f" % (enc / plain))
        a.stop()
        b.stop()

        otr = pidgin_otr_path()
        if otr is None:
            print("pidgin-otr: not installed (dpkg -L pidgin-otr found no plugin)")
            return 0
        oa = h.Client(server, "alice", resource="otr", plugins=[otr], ui_id="gtk-gaim")
        time.sleep(2)
        failed = oa.find(lambda e: e[0] == "load-failed")
        alive = oa.proc.poll() is None
        if failed or not alive:
            why = oa.find(lambda e: e[0] == "debug" and e[2] == "plugins" and otr in e[3])
            reason = why[0][3].split(": ", 1)[-1] if why else \
                ("the client died on load" if not alive else "unknown")
            print("pidgin-otr: %s cannot run in a headless libpurple client (%s): it is a "
                  "Pidgin (GTK) plugin; see tests/bench for libotr measured directly"
                  % (otr, reason))
        else:
            print("pidgin-otr: loaded into the headless client (%s)" % otr)
        oa.kill()
        return 0
    finally:
        h.stop_all()


if __name__ == "__main__":
    sys.exit(main())

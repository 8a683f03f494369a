#!/usr/bin/python3
"""Client cost per message counted in instructions (issue 11 item 2): prints
figures, never a verdict.  `make bench-e2e-count` runs it; it is not part of
`make check` or tests/run-all.

`make bench-e2e` reads the clients' CPU time, which on a shared machine
spreads so widely (a single run's ratio to pidgin-otr anywhere in 0.6-1.6)
that "at most 1.0x pidgin-otr's" cannot be told from one run.  This runs the
same four pairs, set up the same way (bench-e2e.py's code: the same Prosody,
policies, pidgin-otr with its stub, keys made beforehand, verified bursts),
with every client under valgrind's callgrind, instrumentation off except
around each burst, and prints the instructions each client ran per message,
sender and receiver, medians with [min-max], and the ratios of the medians
with [min-max] of the per-run ratios.  The counts mostly repeat from run to
run within about 1%; now and then a client does more in one burst (pidgin-otr
above all), which the medians leave out.  valgrind's CPU has no AES-NI or
SHA-NI, so both sides' crypto weighs more than on the hardware; the rest is
as run.

Before and after the bursts each client is counted for a second of idling:
a background job (the key pool refilling) would show there and in the
bursts.

ESESS_BENCH_N (messages per burst, default 300), ESESS_BENCH_RUNS (default 4),
ESESS_BENCH_LEN (body bytes, default 100) override the defaults.
"""
import glob
import importlib.util
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import esess_harness as h  # noqa: E402

N = int(os.environ.get("ESESS_BENCH_N", "300"))
RUNS = int(os.environ.get("ESESS_BENCH_RUNS", "4"))
LEN = int(os.environ.get("ESESS_BENCH_LEN", "100"))
WARMUP = 50
MODES = ("ours", "pidgin-otr", "plaintext", "padded")

_spec = importlib.util.spec_from_file_location("bench_e2e", os.path.join(HERE, "bench-e2e.py"))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


class Counter:
    """callgrind_control on one client: zero and switch on before, dump
    and switch off after; the dump's total."""

    def __init__(self, outdir, client):
        self.outdir = outdir
        self.c = client
        self.pid = client.proc.pid

    def _ctl(self, *args):
        subprocess.run(["callgrind_control"] + list(args) + [str(self.pid)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       timeout=120)

    def start(self):
        self._ctl("--zero")
        self._ctl("--instr=on")

    def stop(self):
        before = set(self._dumps())
        self._ctl("--dump")
        self._ctl("--instr=off")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for path in sorted(set(self._dumps()) - before):
                total = self._total(path)
                if total is not None:
                    return total
            time.sleep(0.1)
        raise bench.Failed("%s: callgrind wrote no dump" % self.c.user)

    def _dumps(self):
        return glob.glob(os.path.join(self.outdir, "callgrind.%d.*" % self.pid))

    @staticmethod
    def _total(path):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("totals:") or line.startswith("summary:"):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return None


def setup(server):
    """The four pairs of bench-e2e, private and warmed up."""
    ours = [h.Client(server, u, resource="bench", debug_log=False) for u in ("alice", "bob")]
    plain = [h.Client(server, u, resource="bench", plugins=[], debug_log=False)
             for u in ("erin", "frank")]
    otr, why = bench.setup_otr(server)
    if not otr:
        raise bench.Failed("pidgin-otr: %s" % why)
    for c in ours + plain + otr:
        c.signed_on(timeout=120)
    pairs = {"ours": bench.Pair("ours", ours[0], ours[1], LEN),
             "pidgin-otr": bench.Pair("pidgin-otr", otr[0], otr[1], LEN),
             "plaintext": bench.Pair("plaintext", plain[0], plain[1], LEN),
             "padded": bench.Pair("padded", plain[0], plain[1], LEN)}
    a, b = ours
    a.cmd("account-set esessions-policy on-request")
    b.cmd("account-set esessions-policy opportunistic")
    for c in ours:
        c.cmd("answer Accept")
    for x, y in ((ours[0], ours[1]), (plain[0], plain[1]), tuple(otr)):
        h.befriend(x, y, timeout=120)
    if not h.wait_feature(a, b.full_jid, h.FEATURE_116, timeout=120) or \
            not h.wait_feature(b, a.full_jid, h.FEATURE_116, timeout=120):
        raise bench.Failed("the clients never saw each other's XEP-0116 feature")
    bench.make_identity_keys(ours, timeout=300)
    time.sleep(2.0)
    bench.start_ours(pairs["ours"])
    bench.start_otr(pairs["pidgin-otr"])
    bench.ours_private(pairs["ours"])
    bench.otr_private(pairs["pidgin-otr"])
    for name in ("ours", "pidgin-otr", "plaintext"):
        pairs[name].burst("warm%s" % name[:4], WARMUP, record=False)
    pad = pairs["padded"]
    pad.length = max(LEN, LEN + int(round(pairs["ours"].wire_bytes -
                                          pairs["plaintext"].wire_bytes)))
    pad.burst("warmpad", WARMUP, record=False)
    return pairs, ours + plain + otr


def main():
    t_start = time.monotonic()
    server = bench.SERVER = h.Prosody(users=("alice", "bob", "carol", "dave", "erin", "frank"),
                                      lean=True).start()
    outdir = os.path.join(server.dir, "callgrind")
    os.makedirs(outdir)
    h.WRAPPER = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                 "--callgrind-out-file=" + os.path.join(outdir, "callgrind.%p")]
    try:
        print("make bench-e2e-count: instructions per message (valgrind callgrind), %d "
              "messages of %d B per burst, %d runs, clients and Prosody as make bench-e2e's"
              % (N, LEN, RUNS))
        pairs, clients = setup(server)
        counters = {c.user: Counter(outdir, c) for c in clients}

        def idle(when):
            for c in counters.values():
                c.start()
            time.sleep(1.0)
            got = {u: c.stop() for u, c in counters.items()}
            print("idle for a second %s, instructions: " % when + ", ".join(
                "%s %d" % (u, got[u]) for u in sorted(got)))
        time.sleep(2.0)
        idle("before the bursts")
        snd = {m: [] for m in MODES}
        took = []
        rcv = {m: [] for m in MODES}
        for r in range(RUNS):
            order = MODES[r % len(MODES):] + MODES[:r % len(MODES)]
            for m in order:
                p = pairs[m]
                cs, cr = counters[p.s.user], counters[p.r.user]
                cs.start()
                cr.start()
                t0 = time.monotonic()
                p.burst("n%d%s" % (r, m[:4]), N, record=False)
                took.append(time.monotonic() - t0)
                snd[m].append(cs.stop() / float(N))
                rcv[m].append(cr.stop() / float(N))
        idle("after them")
        print("a burst took %.1f-%.1f s under callgrind" % (min(took), max(took)))
        print()
        w0, w = 30, 26
        med = bench.med
        print("%-*s" % (w0, "median [min-max]") + "".join("%-*s" % (w, m) for m in MODES))
        for label, vals in (("sender, instructions/msg", snd), ("receiver, instructions/msg", rcv)):
            print("%-*s" % (w0, label) + "".join(
                "%-*s" % (w, "%.0f [%.0f-%.0f]" % (med(vals[m]), min(vals[m]), max(vals[m])))
                for m in MODES))
        print()
        others = ("pidgin-otr", "plaintext", "padded")
        print("%-*s" % (w0, "ratio ours/...") + "".join("%-*s" % (w, o) for o in others))
        for label, vals in (("sender", snd), ("receiver", rcv)):
            line = "%-*s" % (w0, label)
            for o in others:
                per = [x / y for x, y in zip(vals["ours"], vals[o])]
                line += "%-*s" % (w, "%.3f [%.3f-%.3f]" % (med(vals["ours"]) / med(vals[o]),
                                                           min(per), max(per)))
            print(line)
        print("(below 1 means ours costs less; every burst verified as in make bench-e2e: "
              "all arrived as sent, ours and pidgin-otr encrypted on the wire)")
        print("total %.0f s" % (time.monotonic() - t_start))
        return 0
    except (bench.Failed, TimeoutError, RuntimeError, subprocess.SubprocessError) as exc:
        print("FAILED: %s" % exc)
        return 1
    finally:
        h.stop_all()


if __name__ == "__main__":
    sys.exit(main())

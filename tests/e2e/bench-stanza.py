#!/usr/bin/python3
"""What one message stanza costs the server, by shape (issue 11 item 2):
prints figures, never a verdict.  `make bench-stanza` runs it; it is not part
of `make check` or tests/run-all.

`make bench-e2e` shows that the messages per second through Prosody follow
the server's CPU per message, and that our stanza costs Prosody more than
pidgin-otr's although it is barely longer.  This benchmark tells size from
structure.  Raw XMPP clients (this script, over TLS, no libpurple) send
crafted stanzas through one private Prosody, configured as bench-e2e's (lean:
no archive, no offline store, log level warn; the modules it loaded are
printed), one TLS record per stanza as libpurple writes them, and read them on
the other side.  Per shape: Prosody's CPU per stanza (/proc, medians of
interleaved runs with [min-max]) and, from a second Prosody that counts its
Lua VM instructions (tests/e2e/mod_esess_vmcount.lua), the instructions per
stanza, a figure a busy machine does not move.

Shapes, with a body of ESESS_BENCH_LEN bytes (default 100), as the clients of
bench-e2e send them:
  plaintext   libpurple's: <active/> chat state and <body>
  padded      the same, the body padded to ours' length
  pidgin-otr  <active/> and a <body> with the OTR data message (base64)
  ours        INTEROP R14 with logging mustnot, as esess_cparts_seal builds
              it: placeholder <body>, <thread>, the two XEP-0334 hints, <c/>
              with <data/> (the encrypted chat state and body, padded to 16
              bytes, base64) and <mac/>
  ours, no placeholder / ours, logging may (no hints) / XEP-0200 least
              what the server would save if those parts went (R14 allows
              both: the placeholder is optional, the hints are for mustnot;
              the least is <thread/> and <c/> with <data/> and <mac/>)
  padded +2 / +4 elements, padded +2 / +4 namespaced elements
              empty elements added to the padded shape, to price one
              element and one namespace declaration

ESESS_BENCH_N (stanzas per burst, default 3000), ESESS_BENCH_RUNS (default 5),
ESESS_BENCH_LEN override the defaults.
"""
import base64
import os
import re
import socket
import ssl
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import esess_harness as h  # noqa: E402

N = int(os.environ.get("ESESS_BENCH_N", "3000"))
RUNS = int(os.environ.get("ESESS_BENCH_RUNS", "5"))
LEN = int(os.environ.get("ESESS_BENCH_LEN", "100"))
N_COUNT = max(200, N // 3)      # the counting server is several times slower
NS_COUNT = "urn:xmpp:esessions:bench:vmcount"
END = b"</message>"


class Raw:
    """One c2s connection: STARTTLS, SASL PLAIN, resource bound, available."""

    def __init__(self, server, user, resource="raw"):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self._open(s)
        self._until(s, b"</stream:features>")
        s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        self._until(s, b"<proceed")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE     # the run's own self-signed certificate
        s = ctx.wrap_socket(s, server_hostname=h.HOST)
        self._open(s)
        self._until(s, b"</stream:features>")
        cred = base64.b64encode(("\0%s\0%s" % (user, h.PASSWORD)).encode()).decode()
        s.sendall(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s"
                   "</auth>" % cred).encode())
        self._until(s, b"<success")
        self._open(s)
        self._until(s, b"</stream:features>")
        s.sendall(("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                   "<resource>%s</resource></bind></iq>" % resource).encode())
        self._until(s, b"</iq>")
        s.sendall(b"<presence/>")
        self.sock = s
        self.jid = "%s@%s/%s" % (user, h.HOST, resource)

    @staticmethod
    def _open(s):
        s.sendall(("<?xml version='1.0'?><stream:stream to='%s' version='1.0' "
                   "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                   % h.HOST).encode())

    @staticmethod
    def _until(s, needle):
        buf = b""
        while needle not in buf:
            d = s.recv(65536)
            if not d:
                raise RuntimeError("the server closed the stream: %r" % buf[-200:])
            buf += d
        return buf

    def drain(self, quiet=0.3):
        self.sock.settimeout(quiet)
        try:
            while self.sock.recv(65536):
                pass
        except (socket.timeout, ssl.SSLError):
            pass
        self.sock.settimeout(30)

    def vmcount(self):
        self.sock.sendall(("<iq type='get' id='vm' to='%s'><count xmlns='%s'/></iq>"
                           % (h.HOST, NS_COUNT)).encode())
        buf = self._until(self.sock, b"</iq>")
        m = re.search(rb"<count[^>]*>(\d+)</count>", buf)
        if not m:
            raise RuntimeError("no instruction count: %r" % buf[-200:])
        return int(m.group(1))


def b64(n):
    return base64.b64encode(os.urandom(n)).decode()


def shapes(to, length):
    """{name: stanza text}, in the order printed."""
    text = ("x" * length)
    active = "<active xmlns='http://jabber.org/protocol/chatstates'/>"
    head = "<message type='chat' id='purple5d1e0f2a' to='%s'>" % to
    # R14: the encrypted payload is the children's serialisation padded
    # with spaces to 16 bytes
    payload = len(active) + len("<body></body>") + length
    payload += -payload % 16
    placeholder = ("[This message is encrypted. Your client cannot show it: it needs "
                   "XEP-0116 encrypted sessions.]")
    hints = "<no-permanent-store xmlns='urn:xmpp:hints'/><no-copy xmlns='urn:xmpp:hints'/>"
    c = ("<c xmlns='http://www.xmpp.org/extensions/xep-0200.html#ns'><data>%s</data>"
         "<mac>%s</mac></c>" % (b64(payload), b64(32)))
    thread = "<thread>%s</thread>" % "vnIDhljkhvYvYAgejGRG"
    # esess_cparts_seal's order: to, type, id; body, thread, hints, c
    ours_head = "<message to='%s' type='chat' id='purple5d1e0f2a'>" % to
    ours = ours_head + "<body>%s</body>%s%s%s</message>" % (placeholder, thread, hints, c)
    # libotr's data message: about 253 bytes around the text, base64
    otr = head + active + "<body>?OTR:%s.</body></message>" % b64(253 + length)
    plain = head + active + "<body>%s</body></message>" % text

    def padded(extra=""):
        s = head + active + extra + "<body></body></message>"
        return s.replace("<body></body>", "<body>%s</body>" % ("x" * max(length, len(ours) -
                                                                           len(s))))
    out = [("plaintext", plain), ("padded", padded()), ("pidgin-otr", otr), ("ours", ours),
           ("ours, no placeholder", ours_head + "%s%s%s</message>" % (thread, hints, c)),
           ("ours, logging may", ours_head + "<body>%s</body>%s%s</message>"
            % (placeholder, thread, c)),
           ("XEP-0200 least", ours_head + "%s%s</message>" % (thread, c)),
           ("padded +2 elements", padded("<e1/><e2/>")),
           ("padded +4 elements", padded("<e1/><e2/><e3/><e4/>")),
           ("padded +2 namespaced", padded("<e1 xmlns='urn:e:1'/><e2 xmlns='urn:e:2'/>")),
           ("padded +4 namespaced", padded("<e1 xmlns='urn:e:1'/><e2 xmlns='urn:e:2'/>"
                                           "<e3 xmlns='urn:e:3'/><e4 xmlns='urn:e:4'/>"))]
    return out


def structure(stanza):
    """(elements, namespace declarations) of a stanza text."""
    return (len(re.findall(r"<[A-Za-z]", stanza)), len(re.findall(r" xmlns(?::\w+)?=", stanza)))


def burst(server, snd, rcv, stanza, n, counter=None):
    """Sends stanza n times, one TLS record each, until all arrived: the
    server's CPU per stanza in µs and, with a counter, the Lua VM
    instructions per stanza."""
    got = [0, b""]
    failed = []

    def read():
        tail = b""
        try:
            while got[0] < n:
                d = rcv.sock.recv(1 << 20)
                if not d:
                    failed.append("the receiver's stream closed")
                    return
                buf = tail + d
                if b"stream:error" in buf:
                    failed.append("stream error: %r" % buf[-300:])
                    return
                got[0] += buf.count(END)
                tail = buf[-(len(END) - 1):]
                got[1] = buf[-2000:]
        except OSError as exc:
            failed.append(str(exc))
    t = threading.Thread(target=read, daemon=True)
    v0 = counter.vmcount() if counter else None
    c0 = server.cpu_seconds()
    t.start()
    data = stanza.encode()
    for _ in range(n):
        snd.sock.sendall(data)
    t.join(60 + n / 100.0)
    c1 = server.cpu_seconds()
    v1 = counter.vmcount() if counter else None
    if failed or got[0] != n:
        raise RuntimeError("%d of %d stanzas arrived %s" % (got[0], n, failed[:1]))
    cpu = (c1 - c0) * 1e6 / n if c0 is not None and c1 is not None else None
    return cpu, ((v1 - v0) / n if counter else None)


class CountingProsody(h.Prosody):
    def modules(self):
        return super().modules() + ["esess_vmcount"]


def setup(server):
    a = Raw(server, "alice")
    b = Raw(server, "bob")
    time.sleep(0.2)
    b.drain()
    return a, b


def med(xs):
    return statistics.median(xs)


def main():
    t_start = time.monotonic()
    server = h.Prosody(users=("alice", "bob", "carol"), lean=True).start()
    counting = CountingProsody(users=("alice", "bob", "carol"), lean=True).start()
    try:
        mods = server.loaded_modules()
        print("make bench-stanza: %d stanzas per burst (%d on the counting server), %d runs, "
              "body %d B, one TLS record per stanza" % (N, N_COUNT, RUNS, LEN))
        print("Prosody %s on 127.0.0.1, TLS, log level %s (as Prosody read it: %s); lean "
              "config as make bench-e2e's" % (h_version(), server.log_level,
                                               server.log_levels() or "unknown"))
        for host in sorted(mods):
            print("  modules loaded on %s: %s" % (host, " ".join(mods[host])))
        a, b = setup(server)
        ca, cb = setup(counting)
        counter = Raw(counting, "carol", resource="count")
        shape_list = shapes(b.jid, LEN)
        cshapes = dict(shapes(cb.jid, LEN))
        cpu = {name: [] for name, _ in shape_list}
        instr = {}
        for name, stanza in shape_list:     # warm-up
            burst(server, a, b, stanza, 200)
        for name, _ in shape_list:
            burst(counting, ca, cb, cshapes[name], 100, counter)
            instr[name] = burst(counting, ca, cb, cshapes[name], N_COUNT, counter)[1]
        for r in range(RUNS):
            k = r % len(shape_list)
            for name, stanza in shape_list[k:] + shape_list[:k]:
                cpu[name].append(burst(server, a, b, stanza, N)[0])
        base = "pidgin-otr"
        print()
        print("%-24s %5s %5s %6s  %-24s %-12s %-12s %s" % (
            "shape", "elems", "xmlns", "bytes", "Prosody CPU/stanza, us", "ratio",
            "Lua VM", "ratio"))
        print("%-24s %5s %5s %6s  %-24s %-12s %-12s %s" % (
            "", "", "", "", "median [min-max]", "to " + base, "instr/stanza", "to " + base))
        for name, stanza in shape_list:
            el, ns = structure(stanza)
            xs = cpu[name]
            print("%-24s %5d %5d %6d  %-24s %-12s %-12.0f %.2f" % (
                name, el, ns, len(stanza.encode()),
                "%.0f [%.0f-%.0f]" % (med(xs), min(xs), max(xs)),
                "%.2f" % (med(xs) / med(cpu[base])), instr[name], instr[name] / instr[base]))
        pad = instr["padded"]
        el2 = (instr["padded +4 elements"] - pad) / 4.0
        ns2 = (instr["padded +4 namespaced"] - pad) / 4.0
        cpu_el = (med(cpu["padded +4 elements"]) - med(cpu["padded"])) / 4.0
        cpu_ns = (med(cpu["padded +4 namespaced"]) - med(cpu["padded"])) / 4.0
        print()
        print("one more empty element: %.0f Lua VM instructions (%.1f us); with its own "
              "xmlns: %.0f (%.1f us)" % (el2, cpu_el, ns2, cpu_ns))
        print("(Prosody's parser and serialiser work per element and per namespace; "
              "bytes cost little: compare plaintext, padded and pidgin-otr)")
        print("total %.0f s" % (time.monotonic() - t_start))
        return 0
    finally:
        h.stop_all()


def h_version():
    import subprocess
    try:
        return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "prosody"],
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "?"


if __name__ == "__main__":
    sys.exit(main())

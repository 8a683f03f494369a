#!/usr/bin/env python3
"""check-cli.py - the esession tool (issue 14 item 3): two processes, one
started with --initiate, each given one end of a socketpair; this test sits
between them and relays every frame, as a server would.

It checks that both sides show the same SAS, that messages arrive decrypted
both ways and never cross the channel in clear, that --group is honoured,
that terminating ends both sides, and that a byte changed on the channel
(the relay flips one in the <data/> of an encrypted message) is refused:
the message is not shown and the session ends with ESESS_ERR_MAC.

Usage: check-cli.py PATH-TO-esession   (prints TAP)
"""
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

DEADLINE_S = 120  # per scenario; generous: the machine is shared

n_test = 0
failed = 0


def tap(ok, what, detail=None):
    global n_test, failed
    n_test += 1
    if not ok:
        failed += 1
    print("%sok %d - %s" % ("" if ok else "not ", n_test, what))
    if detail and not ok:
        for line in str(detail).splitlines()[-15:]:
            print("# " + line)
    sys.stdout.flush()


class Side:
    def __init__(self, name, exe, fd, args):
        self.name = name
        self.lines = []
        self.buf = b""
        self.proc = subprocess.Popen(
            [exe, "--fd", str(fd)] + args,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(fd,))
        os.close(fd)

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    def read_out(self):
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            return False
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            self.lines.append(line.decode(errors="replace"))
        return True

    def done(self):
        """Exited, and everything it wrote has been read."""
        return self.proc.stdout.closed and self.proc.poll() is not None

    def find(self, pattern):
        for line in self.lines:
            m = re.search(pattern, line)
            if m:
                return m
        return None


class Relay:
    """Both sides' channels and stdouts; frames pass through, optionally
    changed by tamper(frame_text, from_name) -> bytes or None."""

    def __init__(self, exe, alice_args, bob_args, tamper=None):
        a_mine, a_theirs = socket.socketpair()
        b_mine, b_theirs = socket.socketpair()
        self.chan = {"alice": a_mine, "bob": b_mine}
        self.inbuf = {"alice": b"", "bob": b""}
        self.frames = []  # (from, bytes) as they arrived
        self.tamper = tamper
        self.alice = Side("alice", exe, os.dup(a_theirs.fileno()),
                          ["--initiate"] + alice_args)
        self.bob = Side("bob", exe, os.dup(b_theirs.fileno()), bob_args)
        a_theirs.close()
        b_theirs.close()
        self.closed = set()

    def side(self, name):
        return self.alice if name == "alice" else self.bob

    def other(self, name):
        return "bob" if name == "alice" else "alice"

    def _frames(self, name):
        buf = self.inbuf[name]
        while b"\n" in buf:
            head, rest = buf.split(b"\n", 1)
            n = int(head)
            if len(rest) < n:
                break
            frame, buf = rest[:n], rest[n:]
            self.frames.append((name, frame))
            if self.tamper is not None:
                changed = self.tamper(frame, name)
                if changed is not None:
                    frame = changed
            out = str(len(frame)).encode() + b"\n" + frame
            try:
                self.chan[self.other(name)].sendall(out)
            except OSError:
                pass
        self.inbuf[name] = buf

    def pump(self, until, deadline):
        """Relays and reads output until until() is true or the deadline."""
        while not until():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            rd = []
            for name in ("alice", "bob"):
                if name not in self.closed:
                    rd.append(self.chan[name])
                s = self.side(name)
                if not s.proc.stdout.closed:
                    rd.append(s.proc.stdout)
            if not rd:
                # every stream is closed: what is left is the processes' exit
                for s in (self.alice, self.bob):
                    try:
                        s.proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
                    except subprocess.TimeoutExpired:
                        pass
                return until()
            ready, _, _ = select.select(rd, [], [], min(left, 1.0))
            for r in ready:
                for name in ("alice", "bob"):
                    s = self.side(name)
                    if r is self.chan[name]:
                        data = r.recv(65536)
                        if not data:
                            # pass the close on, as a server would end
                            # the other's stream
                            self.closed.add(name)
                            try:
                                self.chan[self.other(name)].shutdown(socket.SHUT_WR)
                            except OSError:
                                pass
                        else:
                            self.inbuf[name] += data
                            self._frames(name)
                    elif r is s.proc.stdout:
                        if not s.read_out():
                            s.proc.stdout.close()
        return True

    def exited(self):
        return self.alice.done() and self.bob.done()

    def finish(self):
        for s in (self.alice, self.bob):
            if s.proc.poll() is None:
                s.proc.kill()
            s.proc.wait()
        for c in self.chan.values():
            c.close()

    def transcript(self):
        return "\n".join(["alice: " + l for l in self.alice.lines] +
                         ["bob:   " + l for l in self.bob.lines])


SAS_RE = r"^\* established with \S+: SAS (\S+) \((committed|legacy sas28x5)\), group (\d+)"


def established(relay):
    return (relay.alice.find(SAS_RE) is not None and relay.bob.find(SAS_RE) is not None)


def scenario_session(exe):
    r = Relay(exe, [], [])
    deadline = time.monotonic() + DEADLINE_S
    try:
        r.pump(lambda: established(r), deadline)
        a, b = r.alice.find(SAS_RE), r.bob.find(SAS_RE)
        tap(a is not None and b is not None and a.group(1) == b.group(1) and
            a.group(3) == b.group(3) == "15" and a.group(2) == "committed",
            "both sides established, show the same SAS (%s), committed SAS, group 15 by default"
            % (a.group(1) if a else "?"), r.transcript())

        r.alice.send("hello bob, 1 < 2 & all that")
        r.bob.send("hi alice")
        r.pump(lambda: r.bob.find(r"^> hello bob") is not None and
               r.alice.find(r"^> hi alice") is not None, deadline)
        tap(r.bob.find(r"^> hello bob, 1 < 2 & all that$") is not None and
            r.alice.find(r"^> hi alice$") is not None,
            "messages arrive decrypted, both ways", r.transcript())
        clear = [f for _, f in r.frames if b"hello bob" in f or b"hi alice" in f]
        tap(len(r.frames) >= 6 and not clear,
            "no message crossed the channel in clear (%d frames)" % len(r.frames))

        # the end of Alice's input terminates; Bob acknowledges and exits
        r.alice.close_stdin()
        r.pump(r.exited, deadline)
        tap(r.exited() and r.alice.proc.returncode == 0 and r.bob.proc.returncode == 0 and
            r.alice.find(r"^\* ended by us") is not None and
            r.bob.find(r"^\* ended by the peer") is not None,
            "terminate ends both sides (exit %s, %s)" %
            (r.alice.proc.poll(), r.bob.proc.poll()), r.transcript())
    finally:
        r.finish()
    return r


def scenario_tamper(exe):
    state = {"armed": False, "done": False}

    def flip(frame, sender):
        # the first encrypted message from Alice after the session is up:
        # one base64 character of <data/> changed into another
        if sender != "alice" or not state["armed"] or state["done"]:
            return None
        m = re.search(rb"<data>([A-Za-z0-9+/=]+)</data>", frame)
        if m is None:
            return None
        i = m.start(1) + 5
        c = frame[i:i + 1]
        state["done"] = True
        return frame[:i] + (b"B" if c != b"B" else b"C") + frame[i + 1:]

    r = Relay(exe, ["--group", "14"], [], tamper=flip)
    deadline = time.monotonic() + DEADLINE_S
    try:
        r.pump(lambda: established(r), deadline)
        a, b = r.alice.find(SAS_RE), r.bob.find(SAS_RE)
        tap(a is not None and b is not None and a.group(1) == b.group(1) and
            a.group(3) == b.group(3) == "14",
            "--group 14: both sides agree on group 14 and the same SAS", r.transcript())
        state["armed"] = True
        r.alice.send("this must not be shown")
        r.pump(r.bob.done, deadline)
        tap(state["done"] and r.bob.find(r"this must not be shown") is None and
            r.bob.find(r"^\* ended: ESESS_ERR_MAC ") is not None and
            r.bob.proc.returncode not in (None, 0),
            "a byte changed on the channel is refused: nothing shown, ESESS_ERR_MAC, "
            "the session ends", r.transcript())
        r.alice.close_stdin()
        r.pump(r.exited, deadline)
        tap(r.exited(), "both processes exit after the refusal", r.transcript())
    finally:
        r.finish()
    return r


def scenario_store(exe, tmpdir):
    """Retained secrets kept in --store files: after the users confirmed the
    SAS once, the next session continues a verified chain (INTEROP R9)."""
    stores = [["--store", os.path.join(tmpdir, n)] for n in ("alice.store", "bob.store")]
    results = []
    for run in (1, 2):
        r = Relay(exe, stores[0], stores[1])
        deadline = time.monotonic() + DEADLINE_S
        try:
            r.pump(lambda: established(r), deadline)
            if run == 1:
                r.alice.send("/match")
                r.bob.send("/match")
                r.pump(lambda: r.alice.find(r"^\* the SAS is marked verified") is not None and
                       r.bob.find(r"^\* the SAS is marked verified") is not None, deadline)
            r.alice.close_stdin()
            r.pump(r.exited, deadline)
            results.append(r)
        finally:
            r.finish()
    first, second = results
    tap(first.alice.find(r"continuity new$") is not None and
        first.bob.find(r"continuity new$") is not None and
        first.alice.find(r"^\* the SAS is marked verified") is not None and
        first.bob.find(r"^\* the SAS is marked verified") is not None,
        "--store: a first session is new, and /match marks the SAS verified",
        first.transcript())
    tap(second.alice.find(r"continuity verified$") is not None and
        second.bob.find(r"continuity verified$") is not None and
        second.alice.proc.returncode == 0 and second.bob.proc.returncode == 0,
        "--store: the next session continues the verified chain on both sides",
        second.transcript())


def main():
    exe = sys.argv[1]
    print("1..9")
    sys.stdout.flush()
    first = scenario_session(exe)
    scenario_tamper(exe)
    tmpdir = tempfile.mkdtemp(prefix="esess-cli-")
    try:
        scenario_store(exe, tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if os.environ.get("ESESS_CLI_TRANSCRIPT"):
        with open(os.environ["ESESS_CLI_TRANSCRIPT"], "w") as f:
            f.write(first.transcript() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

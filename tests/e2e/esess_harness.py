"""esess_harness: a private Prosody on 127.0.0.1 and headless libpurple clients
(tests/e2e/esess-client) that load the built plugin.  Standard library only.

Used by tests/e2e/run-e2e.py (the scenarios), tests/e2e/bench-e2e.py and
scripts/demo.  Every process started here is stopped by stop_all(), which also
runs at exit, so nothing is left behind even when a scenario fails.
"""
import atexit
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SRCDIR = os.environ.get("ESESS_SRCDIR",
                        os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILDDIR = os.environ.get("ESESS_BUILDDIR", os.getcwd())
CLIENT = os.environ.get("ESESS_CLIENT", os.path.join(BUILDDIR, "tests/e2e/esess-client"))
PLUGIN = os.environ.get("ESESS_PLUGIN", os.path.join(BUILDDIR, "plugin/purple/.libs/esessions.so"))
PASSWORD = "e2e-secret-pw"
HOST = "localhost"

FEATURE_116 = "http://www.xmpp.org/extensions/xep-0116.html#ns"
FEATURE_PURPLE = "urn:xmpp:esessions:purple:0"

_live = []          # Prosody and Client objects still running
sanitizer_reports = []   # (client, first lines) of ASan/UBSan/crash reports
KEEP = bool(os.environ.get("ESESS_E2E_KEEP"))
# a command every client runs under (argv prefix), e.g. valgrind for
# `make bench-e2e-count`; empty: the client itself
WRAPPER = []


def stop_all():
    """Stops every client and server this process started (idempotent)."""
    for obj in list(reversed(_live)):
        try:
            obj.stop()
        except Exception as exc:  # keep stopping the others
            print("# cleanup: %s" % exc, file=sys.stderr)


atexit.register(stop_all)


def _sigterm(signum, frame):
    stop_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _sigterm)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def unescape(field):
    out = []
    i = 0
    while i < len(field):
        c = field[i]
        if c == "\\" and i + 1 < len(field):
            n = field[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


_cache = None                # a temp dir of this process (see Prosody._make_cert)
_account_templates = {}      # sorted user names -> a data dir holding their accounts


def _cache_dir():
    global _cache
    if _cache is None:
        _cache = tempfile.mkdtemp(prefix="esess-e2e-cache-")
        atexit.register(shutil.rmtree, _cache, True)
    return _cache


class Prosody:
    """A fresh Prosody in its own temp dir, c2s on a free port of 127.0.0.1."""

    # lean=True (the benchmark): only what two clients need to log in, see
    # each other's presence and exchange messages, with logging at "warn";
    # no archive, no offline store, no stanza debug log, no tap module.
    LEAN_MODULES = ("roster", "saslauth", "tls", "disco", "posix", "esess_modlist")
    LEAN_DISABLED = ("s2s", "offline")

    def __init__(self, users=("alice", "bob", "carol"), keep=False, dup_match=None,
                 faults=False, extra_config="", pep=False, lean=False):
        self.dup_match = dup_match    # mod_esess_dup: deliver this stanza twice
        self.pep = pep                # mod_pep (XEP-0163): identity keys, issue 12
        self.extra_config = extra_config
        self.lean = lean
        self.log_level = "warn" if lean else "debug"
        self.dir = tempfile.mkdtemp(prefix="esess-e2e-")
        # tests/e2e/mod_esess_fault.lua, driven through these two files
        self.faults = faults
        self.fault_ctl = os.path.join(self.dir, "fault.ctl")
        self.fault_log = os.path.join(self.dir, "fault.log")
        self._fault_id = 0
        self.keep = keep or KEEP
        self.port = free_port()
        self.cfg = os.path.join(self.dir, "prosody.cfg.lua")
        self.log = os.path.join(self.dir, "prosody.log")
        self.tap = os.path.join(self.dir, "tap.log")
        self.modlist = os.path.join(self.dir, "modules.txt")
        self.data = os.path.join(self.dir, "data")
        self.cert = os.path.join(self.dir, "localhost.crt")
        self.key = os.path.join(self.dir, "localhost.key")
        self.proc = None
        self._make_cert()
        self._write_config()
        self._register(users)

    # The certificate and the accounts are made once per process and copied
    # into every server's own directory: an RSA key, a Lua start of
    # prosodyctl per user and one per server cost a second of CPU per
    # server, and every group of the e2e stages starts one (twice per run,
    # with the ASan stage).  Each server still gets fresh copies of its
    # own, so nothing one server writes reaches another.
    def _make_cert(self):
        d = _cache_dir()
        cert, key = os.path.join(d, "localhost.crt"), os.path.join(d, "localhost.key")
        if not os.path.exists(cert):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "2",
                            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.copy(cert, self.cert)
        shutil.copy(key, self.key)
        os.chmod(self.key, 0o600)

    def _register(self, users):
        """self.data with an account (PASSWORD) for each of users: a copy
        of the data dir prosodyctl made for the same users the first time."""
        names = tuple(sorted(set(users)))
        template = _account_templates.get(names)
        if template is None:
            os.makedirs(self.data, mode=0o700)
            for u in names:
                subprocess.run(["prosodyctl", "--config", self.cfg, "register", u, HOST,
                                PASSWORD],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            template = os.path.join(_cache_dir(), "data-%d" % len(_account_templates))
            shutil.copytree(self.data, template)
            _account_templates[names] = template
        else:
            shutil.copytree(template, self.data)

    def _write_config(self):
        root = os.geteuid() == 0
        moddir = os.path.join(SRCDIR, "tests", "e2e")
        with open(self.cfg, "w") as f:
            f.write("""
%(root)s
pidfile = "%(dir)s/prosody.pid"
data_path = "%(data)s"
plugin_paths = { "%(moddir)s" }
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { %(port)d }
c2s_direct_tls_ports = { }
s2s_ports = { }
http_ports = { }
https_ports = { }
component_ports = { }
modules_disabled = { %(disabled)s }
modules_enabled = {
	%(modules)s
}
esess_modlist_file = "%(modlist)s"
%(dup)s
esess_fault_file = "%(fault_ctl)s"
esess_fault_log = "%(fault_log)s"
%(extra)s
authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = true
allow_registration = false
archive_expires_after = "never"
default_archive_policy = true
esess_tap_file = "%(tap)s"
log = { { levels = { min = "%(level)s" }, to = "file", filename = "%(log)s" } }
ssl = { key = "%(key)s", certificate = "%(cert)s" }
VirtualHost "localhost"
	ssl = { key = "%(key)s", certificate = "%(cert)s" }
""" % {"root": 'run_as_root = true\nprosody_user = "root"' if root else "",
       "dir": self.dir, "data": self.data, "moddir": moddir, "port": self.port,
       "tap": self.tap, "log": self.log, "key": self.key, "cert": self.cert,
       "dup": 'esess_dup_match = "%s"' % self.dup_match if self.dup_match else "",
       "fault_ctl": self.fault_ctl, "fault_log": self.fault_log,
       "extra": self.extra_config, "level": self.log_level, "modlist": self.modlist,
       "modules": " ".join('"%s";' % m for m in self.modules()),
       "disabled": " ".join('"%s";' % m for m in
                            (self.LEAN_DISABLED if self.lean else ("s2s",)))})

    def modules(self):
        """The modules_enabled of the config."""
        if self.lean:
            return list(self.LEAN_MODULES)
        mods = ["roster", "saslauth", "tls", "dialback", "disco", "carbons", "mam",
                "ping", "posix", "stanza_debug", "esess_tap", "esess_dup", "esess_modlist"]
        if self.faults:
            mods.append("esess_fault")
        if self.pep:
            mods.append("pep")
        return mods

    def _modlist(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with open(self.modlist) as f:
                    lines = f.read().splitlines()
                if lines and lines[-1].startswith("log: "):
                    return lines
            except OSError:
                pass
            time.sleep(0.05)
        return []

    def loaded_modules(self, timeout=5.0):
        """{host: [module, ...]} as Prosody's module manager had them once
        started (tests/e2e/mod_esess_modlist.lua); {} if it never wrote."""
        out = {}
        for line in self._modlist(timeout):
            if line.startswith("modules "):
                host, _, mods = line[len("modules "):].partition(": ")
                out[host] = mods.split()
        return out

    def log_levels(self, timeout=5.0):
        """The log levels Prosody runs with, as its configuration manager
        has them ("warn to file"); None if unknown."""
        for line in self._modlist(timeout):
            if line.startswith("log: "):
                return line[len("log: "):]
        return None

    def start(self):
        self.proc = subprocess.Popen(["prosody", "--config", self.cfg, "-F"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        _live.append(self)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prosody exited with %s" % self.proc.returncode)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("prosody did not open its port")

    def cpu_seconds(self):
        """The server's CPU time so far (utime + stime from /proc/PID/stat, in
        clock ticks, so to about 10 ms), or None."""
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
        except (OSError, ValueError, IndexError, AttributeError):
            return None

    def restart(self):
        """Stops the server (its clients lose their connection) and starts it
        again on the same port, keeping its data."""
        self.proc.terminate()
        self.proc.wait(timeout=10)
        if self in _live:
            _live.remove(self)
        return self.start()

    def stop(self):
        # its clients first: their stderr (sanitizer and leak reports,
        # written as they exit) lies in self.dir, removed below; a client
        # stopped after that was never checked
        for obj in list(reversed(_live)):
            if isinstance(obj, Client) and obj.server is self:
                obj.stop()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in _live:
            _live.remove(self)
        if not self.keep and self.proc is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.proc = None

    def fault(self, what, timeout=10.0):
        """Arms one fault of mod_esess_fault ("flip", "delay 2", "kick JID")
        and waits until the module has taken it; returns its id."""
        self._fault_id += 1
        fid = str(self._fault_id)
        with open(self.fault_ctl, "a") as f:
            f.write("%s %s\n" % (fid, what))
        self.wait_fault(fid, ("armed", "done", "nosession"), timeout)
        return fid

    def fault_events(self, fid):
        if not os.path.exists(self.fault_log):
            return []
        with open(self.fault_log) as f:
            return [line.split()[2] for line in f
                    if line.split()[:1] == [fid] and len(line.split()) >= 3]

    def wait_fault(self, fid, words, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.fault_events(fid)
            if any(w in got for w in words):
                return got
            time.sleep(0.05)
        raise TimeoutError("fault %s: none of %r within %.0fs" % (fid, words, timeout))

    def server_texts(self):
        """(name, bytes) of everything the server kept: tap, debug log, data."""
        out = []
        for p in (self.tap, self.log):
            if os.path.exists(p):
                with open(p, "rb") as f:
                    out.append((p, f.read()))
        for root, _, files in os.walk(self.data):
            for n in files:
                p = os.path.join(root, n)
                try:
                    with open(p, "rb") as f:
                        out.append((p, f.read()))
                except FileNotFoundError:
                    # a temporary file the server renamed meanwhile
                    # (its "name~" files); its content is in the new one
                    pass
        return out

    def saw(self, needle):
        """Paths of the server's files containing needle (str)."""
        b = needle.encode("utf-8")
        return [p for p, data in self.server_texts() if b in data]

    def tap_stanzas(self):
        if not os.path.exists(self.tap):
            return []
        with open(self.tap, encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\n") for line in f]


_idkeys = {}         # user -> PEM of the identity key made for this run
_idkey_dir = None


def idkey_pem(user):
    """The identity key of user for this run (made once with openssl, RSA
    3072, PKCS#8 PEM as the plugin writes it): every client of that user gets
    it, as if it had been exported and imported, so that no scenario waits
    for a key to be made (issue 12; the identity scenarios opt out)."""
    global _idkey_dir
    if user not in _idkeys:
        if _idkey_dir is None:
            _idkey_dir = tempfile.mkdtemp(prefix="esess-idkeys-")
            atexit.register(shutil.rmtree, _idkey_dir, True)
        path = os.path.join(_idkey_dir, user + ".pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                        "-pkeyopt", "rsa_keygen_bits:3072", "-out", path],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(path) as f:
            _idkeys[user] = f.read()
    return _idkeys[user]


class Client:
    """One headless libpurple client logged into the private Prosody.
    idkey: start with the run's identity key of user (see idkey_pem); False:
    with none, so the plugin makes one when it first needs it."""

    def __init__(self, server, user, resource="e2e", plugins=None, log_ims=False,
                 ui_id=None, preload=None, debug_log=True, idkey=True):
        self.server = server
        self.user = user
        self.jid = "%s@%s" % (user, HOST)
        self.full_jid = "%s/%s" % (self.jid, resource)
        self.dir = os.path.join(server.dir, "client-%s-%s" % (user, resource))
        tls = os.path.join(self.dir, "certificates", "x509", "tls_peers")
        os.makedirs(tls, mode=0o700, exist_ok=True)
        if idkey:
            keydir = os.path.join(self.dir, "esessions")
            os.makedirs(keydir, mode=0o700, exist_ok=True)
            keyfile = os.path.join(keydir, "%s-idkey.pem" % self.jid)
            fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(idkey_pem(user))
        shutil.copy(server.cert, os.path.join(tls, "127.0.0.1"))
        shutil.copy(server.cert, os.path.join(tls, "localhost"))
        if plugins is None:
            plugins = [PLUGIN]
        args = WRAPPER + [CLIENT, "--dir", self.dir, "--jid", self.full_jid, "--password", PASSWORD,
                "--port", str(server.port), "--log-ims", "1" if log_ims else "0"]
        for p in plugins:
            args += ["--plugin", p]
        if ui_id:
            args += ["--ui-id", ui_id]
        if not debug_log:
            args += ["--debug-log", "0"]
        env = dict(os.environ)
        env.setdefault("G_DEBUG", "")
        # leak checking in a sanitizer build (no effect otherwise): LSan
        # runs when the client exits after "quit" (stop()), never after
        # kill() (SIGKILL).  libpurple keeps the plugins' modules mapped
        # at exit (PURPLE_LEAKCHECK_HELP), so that a leak's stack names
        # its functions instead of "<unknown module>"; the slow unwinder
        # walks through the system libraries (built without frame
        # pointers), so that tests/lsan.supp can name the third-party
        # function that leaks; without G_SLICE GLib's slice allocator
        # hides blocks from LSan.  The slow unwinder runs at every malloc
        # and free and costs in proportion to the frames it walks: most of
        # the ASan clients' CPU time with ASan's default depth of 30.  16
        # (14 frames shown, ASan's own 2 cut) reach the deepest frame a
        # suppression names (purple_network_init, 9th from malloc) with
        # room, and name the functions above a leak or a freed block: a
        # third of the e2e-asan stage's time.  A shorter stack can only
        # match fewer suppressions, so it can never hide a leak.
        env.setdefault("PURPLE_LEAKCHECK_HELP", "1")
        env.setdefault("G_SLICE", "always-malloc")
        san = env.get("ASAN_OPTIONS", "")
        for opt in ("detect_leaks=1", "fast_unwind_on_malloc=0", "malloc_context_size=16"):
            if opt.split("=")[0] + "=" not in san:
                san = (san + ":" if san else "") + opt
        env["ASAN_OPTIONS"] = san
        lsan = env.get("LSAN_OPTIONS", "")
        supp = os.path.join(SRCDIR, "tests", "lsan.supp")
        # (a sanitizer dies at start on a suppressions file it cannot read)
        if "suppressions=" not in lsan and os.path.exists(supp):
            lsan = (lsan + ":" if lsan else "") + "suppressions=%s:print_suppressions=0" % supp
            env["LSAN_OPTIONS"] = lsan
        if preload:
            # libraries the client runs with (LD_PRELOAD), e.g. what
            # pidgin-otr needs from Pidgin (tests/e2e/otr-stub.c)
            env["LD_PRELOAD"] = " ".join(preload)
        self.stderr_path = os.path.join(server.dir, "%s-%s.stderr" % (user, resource))
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(self.stderr_path, "wb"),
                                     env=env, start_new_session=True)
        _live.append(self)
        self.events = []          # every event seen, in order: list of fields
        self._q = queue.Queue()
        self._pos = 0             # wait_for scans from here
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            self._q.put([unescape(x) for x in line.split("\t")])
        self._q.put(None)

    def _drain(self, timeout):
        try:
            ev = self._q.get(timeout=timeout)
        except queue.Empty:
            return False
        if ev is None:
            self._q.put(None)
            time.sleep(min(timeout, 0.05))
            return False
        self.events.append(ev)
        return True

    def cmd(self, line):
        if self.proc.poll() is not None:
            raise RuntimeError("%s: client exited" % self.user)
        self.proc.stdin.write((line + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def mark(self):
        """Position to search events from (see wait_for(since=...))."""
        while self._drain(0):
            pass
        return len(self.events)

    def wait_for(self, pred, timeout=15.0, since=None, what=""):
        """The first event at or after `since` (default: the start) for which
        pred(fields) is true; raises TimeoutError."""
        i = 0 if since is None else since
        deadline = time.time() + timeout
        while True:
            while i < len(self.events):
                if pred(self.events[i]):
                    return self.events[i]
                i += 1
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("%s: no event %s within %.0fs" % (self.user, what, timeout))
            self._drain(min(left, 0.2))

    def wait_event(self, name, *fields, timeout=15.0, since=None):
        def pred(ev):
            if ev[0] != name:
                return False
            for i, f in enumerate(fields):
                if f is not None and (len(ev) <= i + 1 or f != ev[i + 1]):
                    return False
            return True
        return self.wait_for(pred, timeout, since, what="%s %s" % (name, fields))

    def find(self, pred, since=0):
        self.mark()
        return [ev for ev in self.events[since:] if pred(ev)]

    def sync(self, timeout=15.0):
        token = "sync-%f" % time.time()
        since = self.mark()
        self.cmd("echo " + token)
        self.wait_event("echo", token, timeout=timeout, since=since)

    def signed_on(self, timeout=15.0):
        return self.wait_event("signed-on", timeout=timeout)

    def _check_stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                text = f.read()
        except OSError:
            return
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                       "runtime error:", "libc.so.6(+"):
            if marker in text:
                i = text.index(marker)
                sanitizer_reports.append((self.user, text[max(0, i - 200):i + 1500]))
                return

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.cmd("quit")
                self.proc.stdin.close()
            except (OSError, RuntimeError, ValueError):
                pass
            try:
                # generous: under ASan the leak check at exit takes seconds
                # on a loaded machine, and a client killed here would have
                # its leaks unreported
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                sanitizer_reports.append((self.user, "did not exit within 60 s of quit "
                                          "(killed: no leak check ran)"))
        self._check_stderr()
        if self in _live:
            _live.remove(self)

    def kill(self):
        """Stops the client abruptly (no sign-off: the server notices)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self in _live:
            _live.remove(self)

    # --- helpers over events ---
    def messages(self, since=0, flag=None):
        return [ev for ev in self.find(lambda e: e[0] == "msg", since)
                if flag is None or flag in ev[1].split(",")]

    def warnings(self, since=0):
        return self.find(lambda e: e[0] in ("glib",) or
                         (e[0] == "debug" and e[1] in ("warning", "error", "fatal")), since)

    def logs_contain(self, needle):
        hits = []
        logs = os.path.join(self.dir, "logs")
        for root, _, files in os.walk(logs):
            for n in files:
                p = os.path.join(root, n)
                with open(p, "rb") as f:
                    if needle.encode("utf-8") in f.read():
                        hits.append(p)
        return hits


def befriend(a, b, timeout=20.0):
    """Mutual presence subscription, then wait until each sees the other online
    and the XMPP plugin knows the other's features (caps)."""
    a.cmd("add-buddy " + b.jid)
    b.cmd("add-buddy " + a.jid)
    a.wait_event("buddy-signed-on", b.jid, timeout=timeout)
    b.wait_event("buddy-signed-on", a.jid, timeout=timeout)


def wait_feature(a, peer_jid, ns, want=True, timeout=10.0):
    """Polls the XMPP plugin's contact_has_feature until it says want."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        since = a.mark()
        a.cmd("has-feature %s %s" % (peer_jid, ns))
        ev = a.wait_event("has-feature", peer_jid, ns, since=since)
        if ev[3] == ("1" if want else "0"):
            return True
        # (libpurple has no signal for a contact's caps: poll, but often)
        time.sleep(0.05)
    return False

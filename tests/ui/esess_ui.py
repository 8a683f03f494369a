"""esess_ui: drivers for the user's side: Pidgin under Xvfb, Finch under tmux.

Builds on tests/e2e/esess_harness.py (the private Prosody and the headless
libpurple client used for bob).  Every process started here is stopped at
exit; every client gets a fresh config dir (doc/hacking.md pitfall 8: Pidgin and
Finch rewrite prefs.xml and accounts.xml on exit).
"""
import os
import re
import select
import shutil
import subprocess
import sys
import time
from xml.sax.saxutils import escape

SRCDIR = os.environ.get("ESESS_SRCDIR",
                        os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "e2e"))
import esess_harness as H  # noqa: E402

BUILDDIR = H.BUILDDIR
CORE_PLUGIN = H.PLUGIN
GTK_PLUGIN = os.environ.get("ESESS_GTK_PLUGIN",
                            os.path.join(BUILDDIR, "plugin/gtk/.libs/esessions-gtk.so"))
# compiled catalogues for uninstalled runs (built by `make check-ui`)
LOCALEDIR = os.environ.get("ESESS_LOCALEDIR", os.path.join(BUILDDIR, "tests/ui/locale"))
# the state icons: the source tree's, or a package's (tests/package)
PIXMAPSDIR = os.environ.get("ESESS_PIXMAPSDIR") or os.path.join(SRCDIR, "pixmaps")
CONVERT = "/usr/bin/convert"      # doc/hacking.md pitfall 10
PREFS_POLICY = "/plugins/core/esessions/policy"


def write_roster(server, user, contacts):
    """Mutual subscriptions straight into Prosody's store (server stopped),
    so no authorisation dialog appears in Pidgin or Finch."""
    d = os.path.join(server.data, H.HOST, "roster")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "%s.dat" % user), "w") as f:
        f.write("return {\n\t[false] = { version = 1; pending = { }; };\n")
        for c in contacts:
            f.write('\t["%s@%s"] = { subscription = "both"; groups = { }; name = "%s"; };\n'
                    % (c, H.HOST, c))
        f.write("};\n")


def gettext_of(msgid, lang):
    """msgid translated through the compiled catalogue (what the plugin shows)."""
    if lang is None:
        return msgid
    env = dict(os.environ, LANGUAGE=lang, LC_ALL=locale_of(lang), TEXTDOMAINDIR=LOCALEDIR)
    out = subprocess.run(["gettext", "-d", "purple-esessions", msgid], env=env,
                         stdout=subprocess.PIPE, check=True).stdout.decode("utf-8")
    return out


def locale_of(lang):
    return {"de": "de_DE.UTF-8", "fr": "fr_FR.UTF-8"}.get(lang, "C.UTF-8")


def ui_env(home, lang=None):
    env = dict(os.environ)
    env["HOME"] = home
    # no D-Bus autolaunch: it would leave dbus-daemons behind
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent-esess-ui-bus"
    env["NO_AT_BRIDGE"] = "1"
    env["ESESS_PIXMAPSDIR"] = PIXMAPSDIR
    env["ESESS_LOCALEDIR"] = LOCALEDIR
    env["G_DEBUG"] = ""
    for k in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        env.pop(k, None)
    if lang is None:
        env["LANG"] = "C.UTF-8"
    else:
        env["LANG"] = locale_of(lang)
        env["LANGUAGE"] = lang
    return env


class UiConfig:
    """A fresh --config dir for alice in Pidgin (ui "gtk-gaim") or Finch
    ("gnt-purple") with the plugins loaded and the account auto-logging in."""

    def __init__(self, server, user, ui, plugins, policy="on-request", log_ims=False,
                 resource=None, buddy_settings=None, logging=None):
        self.server = server
        self.user = user
        self.ui = ui
        self.dir = os.path.join(server.dir, "%s-%s" % (ui, user))
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        tls = os.path.join(self.dir, "certificates", "x509", "tls_peers")
        os.makedirs(tls, mode=0o700, exist_ok=True)
        shutil.copy(server.cert, os.path.join(tls, "127.0.0.1"))
        shutil.copy(server.cert, os.path.join(tls, "localhost"))
        pdir = os.path.join(self.dir, "plugins")
        os.makedirs(pdir, exist_ok=True)
        self.plugin_paths = []
        for p in plugins:
            dst = os.path.join(pdir, os.path.basename(p))
            shutil.copy(p, dst)
            self.plugin_paths.append(dst)
        self.resource = resource or ui
        self.logging = logging
        self._accounts()
        self._prefs(policy, log_ims)
        if buddy_settings:
            self._blist(buddy_settings)

    def _accounts(self):
        ui_id = "gtk-gaim" if self.ui == "pidgin" else "gnt-purple"
        with open(os.path.join(self.dir, "accounts.xml"), "w") as f:
            f.write("""<?xml version='1.0' encoding='UTF-8' ?>
<account version='1.0'>
 <account>
  <protocol>prpl-jabber</protocol>
  <name>%(user)s@%(host)s/%(res)s</name>
  <password>%(pw)s</password>
  <settings>
   <setting name='connect_server' type='string'>127.0.0.1</setting>
   <setting name='port' type='int'>%(port)d</setting>
   <setting name='connection_security' type='string'>require_tls</setting>
   <setting name='custom_smileys' type='bool'>0</setting>
  </settings>
  <settings ui='%(ui)s'>
   <setting name='auto-login' type='bool'>1</setting>
  </settings>
 </account>
</account>
""" % {"user": self.user, "host": H.HOST, "res": self.resource, "pw": escape(H.PASSWORD),
       "port": self.server.port, "ui": ui_id})

    def _prefs(self, policy, log_ims):
        loaded = "".join("<item value='%s'/>" % escape(p) for p in self.plugin_paths)
        uiroot = "pidgin" if self.ui == "pidgin" else "finch"
        extra = ""
        if self.ui == "pidgin":
            extra = """
  <pref name='conversations'>
   <pref name='im'><pref name='hide_new' type='string' value='never'/></pref>
  </pref>
  <pref name='sound'><pref name='method' type='string' value='none'/></pref>
  <pref name='docklet'><pref name='show' type='string' value='never'/></pref>
  <pref name='debug'><pref name='enabled' type='bool' value='0'/></pref>"""
        else:
            extra = """
  <pref name='sound'><pref name='method' type='string' value='nosound'/></pref>"""
        with open(os.path.join(self.dir, "prefs.xml"), "w") as f:
            f.write("""<?xml version='1.0' encoding='UTF-8' ?>
<pref version='1' name='/'>
 <pref name='purple'>
  <pref name='logging'>
   <pref name='log_ims' type='bool' value='%(log)d'/>
   <pref name='log_chats' type='bool' value='0'/>
   <pref name='log_system' type='bool' value='0'/>
   <pref name='format' type='string' value='txt'/>
  </pref>
 </pref>
 <pref name='plugins'>
  <pref name='core'>
   <pref name='esessions'>
    <pref name='policy' type='string' value='%(policy)s'/>%(logging)s
   </pref>
  </pref>
 </pref>
 <pref name='%(uiroot)s'>
  <pref name='plugins'>
   <pref name='loaded' type='pathlist'>%(loaded)s</pref>
  </pref>%(extra)s
 </pref>
</pref>
""" % {"log": 1 if log_ims else 0, "policy": escape(policy), "uiroot": uiroot,
       "loaded": loaded, "extra": extra,
       "logging": ("\n    <pref name='logging' type='string' value='%s'/>" % escape(self.logging)
                   if self.logging else "")})

    def _blist(self, buddy_settings):
        """buddy_settings: {contact: {key: value}} stored on the buddy node."""
        acct = "%s@%s/%s" % (self.user, H.HOST, self.resource)
        buddies = ""
        for contact, settings in buddy_settings.items():
            s = "".join("<setting name='%s' type='string'>%s</setting>" % (escape(k), escape(v))
                        for k, v in settings.items())
            buddies += ("<contact><buddy account='%s' proto='prpl-jabber'><name>%s@%s</name>"
                        "%s</buddy></contact>" % (escape(acct), contact, H.HOST, s))
        with open(os.path.join(self.dir, "blist.xml"), "w") as f:
            f.write("<?xml version='1.0' encoding='UTF-8' ?>\n<purple version='1.0'><blist>"
                    "<group name='Buddies'>%s</group></blist><privacy/></purple>\n" % buddies)

    def read(self, name):
        with open(os.path.join(self.dir, name), encoding="utf-8") as f:
            return f.read()


class LogWatch:
    """Waits for regexes in a growing log file."""

    def __init__(self, path):
        self.path = path
        self.pos = 0

    def text(self):
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def mark(self):
        self.pos = len(self.text())
        return self.pos

    def wait(self, regex, timeout=20.0, since=None, proc=None):
        """First match of regex after `since` (default: the last mark)."""
        start = self.pos if since is None else since
        rx = re.compile(regex)
        deadline = time.time() + timeout
        while True:
            t = self.text()
            m = rx.search(t, start)
            if m:
                return m
            if proc is not None and proc.poll() is not None:
                raise RuntimeError("process exited (%s) waiting for %r" % (proc.returncode, regex))
            if time.time() > deadline:
                raise TimeoutError("no %r in %s within %.0fs" % (regex, self.path, timeout))
            time.sleep(0.1)

    def last(self, regex):
        ms = list(re.finditer(regex, self.text()))
        return ms[-1] if ms else None


class Xvfb:
    """Xvfb on a free display, local connections only.  Xvfb picks the
    display itself (-displayfd) and tells us which: two runs starting at
    the same moment (the UI and package stages of tests/run-all overlap)
    can never pick the same one, as they could by probing for lock files."""

    def __init__(self, rundir):
        rfd, wfd = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-nolisten", "tcp",
                                      "-screen", "0", "1024x768x24", "-nocursor"],
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(rundir, "xvfb.log"), "wb"),
                                     pass_fds=(wfd,), start_new_session=True)
        os.close(wfd)
        H._live.append(self)
        out = b""
        # a guard against a hang only: Xvfb writes the number once it listens
        deadline = time.time() + 60
        try:
            while not out.endswith(b"\n"):
                left = deadline - time.time()
                if left <= 0 or not select.select([rfd], [], [], left)[0]:
                    raise RuntimeError("Xvfb did not start")
                chunk = os.read(rfd, 64)
                if not chunk:
                    raise RuntimeError("Xvfb did not start")
                out += chunk
        finally:
            os.close(rfd)
        n = int(out.strip())
        self.display = ":%d" % n
        self.sock = "/tmp/.X11-unix/X%d" % n

    def env(self, env):
        env = dict(env)
        env["DISPLAY"] = self.display
        return env

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in H._live:
            H._live.remove(self)


class Pidgin:
    """Pidgin with -d (debug to stdout, which we keep as a log)."""

    def __init__(self, cfg, xvfb, rundir, lang=None, tag="pidgin"):
        self.cfg = cfg
        self.xvfb = xvfb
        self.log_path = os.path.join(rundir, "%s-debug.log" % tag)
        self.env = xvfb.env(ui_env(os.path.join(rundir, "home"), lang))
        os.makedirs(self.env["HOME"], exist_ok=True)
        self.proc = subprocess.Popen(["pidgin", "--config=" + cfg.dir, "-d"],
                                     stdout=open(self.log_path, "wb"), stderr=subprocess.STDOUT,
                                     env=self.env, start_new_session=True)
        H._live.append(self)
        self.log = LogWatch(self.log_path)

    def xdo(self, *args, check=True):
        r = subprocess.run(["xdotool"] + [str(a) for a in args], env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if check and r.returncode != 0:
            raise RuntimeError("xdotool %s: %s" % (" ".join(map(str, args)),
                                                   r.stderr.decode(errors="replace")))
        return r.stdout.decode("utf-8", errors="replace").split()

    def find_window(self, name, timeout=15.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            ids = self.xdo("search", "--onlyvisible", "--name", name, check=False)
            if ids:
                return ids[-1]
            time.sleep(0.2)
        raise TimeoutError("no window named %r" % name)

    def screenshot(self, path, win="root", crop=None):
        args = ["xwd", "-silent"] + (["-root"] if win == "root" else ["-id", str(win)])
        xwd = subprocess.run(args, env=self.env, stdout=subprocess.PIPE, check=True).stdout
        cmd = [CONVERT, "xwd:-"]
        if crop:
            cmd += ["-crop", "%dx%d+%d+%d" % crop, "+repage"]
        cmd.append(path)
        subprocess.run(cmd, input=xwd, check=True)
        return path

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in H._live:
            H._live.remove(self)


class Finch:
    """Finch in a detached tmux session on our own socket."""

    def __init__(self, cfg, rundir, lang=None, tag="finch"):
        self.cfg = cfg
        self.socket = "esess-ui-%d-%s" % (os.getpid(), tag)
        self.target = "esess"
        self.log_path = os.path.join(rundir, "%s-debug.log" % tag)
        self.env = ui_env(os.path.join(rundir, "home"), lang)
        os.makedirs(self.env["HOME"], exist_ok=True)
        self.env["TERM"] = "xterm-256color"
        self.env.pop("TMUX", None)
        shell = "exec finch --config=%s 2>>%s" % (shq(cfg.dir), shq(self.log_path))
        env_args = []
        for k in ("HOME", "LANG", "LANGUAGE", "ESESS_LOCALEDIR", "DBUS_SESSION_BUS_ADDRESS",
                  "G_DEBUG"):
            if k in self.env:
                env_args.append("%s=%s" % (k, self.env[k]))
        self.tmux("new-session", "-d", "-s", self.target, "-x", "160", "-y", "48",
                  "env " + " ".join(shq(a) for a in env_args) + " sh -c " + shq(shell))
        H._live.append(self)
        self.log = LogWatch(self.log_path)

    def tmux(self, *args, check=True):
        r = subprocess.run(["tmux", "-L", self.socket] + list(args), env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if check and r.returncode != 0:
            raise RuntimeError("tmux %s: %s" % (args[0], r.stderr.decode(errors="replace")))
        return r.stdout.decode("utf-8", errors="replace")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", self.target, check=False)

    def alive(self):
        return subprocess.run(["tmux", "-L", self.socket, "has-session", "-t", self.target],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

    def wait_screen(self, regex, timeout=20.0):
        rx = re.compile(regex)
        deadline = time.time() + timeout
        while True:
            s = self.screen()
            m = rx.search(s)
            if m:
                return m
            if time.time() > deadline:
                raise TimeoutError("no %r on the Finch screen; screen was:\n%s" % (regex, s))
            time.sleep(0.2)

    def focus(self, title, timeout=20.0):
        """Raises the window whose taskbar entry contains title (M-<n>):
        Finch does not always raise a new window over the focused one."""
        deadline = time.time() + timeout
        while True:
            lines = [ln for ln in self.screen().splitlines() if ln.strip()]
            bar = lines[-1].split("\u2502") if lines else []
            for i, entry in enumerate(bar):
                if title in entry and i < 9:
                    self.keys("M-%d" % (i + 1))
                    time.sleep(0.3)
                    return i + 1
            if time.time() > deadline:
                raise TimeoutError("no window %r in the Finch taskbar: %r" % (title, bar))
            time.sleep(0.2)

    def wait_text(self, phrase, timeout=20.0):
        """Waits for phrase in the screen's text with window borders removed
        and line breaks joined (Finch wraps long system messages)."""
        deadline = time.time() + timeout
        while True:
            lines = [re.sub(r"^[\u2502\s]+|[\u2502\u2592\s]+$", "", ln)
                     for ln in self.screen().splitlines()]
            flat = re.sub(r"\s+", " ", " ".join(lines))
            if phrase in flat:
                return flat
            if time.time() > deadline:
                raise TimeoutError("no %r on the Finch screen: %s" % (phrase, flat[-600:]))
            time.sleep(0.2)

    def keys(self, *keys):
        self.tmux("send-keys", "-t", self.target, *keys)

    def type(self, text):
        self.tmux("send-keys", "-t", self.target, "-l", text)

    def quit(self, timeout=10.0):
        """M-q: Finch's clean exit (plugins unloaded, prefs written)."""
        if self.alive():
            self.keys("M-q")
        deadline = time.time() + timeout
        while self.alive() and time.time() < deadline:
            time.sleep(0.1)
        return not self.alive()

    def stop(self):
        if self.alive():
            self.quit(5)
        if self.alive():
            self.tmux("kill-server", check=False)
        if self in H._live:
            H._live.remove(self)


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"

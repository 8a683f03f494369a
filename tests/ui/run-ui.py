#!/usr/bin/env python3
"""run-ui: the user's side, end to end (`make check-ui`).

  pidgin        alice in Pidgin under Xvfb (both plugins), bob headless: start
                from the toolbar button, bob accepts, answer the SAS dialog with
                xdotool, open the details, end from the toolbar; the state is
                asserted from the toolbar's debug lines ("toolbar state=..."),
                screenshots of the toolbar in each state and of the SAS dialog
                go to the run directory.
  pidgin-de/fr  the same start with LANG=de_DE.UTF-8 / fr_FR.UTF-8: the SAS
                dialog and the state in the window title are translated.
  pidgin-log    a `may` session in Pidgin goes only to the encrypted log
                (issue 13); Conversation > View Log shows it (log-viewer.png).
  finch         alice in Finch under tmux: /esession start, read the SAS off
                the screen and compare it with bob's, answer, see the title
                change, /esession end.
  finch-log     Finch's log viewer (Conversation > View Log...) shows an
                encrypted log, written beforehand by the plugin in a headless
                client, decrypted; a copy with one flipped byte shows only the
                damage notice (issue 13).
  prefs         the policy and a per-contact setting survive a Finch restart
                (written to disk on exit, read back and obeyed on the next run).

Prints TAP lines ("ok N - name"), then "N passed, N failed"; exits non-zero
on failure.  Screenshots and logs stay in $ESESS_UI_RUNDIR (default
<builddir>/tests/ui/run), never in git.
"""
import os
import re
import shutil
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import esess_ui as U  # noqa: E402
H = U.H

RUNDIR = os.environ.get("ESESS_UI_RUNDIR", os.path.join(U.BUILDDIR, "tests", "ui", "run"))
STATE_RX = r"gtk-esessions: toolbar state=%s conv=bob@localhost\b"
BUTTON_RX = (r"gtk-esessions: toolbar button conv=bob@localhost\S* "
             r"x=(-?\d+) y=(-?\d+) w=(\d+) h=(\d+)")
CLIP = os.environ.get("ESESS_CLIP", os.path.join(U.BUILDDIR, "tests", "ui", "esess-clip"))
# 5 characters (legacy, INTEROP R8) or 6 (committed, R23), two spaces apart
SAS_RX = (r"Short authentication string:\s+((?:[acdefghikmopqruvwxy1-9]\s+){4,5}"
          r"[acdefghikmopqruvwxy1-9])(?!\S)")

results = []


def report(ok, name, note=None):
    results.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), name))
    if note:
        for line in str(note).rstrip().splitlines():
            print("# " + line)
    sys.stdout.flush()


def check(name, fn):
    try:
        note = fn()
        report(True, name, note)
        return True
    except Exception as exc:  # one failing step must not hide the others
        report(False, name, "%s\n%s" % (exc, traceback.format_exc(limit=3)))
        return False


def fresh_server(users=("alice", "bob")):
    server = H.Prosody(users=users)
    for u in users:
        U.write_roster(server, u, [c for c in users if c != u])
    return server.start()


def start_bob(server, policy="on-request"):
    bob = H.Client(server, "bob")
    bob.signed_on()
    bob.cmd("pref-string %s %s" % (U.PREFS_POLICY, policy))
    bob.sync()
    return bob


def sas_of(text):
    m = re.search(SAS_RX, text)
    return re.sub(r"\s+", "", m.group(1)) if m else None


# ---- Pidgin -------------------------------------------------------------

class PidginRun:
    def __init__(self, lang, shots):
        self.lang = lang
        self.shots = shots
        os.makedirs(shots, exist_ok=True)
        self.server = fresh_server()
        self.bob = start_bob(self.server)
        # bob accepts by hand (below), so "negotiating" lasts for a screenshot
        self.bob.cmd("answer They match")
        self.cfg = U.UiConfig(self.server, "alice", "pidgin", [U.CORE_PLUGIN, U.GTK_PLUGIN])
        self.xvfb = U.Xvfb(shots)
        self.pidgin = U.Pidgin(self.cfg, self.xvfb, shots, lang=lang)
        self.log = self.pidgin.log

    def stop(self):
        for obj in (self.pidgin, self.bob, self.xvfb, self.server):
            obj.stop()

    def button(self):
        m = self.log.last(BUTTON_RX)
        if m is None:
            raise RuntimeError("toolbar button never drawn")
        return tuple(int(x) for x in m.groups())

    def toolbar_shot(self, name):
        x, y, w, h = self.button()
        # the toolbar strip: from the window's left edge to just past the button
        left = max(0, x - 360)
        return self.pidgin.screenshot(os.path.join(self.shots, name),
                                      crop=(x + w + 6 - left, h + 12, left, max(0, y - 6)))

    def wait_state(self, state, timeout=25.0):
        return self.log.wait(STATE_RX % state, timeout=timeout, since=0, proc=self.pidgin.proc)

    def conversation_text(self):
        """The visible conversation history as text: select it with the
        mouse and read the selection with esess-clip (Pidgin owns it)."""
        x, y, w, h = self.button()
        # the history pane sits above the toolbar: drag across what it shows
        # (the latest messages), which sets the PRIMARY selection
        self.pidgin.xdo("mousemove", "--sync", 15, max(60, y - 225))
        self.pidgin.xdo("mousedown", "1")
        self.pidgin.xdo("mousemove", "--sync", x + w // 2, max(60, y - 120))
        self.pidgin.xdo("mousemove", "--sync", x + w - 25, y - 14)
        self.pidgin.xdo("mouseup", "1")
        time.sleep(0.3)
        self.pidgin.screenshot(os.path.join(self.shots, "conversation-selected.png"))
        self.pidgin.xdo("mousemove", "--sync", 1000, 740)
        r = subprocess.run([CLIP, "--primary"],
                           env=self.pidgin.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        if r.returncode != 0:
            raise RuntimeError("clipboard: %s" % r.stderr.decode(errors="replace"))
        return re.sub(r"\s+", " ", r.stdout.decode("utf-8", errors="replace"))

    def menu(self, downs):
        """Opens the toolbar menu and activates the downs-th sensitive item."""
        x, y, w, h = self.button()
        self.pidgin.xdo("mousemove", "--sync", x + w // 2, y + h // 2)
        self.pidgin.xdo("click", "1")
        time.sleep(0.6)
        self.pidgin.screenshot(os.path.join(self.shots, "menu-%d.png" % downs),
                               crop=(320, 160, max(0, x - 40), y))
        for _ in range(downs):
            self.pidgin.xdo("key", "Down")
        self.pidgin.xdo("key", "Return")
        # away from the button, so no tooltip covers the next screenshot
        self.pidgin.xdo("mousemove", "--sync", 1000, 740)


def pidgin_scenario(lang=None, differ=False):
    tag = "pidgin" + ("-" + lang if lang else "") + ("-differ" if differ else "")
    run = PidginRun(lang, os.path.join(RUNDIR, tag))
    ok = True
    try:
        def signed_on():
            try:
                run.log.wait(r"gtk-esessions: loaded", proc=run.pidgin.proc)
            except (TimeoutError, RuntimeError) as exc:
                why = re.findall(r"plugins: .*(?:not loadable|failed).*", run.log.text())
                raise RuntimeError("%s\n%s" % (exc, "\n".join(why)))
            run.bob.wait_event("buddy-signed-on", "alice@localhost", timeout=30)
        ok &= check("%s: alice signs on in Pidgin with both plugins loaded" % tag, signed_on)
        if not ok:
            return

        def opened():
            run.bob.cmd("send alice@localhost Hello from bob")
            run.wait_state("not-private")
            run.log.wait(BUTTON_RX, since=0)
            time.sleep(0.5)
            run.toolbar_shot("toolbar-0-not-private.png")
        ok &= check("%s: a message from bob opens a conversation with the toolbar button, "
                    "not private" % tag, opened)
        if not ok:
            return

        def start():
            since = run.bob.mark()
            run.log.mark()
            run.menu(1)       # first sensitive item: start
            run.log.wait(r"gtk-esessions: menu start", timeout=10)
            run.wait_state("negotiating")
            ev = run.bob.wait_event("dialog", None, "Encrypted session request",
                                    since=since, timeout=20)
            run.toolbar_shot("toolbar-1-negotiating.png")
            now = run.log.last(r"toolbar state=(\S+) conv=bob@localhost")
            if now is None or now.group(1) != "negotiating":
                raise RuntimeError("toolbar left negotiating before bob answered")
            run.bob.cmd("click Accept")
            return "bob was asked: %s" % ev[3]
        ok &= check("%s: start from the toolbar; negotiating while bob is asked" % tag, start)
        if not ok:
            return

        sas = {}

        def unverified():
            run.wait_state("private-unverified", timeout=30)
            run.toolbar_shot("toolbar-2-private-unverified.png")
            ev = run.bob.wait_event("dialog", None, "Verify the encrypted session", timeout=20)
            sas["bob"] = sas_of(ev[3])
            if not sas["bob"]:
                raise RuntimeError("no SAS in bob's dialog: %r" % ev[3])
            return "bob's SAS %s" % sas["bob"]
        ok &= check("%s: private but unverified once bob accepts" % tag, unverified)
        if not ok:
            return

        def sas_dialog():
            title = U.gettext_of("Verify the encrypted session", lang)
            win = run.pidgin.find_window(title)
            run.sas_win = win
            run.pidgin.xdo("windowmove", "--sync", win, 0, 0)
            time.sleep(0.4)
            run.pidgin.screenshot(os.path.join(run.shots, "sas-dialog.png"), win=win)
            return "window %s titled %r" % (win, title)
        ok &= check("%s: the SAS dialog appears%s" % (
            tag, " in the user's language" if lang else ""), sas_dialog)
        if not ok:
            return

        if differ:
            def mismatch():
                run.log.mark()
                run.pidgin.xdo("windowfocus", "--sync", run.sas_win)
                # buttons: Later, They differ, They match (default, focused)
                run.pidgin.xdo("key", "shift+Tab")
                run.pidgin.xdo("key", "space")
                m = run.log.wait(r"gtk-esessions: toolbar state=(ended|not-private) "
                                 r"conv=bob@localhost\b", timeout=20)
                win = run.pidgin.find_window("Possible eavesdropper")
                run.pidgin.xdo("windowmove", "--sync", win, 0, 0)
                time.sleep(0.4)
                run.pidgin.screenshot(os.path.join(run.shots, "sas-differ.png"), win=win)
                if run.log.last(STATE_RX % "private-verified"):
                    raise RuntimeError("the session was marked verified")
                return "state %s, warning shown" % m.group(1)
            check("%s: answering \"They differ\" ends the session with a warning" % tag,
                  mismatch)
            return

        def answer():
            run.log.mark()
            run.pidgin.xdo("windowfocus", "--sync", run.sas_win)
            run.pidgin.xdo("key", "--window", run.sas_win, "Return")
            run.wait_state("private-verified", timeout=20)
            time.sleep(0.3)
            run.toolbar_shot("toolbar-3-private-verified.png")
        ok &= check("%s: answering \"They match\" with xdotool makes it private and verified"
                    % tag, answer)

        def messages():
            want = U.gettext_of("You confirmed the short authentication string: this "
                                "private conversation is verified. Later sessions with "
                                "this contact will be verified automatically.", lang)
            if lang and want.startswith("You confirmed"):
                raise RuntimeError("no %s translation of the state message" % lang)
            x, y, w, h = run.button()
            run.pidgin.screenshot(os.path.join(run.shots, "conversation.png"),
                                  crop=(x + w + 10, y + h + 6, 0, 0))
            text = run.conversation_text()
            with open(os.path.join(run.shots, "conversation.txt"), "w") as f:
                f.write(text)
            if want not in text:
                raise RuntimeError("state message %r not in the conversation: %s"
                                   % (want, text[-500:]))
            return "found: %s" % want[:60]
        ok &= check("%s: the state messages appear in the conversation%s" % (
            tag, " in the user's language" if lang else ""), messages)

        if lang:
            def label():
                want = U.gettext_of("Verified", lang)
                if want == "Verified":
                    raise RuntimeError("no %s translation of the label" % lang)
                run.log.wait(r'toolbar state=private-verified conv=bob@localhost\S* label="%s"'
                             % re.escape(want), since=0, timeout=5)
                return "label %r" % want
            ok &= check("%s: the toolbar label is translated" % tag, label)

            def title():
                want = U.gettext_of("%s [private, verified]", lang).replace("%s", "").strip()
                win = run.pidgin.find_window(re.escape(want))
                return "window %s title contains %r" % (win, want)
            ok &= check("%s: the state in the window title is translated" % tag, title)
        else:
            def details():
                run.log.mark()
                run.menu(3)   # end, verify, details
                run.log.wait(r"gtk-esessions: menu get-details", timeout=10)
                win = run.pidgin.find_window(U.gettext_of("Encrypted session", lang))
                run.pidgin.xdo("windowmove", "--sync", win, 0, 0)
                time.sleep(0.4)
                run.pidgin.screenshot(os.path.join(run.shots, "details.png"), win=win)
                run.pidgin.xdo("windowclose", win, check=False)
            ok &= check("%s: the toolbar menu shows the session details" % tag, details)

            def verify_again():
                run.log.mark()
                run.menu(2)   # end, verify
                run.log.wait(r"gtk-esessions: menu verify", timeout=10)
                win = run.pidgin.find_window("Verify the encrypted session")
                run.pidgin.xdo("windowfocus", "--sync", win)
                run.pidgin.xdo("key", "Escape")
                deadline = time.time() + 10
                while run.pidgin.xdo("search", "--onlyvisible", "--name",
                                     "Verify the encrypted session", check=False):
                    if time.time() > deadline:
                        raise TimeoutError("the SAS dialog did not close on Escape")
                    time.sleep(0.2)
                now = run.log.last(r"toolbar state=(\S+) conv=bob@localhost")
                if now.group(1) != "private-verified":
                    raise RuntimeError("closing the dialog changed the state to %s"
                                       % now.group(1))
            ok &= check("%s: Verify contact... in the menu shows the SAS dialog again; "
                        "closing it keeps the state" % tag, verify_again)

        def end():
            run.log.mark()
            run.menu(1)       # first sensitive item: end
            run.log.wait(r"gtk-esessions: menu end", timeout=10)
            m = run.log.wait(r"gtk-esessions: toolbar state=(ended|not-private) "
                             r"conv=bob@localhost\b", timeout=20)
            time.sleep(0.5)
            now = run.log.last(r"toolbar state=(\S+) conv=bob@localhost")
            run.toolbar_shot("toolbar-5-after-end-%s.png" % now.group(1))
            return "state after end: %s, then %s" % (m.group(1), now.group(1))

        def bob_ends():
            run.log.mark()
            run.bob.cmd("cmd alice@localhost esession end")
            run.log.wait(STATE_RX % "ended", timeout=20)
            time.sleep(0.3)
            run.toolbar_shot("toolbar-4-ended.png")
            # the held-back state offers start and end: end is the second item
            run.menu(2)
            run.log.wait(r"gtk-esessions: menu end", timeout=10)
            run.log.wait(STATE_RX % "not-private", timeout=20)
            time.sleep(0.3)
            run.toolbar_shot("toolbar-5-not-private-again.png")
        if lang:
            ok &= check("%s: end from the toolbar" % tag, end)
        else:
            ok &= check("%s: bob ends the session: ended, then back to not private "
                        "from the toolbar" % tag, bob_ends)
    finally:
        run.stop()


# ---- Finch --------------------------------------------------------------

def finch_scenario():
    tag = "finch"
    shots = os.path.join(RUNDIR, tag)
    os.makedirs(shots, exist_ok=True)
    server = fresh_server()
    bob = start_bob(server)
    bob.cmd("answer Accept")
    bob.cmd("answer They match")
    cfg = U.UiConfig(server, "alice", "finch", [U.CORE_PLUGIN])
    finch = U.Finch(cfg, shots)
    try:
        if not check("finch: alice signs on in Finch with the plugin", lambda: (
                bob.wait_event("buddy-signed-on", "alice@localhost", timeout=30), None)[-1]):
            return

        def conversation():
            bob.cmd("send alice@localhost Hello from bob")
            finch.focus("bob (alice@localhost")
            finch.wait_screen(r"Hello from bob")
            save(finch, shots, "0-conversation")
        if not check("finch: bob's message opens a conversation window", conversation):
            return

        sas = {}

        def start():
            since = bob.mark()
            finch.type("/esession start")
            finch.keys("Enter")
            bob.wait_event("dialog", None, "Encrypted session request", since=since, timeout=20)
            ev = bob.wait_event("dialog", None, "Verify the encrypted session", since=since,
                                timeout=30)
            sas["bob"] = sas_of(ev[3])
            finch.focus("Verify the encrypted session")
            m = finch.wait_screen(SAS_RX)
            sas["alice"] = re.sub(r"\s+", "", m.group(1))
            save(finch, shots, "1-sas")
            if sas["alice"] != sas["bob"]:
                raise RuntimeError("SAS differs: Finch shows %s, bob %s" % (sas["alice"],
                                                                          sas["bob"]))
            return "SAS on screen %s equals bob's" % sas["alice"]
        if not check("finch: /esession start; the SAS read off the screen equals bob's", start):
            return

        def answer():
            # the SAS dialog has the focus, its first button is "They match"
            finch.wait_screen(r"They match")
            finch.keys("Enter")
            finch.focus("bob")
            finch.wait_text("You confirmed the short authentication string")
            save(finch, shots, "2-verified")
        check("finch: answering \"They match\" writes the verified state message", answer)

        def title():
            # Finch shows purple_conversation_get_title() in the window title
            finch.wait_screen(r"\[private, verified\] \(alice@localhost", timeout=10)
        titled = check("finch: the conversation title shows [private, verified]", title)

        def end():
            finch.focus("bob")
            finch.type("/esession end")
            finch.keys("Enter")
            finch.wait_text("You ended the encrypted session")
            if titled:
                deadline = time.time() + 15
                while "[private" in finch.screen():
                    if time.time() > deadline:
                        raise TimeoutError("title still says private")
                    time.sleep(0.2)
            save(finch, shots, "3-ended")
        check("finch: /esession end ends the session%s" % (
            " and restores the title" if titled else ""), end)
    finally:
        for obj in (finch, bob, server):
            obj.stop()


def save(finch, shots, name):
    with open(os.path.join(shots, name + ".txt"), "w", encoding="utf-8") as f:
        f.write(finch.screen())


# ---- prefs survive a restart -----------------------------------------------

def prefs_scenario():
    shots = os.path.join(RUNDIR, "prefs")
    os.makedirs(shots, exist_ok=True)
    server = fresh_server(("alice", "bob", "carol"))
    bob = start_bob(server)
    carol = H.Client(server, "carol")
    carol.signed_on()
    # global policy: never; per contact: bob "opportunistic"
    cfg = U.UiConfig(server, "alice", "finch", [U.CORE_PLUGIN], policy="never",
                     buddy_settings={"bob": {"esessions-policy": "opportunistic"}})
    try:
        finch = U.Finch(cfg, shots, tag="finch-1")
        try:
            bob.wait_event("buddy-signed-on", "alice@localhost", timeout=30)
            time.sleep(1.0)
        finally:
            quit_ok = finch.quit()
            finch.stop()

        def on_disk():
            if not quit_ok:
                raise RuntimeError("Finch did not quit on M-q")
            prefs = cfg.read("prefs.xml")
            blist = cfg.read("blist.xml")
            if not re.search(r"name='policy' type='string' value='never'", prefs):
                raise RuntimeError("policy pref lost from prefs.xml")
            if not re.search(r"<setting name='esessions-policy' type='string'>opportunistic<",
                             blist):
                raise RuntimeError("bob's per-contact policy lost from blist.xml")
        check("prefs: Finch writes the policy and bob's per-contact setting back on exit",
              on_disk)

        bob_since, carol_since = bob.mark(), carol.mark()
        finch = U.Finch(cfg, shots, tag="finch-2")
        try:
            def obeyed():
                bob.wait_event("buddy-signed-on", "alice@localhost", timeout=30,
                               since=bob_since)
                carol.wait_event("buddy-signed-on", "alice@localhost", timeout=30,
                                 since=carol_since)
                time.sleep(1.0)
                # bob's override (opportunistic): alice's Finch accepts by itself
                since = bob.mark()
                bob.cmd("cmd alice@localhost esession start")
                bob.wait_event("state", "alice@localhost", "2", since=since, timeout=30)
                # everybody else gets the global policy (never): carol is declined
                since_c = carol.mark()
                carol.cmd("cmd alice@localhost esession start")
                time.sleep(5.0)
                got = [ev for ev in carol.find(lambda e: e[0] == "state", since_c)]
                if any(ev[2] in ("2", "3") for ev in got):
                    raise RuntimeError("carol got a session despite policy never: %r" % got)
                save(finch, shots, "after-restart")
                return "bob private (per-contact opportunistic), carol states %r" % (
                    [ev[2] for ev in got],)
            check("prefs: after a restart the settings are read back from disk", obeyed)
        finally:
            finch.quit()
            finch.stop()
    finally:
        for obj in (carol, bob, server):
            obj.stop()


def pidgin_log_scenario():
    """Issue 13: Pidgin's log viewer shows a `may` session kept in the
    encrypted log (screenshot log-viewer.png in the run directory)."""
    tag = "pidgin-log"
    shots = os.path.join(RUNDIR, tag)
    os.makedirs(shots, exist_ok=True)
    server = fresh_server()
    bob = pidgin = xvfb = None
    try:
        bob = start_bob(server, policy="opportunistic")
        bob.cmd("pref-string /plugins/core/esessions/logging forbid")
        bob.cmd("answer Later")
        # "forbid" (always keep records) on both sides: logging `may`
        cfg = U.UiConfig(server, "alice", "pidgin", [U.CORE_PLUGIN, U.GTK_PLUGIN],
                         policy="opportunistic", log_ims=True, logging="forbid")
        keydir = os.path.join(cfg.dir, "esessions")
        os.makedirs(keydir, mode=0o700, exist_ok=True)
        fd = os.open(os.path.join(keydir, "alice@localhost-idkey.pem"),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(H.idkey_pem("alice"))
        xvfb = U.Xvfb(shots)
        pidgin = U.Pidgin(cfg, xvfb, shots)
        texts = ["Encrypted history line %d %s" % (i, "".join(
            chr(ord("a") + (i * 7 + j) % 26) for j in range(8))) for i in range(3)]

        def session():
            pidgin.log.wait(r"gtk-esessions: loaded", proc=pidgin.proc)
            bob.wait_event("buddy-signed-on", "alice@localhost", timeout=30)
            since = bob.mark()
            bob.cmd("cmd alice@localhost esession start")
            bob.wait_for(lambda e: e[0] == "state" and e[2] in ("2", "3"), 30, since=since,
                         what="bob private")
            for t in texts:
                bob.cmd("send alice@localhost %s" % t)
            bob.sync()
            files = []
            deadline = time.time() + 20
            while time.time() < deadline and not files:
                for root, _, names in os.walk(os.path.join(cfg.dir, "esessions", "archive")):
                    files += [os.path.join(root, n) for n in names if n.endswith(".esa")]
                time.sleep(0.2)
            if not files:
                raise RuntimeError("no encrypted log was written")
            # doc/archive.md: header and trailer, then 51 bytes, the sender
            # and the text per message
            want = 1346 + sum(51 + 3 + len(t) for t in texts)
            deadline = time.time() + 20
            while time.time() < deadline and os.path.getsize(files[0]) < want:
                time.sleep(0.2)
            if os.path.getsize(files[0]) < want:
                raise RuntimeError("the messages did not reach the encrypted log")
            for root, _, names in os.walk(cfg.dir):
                for n in names:
                    p = os.path.join(root, n)
                    with open(p, "rb") as f:
                        body = f.read()
                    for t in texts:
                        if t.encode() in body:
                            raise RuntimeError("plaintext %r in %s" % (t, p))
            return "collection %s" % os.path.basename(files[0])
        if not check("%s: a `may` session in Pidgin is kept only in the encrypted log" % tag,
                     session):
            return

        def viewer():
            conv = pidgin.find_window("^bob")
            pidgin.xdo("windowmove", "--sync", conv, 0, 0)
            pidgin.xdo("windowfocus", "--sync", conv)
            pidgin.log.mark()
            # Conversation > View Log, by their mnemonics
            pidgin.xdo("key", "alt+c")
            time.sleep(0.4)
            pidgin.xdo("key", "l")
            win = pidgin.find_window("Conversations with")
            pidgin.xdo("windowmove", "--sync", win, 0, 0)
            pidgin.xdo("windowsize", "--sync", win, 900, 500)
            try:
                pidgin.log.wait(r"archive: read a log of (\d+) messages", timeout=5)
            except TimeoutError:
                # no log selected yet: pick the first one in the list
                pidgin.xdo("windowfocus", "--sync", win)
                pidgin.xdo("key", "Down")
                pidgin.xdo("key", "Return")
            m = pidgin.log.wait(r"archive: read a log of (\d+) messages", timeout=15)
            if int(m.group(1)) < len(texts):
                raise RuntimeError("read %s messages" % m.group(1))
            time.sleep(0.8)
            shot = pidgin.screenshot(os.path.join(shots, "log-viewer.png"), win=win)
            return "%s (%s messages read)" % (shot, m.group(1))
        check("%s: Pidgin's log viewer opens and reads the encrypted log" % tag, viewer)
    finally:
        for obj in (pidgin, bob, xvfb, server):
            if obj is not None:
                obj.stop()


def finch_log_scenario():
    """Issue 13: Finch's log viewer shows an encrypted log decrypted, and a
    tampered collection as the damage notice, none of its content."""
    tag = "finch-log"
    shots = os.path.join(RUNDIR, tag)
    os.makedirs(shots, exist_ok=True)
    server = fresh_server()
    prep = bob = finch = None
    try:
        # the log, written headlessly by the plugin: alice (the run's identity
        # key) keeps every conversation in the "ESessions encrypted" format
        prep = H.Client(server, "alice", resource="prep", log_ims=True)
        prep.signed_on()
        prep.cmd("account-set esessions-policy never")
        prep.cmd("pref-string /purple/logging/format esessions")
        texts = ["Finch history line %d %s" % (i, "".join(
            chr(ord("a") + (i * 5 + j) % 26) for j in range(8))) for i in range(3)]
        for t in texts:
            prep.cmd("send bob@localhost %s" % t)
        prep.cmd("close bob@localhost")
        prep.sync()
        prep.stop()
        src = []
        for root, _, names in os.walk(os.path.join(prep.dir, "esessions", "archive")):
            src += [os.path.join(root, n) for n in names if n.endswith(".esa")]
        if len(src) != 1:
            raise RuntimeError("the plugin wrote %r" % src)
        cfg = U.UiConfig(server, "alice", "finch", [U.CORE_PLUGIN])
        keydir = os.path.join(cfg.dir, "esessions")
        logdir = os.path.join(keydir, "archive", "alice@localhost", "bob@localhost")
        os.makedirs(logdir, mode=0o700)
        fd = os.open(os.path.join(keydir, "alice@localhost-idkey.pem"),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(H.idkey_pem("alice"))
        with open(src[0], "rb") as f:
            data = f.read()
        shutil.copy(src[0], os.path.join(logdir, os.path.basename(src[0])))
        # a copy from an earlier day with one byte of its last record flipped
        bad = bytearray(data)
        bad[len(bad) - 40 - 32 - 3] ^= 0x01
        with open(os.path.join(logdir, "20200101T120000.esa"), "wb") as f:
            f.write(bad)
        bob = start_bob(server)
        finch = U.Finch(cfg, shots)

        def opened():
            bob.wait_event("buddy-signed-on", "alice@localhost", timeout=30)
            bob.cmd("send alice@localhost Hello from bob")
            finch.focus("bob (alice@localhost")
            finch.wait_screen(r"Hello from bob")
            # Ctrl+O: the conversation's menu; (v): View Log...
            finch.keys("C-o")
            finch.wait_screen(r"View Log\.\.\.")
            finch.keys("v")
            finch.wait_screen(r"Conversations with bob")
            # the months, newest first: expand this one, select its log
            finch.wait_screen(r"\+ January 2020")
            finch.keys("Space")
            finch.wait_screen(r"- \w+ \d{4} ")
            finch.keys("C-n")
        if not check("%s: Conversation > View Log... lists the encrypted logs" % tag, opened):
            return

        def decrypted():
            for t in texts:
                finch.wait_screen(re.escape(t))
            save(finch, shots, "1-log")
            if "changed or damaged" in finch.screen():
                raise RuntimeError("the intact log is said to be damaged")
            return "%d messages on the screen" % len(texts)
        if not check("%s: the encrypted log is shown decrypted in Finch's log viewer" % tag,
                     decrypted):
            return

        def damaged():
            # down to the other month, expand it, select its (tampered) log
            finch.keys("C-n")
            finch.keys("C-n")
            finch.keys("Space")
            finch.wait_screen(r"- January 2020")
            finch.keys("C-n")
            finch.wait_screen(r"changed or damaged")
            save(finch, shots, "2-damaged")
            shown = [t for t in texts if t in finch.screen()]
            if shown:
                raise RuntimeError("content of the tampered log shown: %r" % shown)
        check("%s: a tampered collection shows the damage notice, none of its content" % tag,
              damaged)
    finally:
        for obj in (finch, bob, prep, server):
            if obj is not None:
                obj.stop()


SCENARIOS = {
    "pidgin": lambda: pidgin_scenario(None),
    "pidgin-de": lambda: pidgin_scenario("de"),
    "pidgin-fr": lambda: pidgin_scenario("fr"),
    "pidgin-differ": lambda: pidgin_scenario(None, differ=True),
    "pidgin-log": pidgin_log_scenario,
    "finch": finch_scenario,
    "finch-log": finch_log_scenario,
    "prefs": prefs_scenario,
}


def main():
    names = sys.argv[1:] or list(SCENARIOS)
    if os.path.isdir(RUNDIR):
        shutil.rmtree(RUNDIR)
    os.makedirs(RUNDIR)
    for n in names:
        try:
            SCENARIOS[n]()
        except Exception as exc:
            report(False, "%s: scenario set-up" % n, "%s\n%s" % (exc, traceback.format_exc()))
        H.stop_all()
    passed = sum(1 for r in results if r)
    failed = len(results) - passed
    print("1..%d" % len(results))
    print("# screenshots and logs: %s" % RUNDIR)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())

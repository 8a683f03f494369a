#!/usr/bin/python3
"""The INSTALLED plugins at work.  Two headless libpurple clients load the
esessions.so that the Debian package put into a scratch root (ESESS_PLUGIN,
set by tests/package/check-deb.sh), set up a private session through a
private Prosody and exchange one message each way.  Then Pidgin (under Xvfb,
in German) loads both of the package's plugins, with the package's icons
(ESESS_PIXMAPSDIR) and catalogues (ESESS_LOCALEDIR): the toolbar button
appears with its icon and its label from the installed German catalogue.
Last Finch (under tmux, in French) with the package's plugin: bob's request
shows in French, alice accepts with Enter, the session becomes private.

Prints one line per check, "ok DESCRIPTION" or "not-ok DESCRIPTION", which
check-deb.sh turns into TAP; exits non-zero if any check failed.
Usage: deb-e2e.py EXPECTED-VERSION
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "ui"))
import esess_harness as h  # noqa: E402
import esess_ui as U  # noqa: E402

PIDGIN_LANG = "de"
FINCH_LANG = "fr"

failed = 0


def result(good, what, detail=""):
    global failed
    if not good:
        failed += 1
    print("%s %s%s" % ("ok" if good else "not-ok", what,
                        (": " + detail) if detail and not good else ""), flush=True)
    return good


def main():
    version = sys.argv[1]
    plugin = os.path.realpath(h.PLUGIN)
    server = h.Prosody().start()
    try:
        alice = h.Client(server, "alice")
        bob = h.Client(server, "bob")
        for c in (alice, bob):
            ev = c.wait_event("loaded", "core-esessions", timeout=30)
            # the client names the file libpurple loaded: it must be the one
            # in the package root, never the build tree's
            where = os.path.realpath(ev[3]) if len(ev) > 3 else ""
            result(len(ev) > 3 and ev[2] == version and where == plugin,
                   "%s loaded the installed plugin, version %s" % (c.user, version),
                   "got %r" % (ev[1:],))
        failures = alice.find(lambda e: e[0] == "load-failed") + \
            bob.find(lambda e: e[0] == "load-failed")
        result(not failures, "no plugin failed to load", repr(failures))

        alice.signed_on(timeout=30)
        bob.signed_on(timeout=30)
        for c in (alice, bob):
            c.cmd("account-set esessions-policy opportunistic")
            c.cmd("answer They match")
        h.befriend(alice, bob)
        # the installed plugin advertises XEP-0116 through disco/caps
        h.wait_feature(alice, bob.full_jid, h.FEATURE_116, timeout=30)
        h.wait_feature(bob, alice.full_jid, h.FEATURE_116, timeout=30)
        result(True, "both clients advertise ESessions (XEP-0116)")

        alice.cmd("cmd %s esession start" % bob.jid)
        sas = []
        for c in (alice, bob):
            ev = c.wait_for(lambda e: e[0] == "dialog" and e[2] == "Verify the encrypted session",
                            timeout=60)
            sas.append(ev[3].split(":", 1)[1].strip() if ":" in ev[3] else ev[3])
        alice.wait_for(lambda e: e[0] == "state" and e[2] == "3", timeout=60)
        bob.wait_for(lambda e: e[0] == "state" and e[2] == "3", timeout=60)
        result(sas[0] == sas[1] and sas[0] != "",
               "a private session is set up and verified, both sides show SAS %s" % sas[0],
               "alice %r, bob %r" % tuple(sas))

        texts = ((alice, bob, "package check from alice: quince"),
                 (bob, alice, "package check from bob: kumquat"))
        for sender, receiver, text in texts:
            sender.cmd("send %s %s" % (receiver.jid, text))
            receiver.wait_for(lambda e, t=text: e[0] == "msg" and "recv" in e[1] and t in e[4],
                              timeout=30)
        alice.sync()
        bob.sync()
        encrypted = [s for s in server.tap_stanzas() if "xep-0200.html#ns" in s]
        leaked = [w for w in ("quince", "kumquat") if server.saw(w)]
        result(len(encrypted) >= 2 and not leaked,
               "messages both ways arrive, the server routed %d encrypted stanzas and "
               "saw no plaintext" % len(encrypted),
               "leaked %r" % leaked)
    except Exception as e:  # a timeout: say which step, count it as a failure
        result(False, "the session with the installed plugin completes", repr(e))
    finally:
        h.stop_all()
    pidgin_check()
    finch_check()
    return 1 if failed else 0


def pidgin_check():
    rundir = None
    try:
        server = h.Prosody(users=("alice", "bob"))
        for u, other in (("alice", "bob"), ("bob", "alice")):
            U.write_roster(server, u, [other])
        server.start()
        rundir = os.path.join(server.dir, "pidgin")
        os.makedirs(rundir)
        bob = h.Client(server, "bob")
        bob.signed_on(timeout=30)
        # UiConfig copies the two files into Pidgin's --config dir
        cfg = U.UiConfig(server, "alice", "pidgin", [U.CORE_PLUGIN, U.GTK_PLUGIN])
        pidgin = U.Pidgin(cfg, U.Xvfb(rundir), rundir, lang=PIDGIN_LANG)
        log = pidgin.log
        log.wait(r"gtk-esessions: loaded", timeout=60, proc=pidgin.proc)
        bob.wait_event("buddy-signed-on", "alice@localhost", timeout=60)
        result(True, "Pidgin loads both installed plugins and signs on")

        bob.cmd("send alice@localhost Hallo von bob")
        m = log.wait(r'gtk-esessions: toolbar state=not-private conv=bob@localhost\S* '
                     r'label="([^"]*)"', timeout=60, since=0, proc=pidgin.proc)
        want = U.gettext_of("Not private", PIDGIN_LANG)
        missing = [x for x in log.text().splitlines() if "gtk-esessions: icon" in x]
        result(m.group(1) == want and want != "Not private" and not missing,
               "a conversation gets the toolbar button, its icon from the package and its "
               "label from the installed %s catalogue (%s)" % (PIDGIN_LANG, want),
               "label %r, catalogue says %r, %r" % (m.group(1), want, missing))
    except Exception as e:
        result(False, "Pidgin with the installed plugins", repr(e))
        if rundir:
            print(open(os.path.join(rundir, "pidgin-debug.log"), errors="replace").read()[-3000:])
    finally:
        h.stop_all()



def finch_check():
    rundir = None
    finch = None
    try:
        server = h.Prosody(users=("alice", "bob"))
        for u, other in (("alice", "bob"), ("bob", "alice")):
            U.write_roster(server, u, [other])
        server.start()
        rundir = os.path.join(server.dir, "finch")
        os.makedirs(rundir)
        bob = h.Client(server, "bob")
        bob.signed_on(timeout=30)
        bob.cmd("answer They match")
        cfg = U.UiConfig(server, "alice", "finch", [U.CORE_PLUGIN])
        finch = U.Finch(cfg, rundir, lang=FINCH_LANG)
        bob.wait_event("buddy-signed-on", "alice@localhost", timeout=60)
        h.wait_feature(bob, "alice@localhost/finch", h.FEATURE_116, timeout=30)
        since = bob.mark()
        bob.cmd("cmd alice@localhost esession start")
        title = U.gettext_of("Encrypted session request", FINCH_LANG)
        finch.wait_text(title, timeout=60)
        finch.focus(title)
        finch.keys("Enter")     # the dialog's first button: accept
        bob.wait_for(lambda e: e[0] == "state" and e[2] in ("2", "3"), timeout=60, since=since)
        result(title != "Encrypted session request",
               "Finch with the installed plugin: bob's request shows in %s (%s), accepted "
               "with Enter, the session is private" % (FINCH_LANG, title))
    except Exception as e:
        screen = finch.screen() if finch is not None else ""
        result(False, "Finch with the installed plugin", "%r\n%s" % (e, screen))
    finally:
        h.stop_all()
        if finch is not None:
            finch.stop()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""The demo behind scripts/demo: alice and bob, headless libpurple clients
with the built plugin, chat privately through a private Prosody."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import esess_harness as h  # noqa: E402


def main():
    server = h.Prosody().start()
    try:
        print("== private Prosody on 127.0.0.1:%d (%s)" % (server.port, server.dir))
        alice = h.Client(server, "alice")
        bob = h.Client(server, "bob")
        alice.signed_on()
        bob.signed_on()
        print("== alice and bob signed on with the plugin loaded")
        for c in (alice, bob):
            c.cmd("account-set esessions-policy opportunistic")
            c.cmd("answer They match")
        h.befriend(alice, bob)
        h.wait_feature(alice, bob.full_jid, h.FEATURE_116)
        h.wait_feature(bob, alice.full_jid, h.FEATURE_116)
        alice.cmd("cmd %s esession start" % bob.jid)
        for me, other in ((alice, bob), (bob, alice)):
            ev = me.wait_for(lambda e: e[0] == "dialog" and e[2] == "Verify the encrypted session",
                             timeout=30)
            print("== SAS computed by %-5s: %s" % (me.user, ev[3].split(":", 1)[1].strip()))
        alice.wait_for(lambda e: e[0] == "state" and e[2] == "3", timeout=30)
        bob.wait_for(lambda e: e[0] == "state" and e[2] == "3", timeout=30)
        texts = [
            (alice, bob, "Hello Bob, this is <b>private</b> and <i>formatted</i>.", "Hello Bob"),
            (bob, alice, "Grüße, Alice! Ça marche: 日本語もOK ✓", "日本語"),
            (alice, bob, "See you tomorrow at 10.", "tomorrow"),
        ]
        for sender, receiver, text, key in texts:
            sender.cmd("send %s %s" % (receiver.jid, text))
            receiver.wait_for(lambda e, k=key: e[0] == "msg" and "recv" in e[1] and k in e[4],
                              timeout=15)
        alice.sync()
        bob.sync()
        for me in (alice, bob):
            print("== the conversation as %s saw it:" % me.user)
            for ev in me.messages():
                who = "system" if "system" in ev[1] else ev[3]
                print("   [%s] %s" % (who, ev[4]))
        encrypted = [s for s in server.tap_stanzas() if "xep-0200.html#ns" in s]
        leaked = [k for _, _, _, k in texts if server.saw(k)]
        print("== the server routed %d encrypted stanzas; plaintext words found in its "
              "files (tap, debug log, archive): %s" % (len(encrypted), leaked or "none"))
        if encrypted:
            print("   one of them: %s..." % encrypted[-1][:160])
        return 0 if encrypted and not leaked else 1
    finally:
        h.stop_all()
        print("== stopped everything the demo started")


if __name__ == "__main__":
    sys.exit(main())

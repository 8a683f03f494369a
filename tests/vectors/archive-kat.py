#!/usr/bin/env python3
"""Writes archive-kat.txt: known answers for the encrypted archive's
collection format (doc/archive.md), computed independently of the engine
with Python's `cryptography`.

- A collection with a fixed collection key, a fixed name, no wrapped key and
  three fixed messages: the exact bytes (the symmetric part: RSA-OAEP is
  randomised, so the wrapping has its own vector below).
- An RSA-OAEP (SHA-256, MGF1-SHA-256) wrapping of a fixed collection key to
  the test key idkey-alice.pem, made here: the engine must unwrap it.
  OAEP is randomised: each run prints another wrapped_alice (all valid);
  keep the committed one when adding vectors.
- The first collection again as version 2: its header binds the account,
  the contact and the start (BOUND): the engine must write it exactly.
- A collection with records of direction 3 (system lines), and the same
  collection with that direction byte 0 and 4: the engine must write the
  first exactly and refuse the other two.

Run from tests/vectors: python3 archive-kat.py > archive-kat.txt
"""
import base64
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KEY = bytes(range(32))
BOUND = ("alice@localhost", "bob@localhost", "20251203T140000")
NAME = "00112233445566778899aabbccddeeff"
MESSAGES = [
    (2, 1764770400, "alice@localhost", "Hello Bob, this stays private."),
    (1, 1764770405, "bob@localhost", "<span style='font-weight: bold;'>Sure</span> &amp; \u00e9t\u00e9"),
    (2, 1764770410, "alice@localhost", ""),
]
# a collection with a record of direction 3 (a system line or an old log's
# line of unknown writer, sender empty allowed), between two messages
SYSTEM_MESSAGES = [
    (1, 1764770400, "Bob Old Alias", "hi, I&apos;m back"),
    (3, 1764770401, "", "Bob has signed off."),
    (3, 1764770402, "", "Robert Smith: a line nobody can attribute"),
]


def mac(km, data):
    return hmac.new(km, data, hashlib.sha256).digest()


def collection(key, name, messages, bound=None):
    ke = mac(key, b"ESessions archive 1: encryption")
    km = mac(key, b"ESessions archive 1: authentication")
    if bound is None:
        hdr = ("<archive xmlns='urn:xmpp:esessions:purple:archive:0' version='1' name='%s'/>"
               % name).encode()
    else:
        # version 2: the account, the contact and the start, under T0
        hdr = ("<archive xmlns='urn:xmpp:esessions:purple:archive:0' version='2' name='%s'"
               " own='%s' with='%s' start='%s'/>" % ((name,) + bound)).encode()
    out = b"ESESSAR1" + struct.pack(">I", len(hdr)) + hdr
    chain = mac(km, out)
    out += chain
    for i, (d, t, s, text) in enumerate(messages):
        sb, tb = s.encode(), text.encode()
        plain = (bytes([d]) + struct.pack(">q", t) + struct.pack(">H", len(sb)) + sb
                 + struct.pack(">I", len(tb)) + tb)
        # the first keystream block uses counter (i, 0) + 1
        ctr = (i << 96) + 1
        enc = Cipher(algorithms.AES(ke), modes.CTR(ctr.to_bytes(16, "big"))).encryptor()
        ct = enc.update(plain) + enc.finalize()
        tag = mac(km, b"R" + chain + struct.pack(">II", i, len(ct)) + ct)
        out += struct.pack(">I", len(ct)) + ct + tag
        chain = tag
    out += struct.pack(">II", 0xFFFFFFFF, len(messages))
    out += mac(km, b"E" + chain + struct.pack(">I", len(messages)))
    return out


def main():
    print("# archive known answers (tests/vectors/archive-kat.py; doc/archive.md)")
    print("key = " + KEY.hex())
    print("name = " + NAME)
    for i, (d, t, s, text) in enumerate(MESSAGES):
        print("msg%d = %d %d %s %s" % (i, d, t, base64.b64encode(s.encode()).decode(),
                                       base64.b64encode(text.encode()).decode()))
    print("collection = " + base64.b64encode(collection(KEY, NAME, MESSAGES)).decode())
    print("empty = " + base64.b64encode(collection(KEY, NAME, [])).decode())
    print("bound = %s %s %s" % BOUND)
    print("bound_collection = "
          + base64.b64encode(collection(KEY, NAME, MESSAGES, BOUND)).decode())
    for i, (d, t, s, text) in enumerate(SYSTEM_MESSAGES):
        print("sysmsg%d = %d %d %s %s" % (i, d, t, base64.b64encode(s.encode()).decode(),
                                          base64.b64encode(text.encode()).decode()))
    print("sys_collection = " + base64.b64encode(collection(KEY, NAME, SYSTEM_MESSAGES)).decode())
    for bad in (0, 4):
        msgs = [(bad if d == 3 else d, t, s, text) for (d, t, s, text) in SYSTEM_MESSAGES]
        print("sys_dir%d = %s" % (bad, base64.b64encode(collection(KEY, NAME, msgs)).decode()))
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "idkey-alice.pem"),
              "rb") as f:
        sk = serialization.load_pem_private_key(f.read(), None)
    wrap_key = hashlib.sha256(b"archive wrap vector").digest()
    wrapped = sk.public_key().encrypt(
        wrap_key, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                               label=None))
    print("wrap_key = " + wrap_key.hex())
    print("wrapped_alice = " + base64.b64encode(wrapped).decode())


main()

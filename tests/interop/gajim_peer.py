#!/usr/bin/python3
"""gajim_peer: an independent Gajim-profile ESession peer for interoperability
tests (XEP-0155 + XEP-0116 4-message + XEP-0200), written from the specs
(Gajim's observed behaviour, doc/wire-profile.md R20 and its appendix 2:
DIGEST Appendix B, §3, §4, §6, §7; INTEROP R1-R20), not from this project's
C code.

Python 3 standard library plus python3-cryptography (AES block function only).
It includes a minimal XMPP client (STARTTLS, SASL PLAIN, bind) that talks to a
private Prosody on 127.0.0.1, announces the ESession features in XEP-0115 caps
with Gajim's node http://gajim.org and answers disco#info.

Gajim behaviour reproduced on purpose (doc/wire-profile.md R20 and Gajim's own
output in tests/interop/vectors/, which test-gajim-shapes.py checks this peer
against, byte for byte):
  * every stanza serialised as Gajim's XML library did: double quotes,
    `<name />`, field attributes `var` then `type`, no id, `type` before `to`,
    <thread/> last in negotiation messages and first in encrypted ones;
  * the request (message 1) with Gajim's field order and types, 8-byte
    nonces, `label="None"` on the modp options;
  * its submit and result forms (messages 2, 3, 4 and the terminate) type
    EVERY field text-single, FORM_TYPE and accept included; accept is `true`
    in message 2 and `1` in message 3; message 4 wrapped in <init/>;
  * as responder, Gajim's own choices: the first modp OPTION (a value-only
    modp made Gajim crash), its own logging preference;
  * rshashes: one HMAC per secret held, one random value when none;
  * AES-256-CTR although `aes128-ctr` is negotiated; counter pre-increment
    (first block uses C+1), carried across the identity and every stanza;
  * identity MAC HMAC(KM, MPI(C) || ID); stanza MAC on send
    HMAC(KM, m_content || MPI(C)), on verify HMAC(KM, m_content || C16);
  * forms canonicalised with Gajim's c14n, in its 0.12 or its later form;
  * SAS unpadded; plaintext padded with spaces to 16 bytes; the fallback
    <body/> (doubled unless LANG is exactly 'en'), the 0.16 message hints;
    terminate in plaintext as a submit form, no acknowledgement.
"""
import base64
import hashlib
import hmac
import secrets
import socket
import ssl
import string
import threading
import time
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

NS_CLIENT = "jabber:client"
NS_STREAM = "http://etherx.jabber.org/streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session"
NS_CAPS = "http://jabber.org/protocol/caps"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_FEATNEG = "http://jabber.org/protocol/feature-neg"
NS_XDATA = "jabber:x:data"
NS_SSN = "urn:xmpp:ssn"
NS_ESESSION = "http://www.xmpp.org/extensions/xep-0116.html#ns"
NS_ESESSION_INIT = "http://www.xmpp.org/extensions/xep-0116.html#ns-init"
NS_C = "http://www.xmpp.org/extensions/xep-0200.html#ns"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_CHATSTATES = "http://jabber.org/protocol/chatstates"
NS_HINTS = "urn:xmpp:hints"
GAJIM_NODE = "http://gajim.org"
PLACEHOLDER = ("[This is part of an encrypted session. If you see this message, "
               "something went wrong.]")
SAS_ALPHABET = "acdefghikmopqruvwxy123456789"
XMLDSIG_RSA_SHA256 = "http://www.w3.org/2000/09/xmldsig#rsa-sha256"
NOT_ACCEPTABLE_TEXT = ("The recipient or server understands the request but is refusing "
                       "to process it because it does not meet criteria defined by the "
                       "recipient or server.")

# RFC 2409 / RFC 3526 MODP primes, generator 2 (RFC 3526; DIGEST Appendix A)
MODP_HEX = {
    1: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
        "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
        "4FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF"
    ),
    2: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
        "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
        "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"
    ),
    5: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
        "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
        "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
        "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
        "9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF"
    ),
    14: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
        "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
        "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
        "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
        "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
        "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF"
    ),
    15: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
        "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
        "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
        "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
        "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
        "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
        "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
        "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
        "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
    ),
    16: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
        "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
        "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
        "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
        "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
        "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
        "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
        "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
        "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
        "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8"
        "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2"
        "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
        "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF"
    ),
    17: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
        "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
        "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
        "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
        "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
        "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
        "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
        "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
        "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
        "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8"
        "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2"
        "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
        "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C93402849236C3FAB4D27C7026"
        "C1D4DCB2602646DEC9751E763DBA37BDF8FF9406AD9E530EE5DB382F413001AE"
        "B06A53ED9027D831179727B0865A8918DA3EDBEBCF9B14ED44CE6CBACED4BB1B"
        "DB7F1447E6CC254B332051512BD7AF426FB8F401378CD2BF5983CA01C64B92EC"
        "F032EA15D1721D03F482D7CE6E74FEF6D55E702F46980C82B5A84031900B1C9E"
        "59E7C97FBEC7E8F323A97A7E36CC88BE0F1D45B7FF585AC54BD407B22B4154AA"
        "CC8F6D7EBF48E1D814CC5ED20F8037E0A79715EEF29BE32806A1D58BB7C5DA76"
        "F550AA3D8A1FBFF0EB19CCB1A313D55CDA56C9EC2EF29632387FE8D76E3C0468"
        "043E8F663F4860EE12BF2D5B0B7474D6E694F91E6DCC4024FFFFFFFFFFFFFFFF"
    ),
    18: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
        "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
        "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
        "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
        "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
        "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
        "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
        "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
        "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
        "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8"
        "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2"
        "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
        "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C93402849236C3FAB4D27C7026"
        "C1D4DCB2602646DEC9751E763DBA37BDF8FF9406AD9E530EE5DB382F413001AE"
        "B06A53ED9027D831179727B0865A8918DA3EDBEBCF9B14ED44CE6CBACED4BB1B"
        "DB7F1447E6CC254B332051512BD7AF426FB8F401378CD2BF5983CA01C64B92EC"
        "F032EA15D1721D03F482D7CE6E74FEF6D55E702F46980C82B5A84031900B1C9E"
        "59E7C97FBEC7E8F323A97A7E36CC88BE0F1D45B7FF585AC54BD407B22B4154AA"
        "CC8F6D7EBF48E1D814CC5ED20F8037E0A79715EEF29BE32806A1D58BB7C5DA76"
        "F550AA3D8A1FBFF0EB19CCB1A313D55CDA56C9EC2EF29632387FE8D76E3C0468"
        "043E8F663F4860EE12BF2D5B0B7474D6E694F91E6DBE115974A3926F12FEE5E4"
        "38777CB6A932DF8CD8BEC4D073B931BA3BC832B68D9DD300741FA7BF8AFC47ED"
        "2576F6936BA424663AAB639C5AE4F5683423B4742BF1C978238F16CBE39D652D"
        "E3FDB8BEFC848AD922222E04A4037C0713EB57A81A23F0C73473FC646CEA306B"
        "4BCBC8862F8385DDFA9D4B7FA2C087E879683303ED5BDD3A062B3CF5B3A278A6"
        "6D2A13F83F44F82DDF310EE074AB6A364597E899A0255DC164F31CC50846851D"
        "F9AB48195DED7EA1B1D510BD7EE74D73FAF36BC31ECFA268359046F4EB879F92"
        "4009438B481C6CD7889A002ED5EE382BC9190DA6FC026E479558E4475677E9AA"
        "9E3050E2765694DFC81F56E880B96E7160C980DD98EDD3DFFFFFFFFFFFFFFFFF"
    ),
}


def modp(group):
    """(p, g) of an RFC 2409/3526 MODP group; KeyError for unknown ones."""
    return int("".join(MODP_HEX[group]), 16), 2


# ---------------------------------------------------------------- crypto ----

def mpi(n):
    """Big-endian, leading zero octets removed (XEP-0116 §MPI, INTEROP R2)."""
    if n == 0:
        return b""
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def from_bytes(b):
    return int.from_bytes(b, "big")


def sha256(data):
    return hashlib.sha256(data).digest()


def hmac256(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def b64(data):
    return base64.b64encode(data).decode("ascii")


def unb64(text):
    return base64.b64decode((text or "").strip(), validate=True)


class Ctr:
    """Gajim's CTR mode: the counter is incremented *before* each block (the
    first block of a message uses C+1) and carries across messages; a partial
    block consumes one step.  The 32-byte key makes it AES-256 (Appendix B)."""

    def __init__(self, key, counter):
        self.ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        self.counter = counter % (1 << 128)

    def crypt(self, data):
        out = bytearray()
        for i in range(0, len(data), 16):
            self.counter = (self.counter + 1) % (1 << 128)
            ks = self.ecb.update(self.counter.to_bytes(16, "big"))
            chunk = data[i:i + 16]
            out += bytes(a ^ b for a, b in zip(chunk, ks))
        return bytes(out)


def derive(k, role):
    """Full 32-byte keys (INTEROP R3): cipher, MAC, SIGMA for 'Initiator'/'Responder'."""
    return (hmac256(k, (role + " Cipher Key").encode()),
            hmac256(k, (role + " MAC Key").encode()),
            hmac256(k, (role + " SIGMA Key").encode()))


def sas28(m_a, form_b):
    """Gajim's sas28x5: base 28, most significant digit first, NOT padded."""
    v = from_bytes(sha256(m_a + form_b + b"Short Authentication String")[-3:])
    out = ""
    while v > 0:
        out = SAS_ALPHABET[v % 28] + out
        v //= 28
    return out


def sas28_padded(m_a, form_b):
    """The INTEROP R8 form (5 characters, left-padded with 'a')."""
    s = sas28(m_a, form_b)
    return "a" * (5 - len(s)) + s


# ------------------------------------------------------- normalisation ----

def local(tag):
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def nsof(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _esc_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")


def _esc_attr(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\t", "&#x9;").replace("\n", "&#xA;").replace("\r", "&#xD;"))


def c14n(el, parent_ns="", declared=None, buggy=False):
    """Gajim's c14n of one parsed element (DIGEST Appendix B): `xmlns="NS"`
    first when the element's namespace differs from its parent's, then the
    attributes sorted by name in double quotes, empty elements as `<name />`,
    text kept as it arrived.  The XML library Gajim used keeps an `xmlns`
    declaration that arrived on an element as one of its attributes; Gajim
    0.12 printed it among the sorted attributes (buggy=True), Gajim 0.13 and
    later skip it.  declared: {id(element): namespace declared on it}."""
    ns = nsof(el.tag)
    out = ["<", local(el.tag)]
    if ns and ns != parent_ns:
        out.append(' xmlns="%s"' % ns)
    attrs = {local(a): v for a, v in el.attrib.items()}
    if buggy and declared and id(el) in declared:
        attrs["xmlns"] = declared[id(el)]
    for name in sorted(attrs):
        out.append(' %s="%s"' % (name, _esc_attr(attrs[name])))
    text = el.text or ""
    if len(el) == 0 and not text:
        out.append(" />")
        return "".join(out)
    out.append(">")
    out.append(_esc_text(text))
    for child in el:
        out.append(c14n(child, ns, declared, buggy))
        out.append(_esc_text(child.tail or ""))
    out.append("</%s>" % local(el.tag))
    return "".join(out)


def normalise_form(x, exclude=("identity", "mac"), declared=None, buggy=False):
    """The normalised content of a data form: each child of <x/> (fields named in
    exclude left out), concatenated, UTF-8."""
    parts = []
    for child in x:
        if local(child.tag) == "field" and child.get("var") in exclude:
            continue
        parts.append(c14n(child, nsof(x.tag), declared, buggy))
    return "".join(parts).encode("utf-8")


# ------------------------------------------------- stanzas as Gajim wrote --

def xesc(s):
    """The escaping of Gajim's XML library, for text and attribute values."""
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\x0c", "").replace("\x1b", ""))


class Node:
    """An element as Gajim's XML library built it: attributes in the order they
    were set, a namespace written only where it differs from the parent's."""

    def __init__(self, name, attrs=(), ns=None, kids=(), text=None):
        self.name, self.attrs, self.ns = name, list(attrs), ns
        self.kids, self.text = list(kids), text

    def add(self, node):
        self.kids.append(node)
        return node

    def var(self):
        return dict(self.attrs).get("var")

    def ser(self, parent_ns=None):
        """Serialised exactly as Gajim sent it: double quotes, `<name />`."""
        out = ["<", self.name]
        if self.ns and self.ns != parent_ns:
            out.append(' xmlns="%s"' % self.ns)
        for k, v in self.attrs:
            out.append(' %s="%s"' % (k, xesc(str(v))))
        if not self.kids and not self.text:
            out.append(" />")
            return "".join(out)
        out.append(">")
        out.append(xesc(self.text or ""))
        ns = self.ns or parent_ns
        out += [k.ser(ns) for k in self.kids]
        out.append("</%s>" % self.name)
        return "".join(out)


def field(var, values=(), ftype="text-single", options=None, required=False):
    """One <field/> as Gajim's DataField built it: `var` then `type` (its
    default is text-single, whatever the form), the values, `<required />`,
    then the options; an option given as (label, value) carries label=str(label),
    which is how Gajim's modp options got label="None"."""
    if isinstance(values, (str, bytes)):
        values = [values]
    f = Node("field", [("var", var)] + ([("type", ftype)] if ftype else []))
    for v in values:
        f.add(Node("value", text=str(v)))
    if required:
        f.add(Node("required"))
    for opt in options or ():
        if isinstance(opt, tuple):
            f.add(Node("option", [("label", str(opt[0]))], kids=[Node("value", text=opt[1])]))
        else:
            f.add(Node("option", kids=[Node("value", text=opt)]))
    return f


def dataform(ftype, fields):
    return Node("x", [("type", ftype)], NS_XDATA, fields)


def message(to, kids, mtype=None):
    """A <message/> as Gajim sent it: `type` (when set) before `to`, no id."""
    attrs = ([("type", mtype)] if mtype else []) + [("to", to)]
    return Node("message", attrs, NS_CLIENT, kids)


def form_fields(x):
    """{var: (type, [values], [options])} of a parsed <x/>."""
    out = {}
    for f in x:
        if local(f.tag) != "field":
            continue
        vals = [v.text or "" for v in f if local(v.tag) == "value"]
        opts = [(o.find("{%s}value" % NS_XDATA).text or "") for o in f
                if local(o.tag) == "option" and o.find("{%s}value" % NS_XDATA) is not None]
        out[f.get("var")] = (f.get("type"), vals, opts)
    return out


def first(fields, var):
    t = fields.get(var)
    if t is None:
        return None
    _, vals, opts = t
    if opts:
        return opts[0]
    return vals[0] if vals else None


def value(fields, var):
    """The field's first <value/>, as Gajim read a received form (form[var]):
    an <option/> in a submit or result form is not a value."""
    t = fields.get(var)
    return t[1][0] if t is not None and t[1] else None


def parse_stanza(text):
    """(element, {id(element): declared default namespace}) of one stanza."""
    parser = ET.XMLPullParser(events=("start", "start-ns"))
    parser.feed(text)
    declared, pending, root = {}, [], None
    for ev, item in parser.read_events():
        if ev == "start-ns":
            pending.append(item)
            continue
        root = item if root is None else root
        for prefix, uri in pending:
            if prefix == "":
                declared[id(item)] = uri
        pending = []
    parser.close()
    return root, declared



# ------------------------------------------------------------------ XMPP ----

class XmppError(Exception):
    pass


class MiniXmpp:
    """A minimal XMPP client: STARTTLS (self-signed test cert accepted), SASL
    PLAIN, resource binding; stanzas (depth-2 elements) go to
    on_stanza(el, declared), declared = {id(element): default namespace declared
    on it} (Gajim's c14n sees those declarations)
    from a reader thread.  127.0.0.1 only."""

    def __init__(self, user, password, resource, port, host="localhost"):
        self.user, self.password, self.resource = user, password, resource
        self.host, self.port = host, port
        self.jid = None
        self.sock = None
        self.wlock = threading.Lock()
        self.on_stanza = None
        self.closed = threading.Event()
        self._reader = None
        self.log = []          # (direction, text) of every stanza, for the report

    # -- low level --
    def send(self, text):
        data = text.encode("utf-8")
        with self.wlock:
            self.log.append(("out", text))
            self.sock.sendall(data)

    def _new_stream(self):
        self.parser = ET.XMLPullParser(events=("start", "end", "start-ns"))
        self.depth = 0
        self.pending_ns = []
        self.declared = {}
        self.send("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" % self.host)

    def _next_element(self, timeout=10.0):
        """Blocks until the next depth-2 element (used during login only)."""
        deadline = time.time() + timeout
        while True:
            for ev, el in self.parser.read_events():
                if ev == "start-ns":
                    continue
                if ev == "start":
                    self.depth += 1
                else:
                    self.depth -= 1
                    if self.depth == 1:
                        return el
            left = deadline - time.time()
            if left <= 0:
                raise XmppError("timeout during login")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise XmppError("server closed the stream")
            self.parser.feed(data)

    def connect(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self._new_stream()
        feats = self._next_element()
        if feats.find("{%s}starttls" % NS_TLS) is None:
            raise XmppError("no STARTTLS offered")
        self.send("<starttls xmlns='%s'/>" % NS_TLS)
        if local(self._next_element().tag) != "proceed":
            raise XmppError("STARTTLS refused")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE     # the test's self-signed certificate
        self.sock = ctx.wrap_socket(self.sock, server_hostname=self.host)
        self._new_stream()
        self._next_element()
        cred = b64(b"\0" + self.user.encode() + b"\0" + self.password.encode())
        self.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (NS_SASL, cred))
        if local(self._next_element().tag) != "success":
            raise XmppError("authentication failed")
        self._new_stream()
        feats = self._next_element()
        self.send("<iq type='set' id='bind1'><bind xmlns='%s'><resource>%s</resource></bind></iq>"
                  % (NS_BIND, xesc(self.resource)))
        res = self._next_element()
        jid = res.find(".//{%s}jid" % NS_BIND)
        if res.get("type") != "result" or jid is None:
            raise XmppError("bind failed")
        self.jid = jid.text
        if feats.find("{%s}session" % NS_SESSION) is not None:
            self.send("<iq type='set' id='sess1'><session xmlns='%s'/></iq>" % NS_SESSION)
        self.sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        try:
            while not self.closed.is_set():
                data = self.sock.recv(65536)
                if not data:
                    break
                self.parser.feed(data)
                for ev, el in self.parser.read_events():
                    if ev == "start-ns":
                        self.pending_ns.append(el)
                        continue
                    if ev == "start":
                        self.depth += 1
                        if self.depth > 1:
                            for prefix, uri in self.pending_ns:
                                if prefix == "":
                                    self.declared[id(el)] = uri
                        self.pending_ns = []
                        continue
                    self.depth -= 1
                    if self.depth == 1:
                        declared, self.declared = self.declared, {}
                        self.log.append(("in", ET.tostring(el, encoding="unicode")))
                        if self.on_stanza:
                            try:
                                self.on_stanza(el, declared)
                            except Exception as exc:  # a bug in the peer: keep reading
                                self.log.append(("error", repr(exc)))
                                import traceback
                                traceback.print_exc()
        except (OSError, ET.ParseError):
            pass
        self.closed.set()

    def close(self):
        if self.sock is None:
            return
        try:
            self.send("<presence type='unavailable'/></stream:stream>")
        except OSError:
            pass
        self.closed.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        if self._reader:
            self._reader.join(timeout=2)
        self.sock = None



# --------------------------------------------------------------- session ----

def _token(n=16):
    return "".join(secrets.choice(string.ascii_letters) for _ in range(n))


class ESession:
    """One ESession (one thread) of the Gajim-profile peer."""

    def __init__(self, thread, peer_jid, role):
        self.thread = thread
        self.peer_jid = peer_jid          # whom we send to (full JID once known)
        self.role = role                  # "initiator" | "responder"
        self.state = "negotiating"        # negotiating | active | ended | failed
        self.why = ""                     # reason for failed / ended
        self.sas = None
        self.srs_found = None             # True/False once the keys are final
        self.choices = {}                 # what the responder chose (initiator side)
        self.request_fields = {}          # responder side: the offer as received
        self.received = []                # decrypted <body/> texts
        self.payloads = []                # decrypted payload strings
        self.body_ns_ok = []              # per received body: in jabber:client (strict)
        self.data_lengths = []            # octets of each received <data/>
        self.msg4_wrapper = None          # initiator: element that carried message 4
        self.counters_sent = []           # counter before each stanza we sent
        self.counters_recv = []           # counter before each stanza we accepted
        self.error = None                 # the <message type='error'/> received
        self.terminate_seen = None        # "plaintext" | "encrypted"
        self.placeholder_next_to_c = True
        self.new_retained = None          # the retained secret this session made
        self.not_acceptable = []          # responder: fields refused (sent as an error)
        self.hints_seen = []              # per accepted <c/>: XEP-0334 no-permanent-store there


class GajimPeer:
    """A Gajim 0.12-0.16 profile ESession client on one XMPP account.

    Knobs (Gajim's own settings and versions):
      log_encrypted_sessions  Gajim's option: True offers logging may,mustnot
                              and prefers may as responder; False the reverse;
      c14n_buggy              True: Gajim 0.12's canonicalisation, which keeps an
                              xmlns declaration that arrived on a form element
                              among its sorted attributes; False: 0.13 and later;
      lang                    the LANG Gajim ran under: anything but exactly 'en'
                              doubles the fallback <body> (translated + English);
      hints                   Gajim 0.16 adds XEP-0334 no-permanent-store and
                              no-copy to every encrypted message;
      det                     {kind: [values]}: the random values to use instead
                              of fresh ones, for runs that must reproduce
                              Gajim's stanzas byte for byte (see _rand).
    """

    FEATURES = [
        NS_CAPS, NS_DISCO_INFO, "http://jabber.org/protocol/disco#items",
        NS_CHATSTATES, "http://jabber.org/protocol/xhtml-im", NS_FEATNEG, NS_SSN,
        NS_ESESSION, "jabber:iq:version", "urn:xmpp:ping", "urn:xmpp:receipts",
        NS_XDATA, "jabber:iq:last", "http://jabber.org/protocol/si",
    ]

    def __init__(self, user, password, port, resource="gajim"):
        self.xmpp = MiniXmpp(user, password, resource, port)
        self.xmpp.on_stanza = self._on_stanza
        self.cond = threading.Condition()
        self.sessions = {}                # thread -> ESession
        self.retained = {}                # peer bare JID -> list of [secret, verified]
        self.plain_received = []          # (from, body) of plaintext messages
        self.presence_from = set()        # full JIDs seen available
        self.disco_asked = 0
        self.sent = []                    # every stanza this peer sent, as text
        # knobs for the scenarios
        self.modp_offer = [5, 14, 2, 1]   # Gajim's configurable esession_modp
        self.log_encrypted_sessions = True    # Gajim's default
        self.c14n_buggy = False
        self.lang = "en_US.UTF-8"
        self.hints = True
        self.det = {}
        self.offer_overrides = {}         # var -> field Node replacing the default one
        self.counter_prefix = None        # responder: force the first octet of C_A
        self.auto_accept = True

    def logging_preference(self):
        """Gajim's order of preference for `logging`."""
        return ["may", "mustnot"] if self.log_encrypted_sessions else ["mustnot", "may"]

    def _rand(self, kind, fresh):
        """A queued value of this kind when the run is deterministic, else fresh()."""
        queue = self.det.get(kind)
        if queue:
            return queue.pop(0)
        return fresh()

    # ------------------------------------------------------------ plumbing --
    def caps_ver(self):
        s = "client/pc//Gajim<" + "".join(f + "<" for f in sorted(self.FEATURES))
        return b64(hashlib.sha1(s.encode("utf-8")).digest())

    def presence(self):
        return ("<presence><priority>50</priority><c xmlns='%s' hash='sha-1' node='%s' "
                "ver='%s'/></presence>" % (NS_CAPS, GAJIM_NODE, self.caps_ver()))

    def connect(self):
        self.xmpp.connect()
        self.jid = self.xmpp.jid
        self.xmpp.send("<iq type='get' id='roster1'><query xmlns='jabber:iq:roster'/></iq>")
        self.xmpp.send(self.presence())
        return self

    def close(self):
        self.xmpp.close()

    def subscribe(self, bare):
        self.xmpp.send("<presence to='%s' type='subscribe'/>" % bare)

    def _notify(self):
        with self.cond:
            self.cond.notify_all()

    def wait(self, pred, timeout=15.0, what="condition"):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                r = pred()
                if r:
                    return r
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError("gajim peer: %s not reached within %.0fs" % (what, timeout))
                self.cond.wait(min(left, 0.2))

    def _send(self, sess, msg):
        """Gajim's session send: the thread goes last (unless the stanza already
        has one), then out exactly as serialised."""
        if not any(k.name == "thread" for k in msg.kids):
            msg.add(Node("thread", text=sess.thread))
        text = msg.ser()
        self.sent.append(text)
        self.xmpp.send(text)

    # ----------------------------------------------------------- dispatch --
    def _on_stanza(self, el, declared=None):
        name = local(el.tag)
        with self.cond:
            if name == "iq":
                self._on_iq(el)
            elif name == "presence":
                self._on_presence(el)
            elif name == "message":
                self._on_message(el, declared or {})
            self.cond.notify_all()

    def _on_iq(self, el):
        typ, frm, iid = el.get("type"), el.get("from"), el.get("id", "")
        if typ in ("result", "error"):
            return
        query = el.find("{%s}query" % NS_DISCO_INFO)
        to = " to='%s'" % xesc(frm) if frm else ""
        if typ == "get" and query is not None:
            self.disco_asked += 1
            node = query.get("node")
            feats = "".join("<feature var='%s'/>" % f for f in self.FEATURES)
            self.xmpp.send("<iq type='result' id='%s'%s><query xmlns='%s'%s>"
                           "<identity category='client' type='pc' name='Gajim'/>%s</query></iq>"
                           % (xesc(iid), to, NS_DISCO_INFO,
                              " node='%s'" % xesc(node) if node else "", feats))
        elif typ == "set" and el.find("{jabber:iq:roster}query") is not None:
            self.xmpp.send("<iq type='result' id='%s'/>" % xesc(iid))
        elif typ == "get" and el.find("{urn:xmpp:ping}ping") is not None:
            self.xmpp.send("<iq type='result' id='%s'%s/>" % (xesc(iid), to))
        else:
            self.xmpp.send("<iq type='error' id='%s'%s><error type='cancel'>"
                           "<service-unavailable xmlns='%s'/></error></iq>"
                           % (xesc(iid), to, NS_STANZAS))

    def _on_presence(self, el):
        typ, frm = el.get("type"), el.get("from") or ""
        if typ == "subscribe":
            self.xmpp.send("<presence to='%s' type='subscribed'/>" % xesc(frm))
            self.xmpp.send("<presence to='%s' type='subscribe'/>" % xesc(frm))
        elif typ == "subscribed":
            self.xmpp.send(self.presence())
        elif typ is None:
            self.presence_from.add(frm)
        elif typ == "unavailable":
            self.presence_from.discard(frm)

    def _on_message(self, el, declared):
        frm = el.get("from") or ""
        thread_el = el.find("{%s}thread" % NS_CLIENT)
        thread = thread_el.text if thread_el is not None else None
        sess = self.sessions.get(thread)
        feature = el.find("{%s}feature" % NS_FEATNEG)
        init = el.find("{%s}init" % NS_ESESSION_INIT)
        c = el.find("{%s}c" % NS_C)
        if el.get("type") == "error":
            if sess is not None:
                sess.error = el
                sess.state = "failed"
                sess.why = "error from the peer"
            return
        wrapper = feature if feature is not None else init
        x = wrapper.find("{%s}x" % NS_XDATA) if wrapper is not None else None
        if x is not None:
            self._on_form(el, frm, thread, sess, x, wrapper, declared)
            return
        if c is not None:
            if sess is not None and sess.state == "active":
                self._on_encrypted(sess, el, c)
            return
        body = el.find("{%s}body" % NS_CLIENT)
        if body is not None:
            self.plain_received.append((frm, body.text or ""))

    def _on_form(self, el, frm, thread, sess, x, wrapper, declared):
        fields = form_fields(x)
        ftype = x.get("type")
        norm = lambda: normalise_form(x, declared=declared, buggy=self.c14n_buggy)  # noqa: E731
        if value(fields, "terminate") in ("1", "true"):
            if sess is not None and ftype == "submit":
                sess.terminate_seen = "plaintext"
                sess.state = "ended"
                sess.why = "terminated by the peer"
            return
        if ftype == "form" and "accept" in fields:
            if self.auto_accept:
                self._respond(frm, thread, fields, norm())
            return
        if sess is None:
            return
        if sess.role == "initiator" and ftype == "submit" and sess.state == "negotiating":
            sess.peer_jid = frm      # XEP-0155: the session is with the resource that answered
            self._on_msg2(sess, fields, norm())
        elif sess.role == "responder" and ftype == "result" and "identity" in fields:
            self._on_msg3(sess, fields, norm())
        elif sess.role == "initiator" and ftype == "result" and "identity" in fields:
            sess.msg4_wrapper = local(wrapper.tag)
            self._on_msg4(sess, fields, norm())

    # -------------------------------------------------------- negotiation --
    def _retained_for(self, jid):
        return self.retained.setdefault(jid.split("/")[0], [])

    def _own_form(self, x):
        """Gajim canonicalises the form it built itself: no declarations there."""
        return normalise_form(ET.fromstring(x.ser()))

    def _dh_pair(self, g):
        p, gen = modp(g)

        def fresh():
            x = 2 ** 255 + secrets.randbelow(p - 1 - 2 ** 255)
            return x, pow(gen, x, p)
        return self._rand("dh:%d" % g, fresh)

    def start(self, to):
        """Message 1 exactly as Gajim's negotiate_e2e built it (transcript #1):
        field order and types, `<required />` placement, 8-byte my_nonce, modp
        as options with label="None", one dhhash per group."""
        with self.cond:
            sess = ESession(self._rand("thread", lambda: _token(32)), to, "initiator")
            sess.n_s = self._rand("my_nonce", lambda: secrets.token_bytes(8))
            sess.privs = {}
            hashes = []
            for g in self.modp_offer:
                x_priv, e = self._dh_pair(g)
                sess.privs[g] = (x_priv, e)
                hashes.append(b64(sha256(mpi(e))))
            fields = [
                field("FORM_TYPE", NS_SSN, "hidden"),
                field("accept", "1", "boolean", required=True),
                field("logging", [], "list-single", self.logging_preference(), True),
                field("disclosure", [], "list-single", ["never"], True),
                field("security", [], "list-single", ["e2e"], True),
                field("crypt_algs", "aes128-ctr", "hidden"),
                field("hash_algs", "sha256", "hidden"),
                field("compress", "none", "hidden"),
                field("stanzas", [], "list-multi", ["message"]),
                field("init_pubkey", [], "list-single", ["none", "key", "hash"]),
                field("resp_pubkey", [], "list-single", ["none", "key"]),
                field("ver", "1.0", "hidden"),
                field("rekey_freq", "4294967295", "hidden"),
                field("sas_algs", "sas28x5", "hidden"),
                field("sign_algs", XMLDSIG_RSA_SHA256, "hidden"),
                field("my_nonce", b64(sess.n_s), "hidden"),
                field("modp", [], "list-single", [(None, str(g)) for g in self.modp_offer]),
                field("dhhashes", hashes, "hidden"),
            ]
            fields = [self.offer_overrides.get(f.var(), f) for f in fields]
            x = dataform("form", fields)
            sess.form_a = self._own_form(x)
            self.sessions[sess.thread] = sess
            self._send(sess, message(to, [Node("feature", ns=NS_FEATNEG, kids=[x])]))
            return sess

    def _verify_options_bob(self, fields):
        """Gajim's responder choices: fixed values it insists on, its own
        logging preference (its second choice would need the user's consent:
        given when auto_accept, and then the field goes last), rekey_freq
        echoed.  Returns (negotiated {var: value} in Gajim's order, not_acceptable)."""
        fixed = {"disclosure": "never", "security": "e2e", "crypt_algs": "aes128-ctr",
                 "hash_algs": "sha256", "compress": "none", "stanzas": "message",
                 "init_pubkey": "none", "resp_pubkey": "none", "ver": "1.0",
                 "sas_algs": "sas28x5"}
        negotiated, not_acceptable, ask_user = {}, [], {}
        for name, (ftype, values, options) in fields.items():
            if ftype not in ("list-single", "list-multi"):
                options = values
            if name in fixed:
                if fixed[name] in options:
                    negotiated[name] = fixed[name]
                else:
                    not_acceptable.append(name)
            elif name == "rekey_freq":
                negotiated[name] = str(int(options[0]))
            elif name == "logging":
                prefs = self.logging_preference()
                if prefs[0] in options:
                    negotiated[name] = prefs[0]
                elif prefs[1] in options and self.auto_accept:
                    ask_user[name] = prefs[1]
                else:
                    not_acceptable.append(name)
            elif name == "sign_algs":
                if XMLDSIG_RSA_SHA256 in options:
                    negotiated[name] = XMLDSIG_RSA_SHA256
        negotiated.update(ask_user)
        return negotiated, not_acceptable

    def _respond(self, frm, thread, fields, form_a):
        """Message 2 exactly as Gajim's respond_e2e_bob built it (transcript #2):
        every field text-single, accept `true`, the negotiated fields in the
        request's order, modp (the FIRST offered option, as Gajim did), then
        my_nonce (8 bytes), dhkeys, counter (MPI) and nonce."""
        sess = ESession(thread, frm, "responder")
        sess.request_fields = fields
        self.sessions[thread] = sess
        if "dhkeys" in fields:
            sess.state, sess.why = "failed", "3-message negotiation (Gajim refuses it)"
            return
        negotiated, not_acceptable = self._verify_options_bob(fields)
        sess.choices = {var: [value] for var, value in negotiated.items()}
        try:
            # Gajim reads modp from the OPTIONS only: a <value/>-only field
            # made it crash (INTEROP R20)
            g = int(fields["modp"][2][0])
            sess.n_o = unb64(value(fields, "my_nonce"))
            he = unb64(fields["dhhashes"][1][0])
            p, gen = modp(g)
        except (KeyError, ValueError, IndexError, TypeError) as exc:
            sess.state, sess.why = "failed", "Gajim could not read the request: %r" % exc
            return
        sess.group, sess.p, sess.he = g, p, he
        sess.form_a = form_a
        sess.n_s = self._rand("my_nonce", lambda: secrets.token_bytes(8))

        def fresh_counter():
            ca = secrets.token_bytes(16)
            if self.counter_prefix is not None:
                ca = self.counter_prefix + ca[len(self.counter_prefix):]
            return ca
        sess.c_a = from_bytes(self._rand("counter", fresh_counter))
        sess.c_b = sess.c_a ^ (1 << 127)
        sess.y = self._rand("y", lambda: 2 ** 255 + secrets.randbelow(p - 1 - 2 ** 255))
        sess.d = pow(gen, sess.y, p)
        parts = [field("FORM_TYPE", NS_SSN), field("accept", "true")]
        parts += [field(var, value) for var, value in negotiated.items()]
        parts += [field("modp", str(g)),
                  field("my_nonce", b64(sess.n_s)),
                  field("dhkeys", b64(mpi(sess.d))),
                  field("counter", b64(mpi(sess.c_a))),
                  field("nonce", b64(sess.n_o))]
        x = dataform("submit", parts)
        sess.form_b = self._own_form(x)
        msg = message(frm, [Node("feature", ns=NS_FEATNEG, kids=[x])])
        if not_acceptable:
            # Gajim's refusal (transcript, part 2, probe 6): the whole answer
            # as an error, the refused fields inside <error/>
            sess.not_acceptable = not_acceptable
            sess.state, sess.why = "failed", "not acceptable: %s" % ", ".join(not_acceptable)
            msg.attrs.insert(0, ("type", "error"))
            msg.add(Node("error", [("type", "cancel"), ("code", "406")], kids=[
                Node("not-acceptable", ns=NS_STANZAS),
                Node("text", ns=NS_STANZAS, text=NOT_ACCEPTABLE_TEXT),
                Node("feature", ns=NS_FEATNEG,
                     kids=[Node("field", [("var", v)]) for v in not_acceptable])]))
        self._send(sess, msg)

    def _on_msg2(self, sess, fields, form_b):
        """Message 3 exactly as Gajim's accept_e2e_alice built it (transcript
        #3): FORM_TYPE, accept `1`, nonce, rshashes (one HMAC per secret held,
        one random value when none), dhkeys, identity, mac."""
        try:
            for var, (_, vals, _) in fields.items():
                sess.choices[var] = vals
            g = int(value(fields, "modp"))
            sess.n_o = unb64(value(fields, "my_nonce"))
            d = from_bytes(unb64(value(fields, "dhkeys")))
            ca = from_bytes(unb64(value(fields, "counter")))
            sess.nonce_echo_ok = unb64(value(fields, "nonce")) == sess.n_s
            x_priv, e = sess.privs[g]
        except (KeyError, ValueError, TypeError) as exc:
            sess.state, sess.why = "failed", "bad response: %r" % exc
            return
        p, _ = modp(g)
        if not 1 < d < p - 1 or x_priv is None:
            sess.state, sess.why = "failed", "d out of range or no secret for group %d" % g
            return
        sess.group, sess.p, sess.d, sess.e = g, p, d, e
        sess.c_a, sess.c_b = ca, ca ^ (1 << 127)
        sess.k = sha256(mpi(pow(d, x_priv, p)))
        kc_a, km_a, ks_a = derive(sess.k, "Initiator")
        sess.form_b = form_b
        rsh = [b64(hmac256(sess.n_s, rs)) for rs, _ in self._retained_for(sess.peer_jid)]
        if not rsh:
            rsh = [b64(self._rand("rshash-filler", lambda: secrets.token_bytes(32)))]
        parts = [field("FORM_TYPE", NS_SSN), field("accept", "1"),
                 field("nonce", b64(sess.n_o)),
                 field("rshashes", rsh),
                 field("dhkeys", b64(mpi(e)))]
        form_a2 = self._own_form(dataform("result", parts))
        mac_a = hmac256(ks_a, sess.n_o + sess.n_s + mpi(e) + sess.form_a + form_a2)
        c_before = sess.c_a
        id_a = Ctr(kc_a, sess.c_a).crypt(mac_a)
        sess.c_s = (sess.c_a + (len(mac_a) + 15) // 16) % (1 << 128)
        m_a = hmac256(km_a, mpi(c_before) + id_a)
        parts += [field("identity", b64(id_a)), field("mac", b64(m_a))]
        sess.sas = sas28(m_a, sess.form_b)
        sess.sas_padded = sas28_padded(m_a, sess.form_b)
        self._send(sess, message(sess.peer_jid, [
            Node("feature", ns=NS_FEATNEG, kids=[dataform("result", parts)])]))

    def _final_keys(self, sess, srs):
        k = sha256(sess.k + (srs or b""))
        sess.kc_a, sess.km_a, _ = derive(k, "Initiator")
        sess.kc_b, sess.km_b, sess.ks_b = derive(k, "Responder")
        new_rs = hmac256(k, b"New Retained Secret")
        sess.new_retained = new_rs
        store = self._retained_for(sess.peer_jid)
        for item in store:
            if srs is not None and item[0] == srs:
                item[0] = new_rs
                break
        else:
            store.append([new_rs, False])
        sess.srs_found = srs is not None
        if sess.role == "initiator":
            sess.kc_s, sess.km_s, sess.kc_o, sess.km_o = sess.kc_a, sess.km_a, sess.kc_b, sess.km_b
        else:
            sess.kc_s, sess.km_s, sess.kc_o, sess.km_o = sess.kc_b, sess.km_b, sess.kc_a, sess.km_a

    def _on_msg3(self, sess, fields, form_a2):
        """Message 4 exactly as Gajim's accept_e2e_bob built it (transcript #4):
        in <init/>, FORM_TYPE, nonce, srshash, identity, mac, all text-single."""
        try:
            if unb64(value(fields, "nonce")) != sess.n_s:
                raise ValueError("nonce")
            e_raw = unb64(value(fields, "dhkeys"))
            id_a = unb64(value(fields, "identity"))
            m_a = unb64(value(fields, "mac"))
            rshashes = fields.get("rshashes", (None, [], []))[1]
        except (ValueError, TypeError) as exc:
            sess.state, sess.why = "failed", "bad message 3: %r" % exc
            return
        e = from_bytes(e_raw)
        if not hmac.compare_digest(sha256(mpi(e)), sess.he) or not 1 < e < sess.p - 1:
            sess.state, sess.why = "failed", "e does not match its commitment"
            return
        sess.e = e
        sess.k = sha256(mpi(pow(e, sess.y, sess.p)))
        kc_a, km_a, ks_a = derive(sess.k, "Initiator")
        if not hmac.compare_digest(hmac256(km_a, mpi(sess.c_a) + id_a), m_a):
            sess.state, sess.why = "failed", "identity MAC M_A"
            return
        mac_a = Ctr(kc_a, sess.c_a).crypt(id_a)
        sess.c_o = (sess.c_a + (len(id_a) + 15) // 16) % (1 << 128)
        want = hmac256(ks_a, sess.n_s + sess.n_o + mpi(e) + sess.form_a + form_a2)
        if not hmac.compare_digest(want, mac_a):
            sess.state, sess.why = "failed", "mac_A"
            return
        sess.sas = sas28(m_a, sess.form_b)
        sess.sas_padded = sas28_padded(m_a, sess.form_b)
        srs = None
        for rs, _ in self._retained_for(sess.peer_jid):
            if b64(hmac256(sess.n_o, rs)) in rshashes:
                srs = rs
                break
        self._final_keys(sess, srs)
        srshash = (hmac256(srs, b"Shared Retained Secret") if srs else
                   self._rand("srshash-random", lambda: secrets.token_bytes(32)))
        parts = [field("FORM_TYPE", NS_SSN),
                 field("nonce", b64(sess.n_o)),
                 field("srshash", b64(srshash))]
        form_b2 = self._own_form(dataform("result", parts))
        mac_b = hmac256(sess.ks_b, sess.n_o + sess.n_s + mpi(sess.d) + sess.form_b + form_b2)
        id_b = Ctr(sess.kc_b, sess.c_b).crypt(mac_b)
        m_b = hmac256(sess.km_b, mpi(sess.c_b) + id_b)
        sess.c_s = (sess.c_b + (len(mac_b) + 15) // 16) % (1 << 128)
        parts += [field("identity", b64(id_b)), field("mac", b64(m_b))]
        self._send(sess, message(sess.peer_jid, [
            Node("init", ns=NS_ESESSION_INIT, kids=[dataform("result", parts)])]))
        sess.state = "active"

    def _on_msg4(self, sess, fields, form_b2):
        try:
            srshash = unb64(value(fields, "srshash"))
            id_b = unb64(value(fields, "identity"))
            m_b = unb64(value(fields, "mac"))
        except (ValueError, TypeError) as exc:
            sess.state, sess.why = "failed", "bad message 4: %r" % exc
            return
        srs = None
        for rs, _ in self._retained_for(sess.peer_jid):
            if hmac.compare_digest(hmac256(rs, b"Shared Retained Secret"), srshash):
                srs = rs
                break
        self._final_keys(sess, srs)
        if not hmac.compare_digest(hmac256(sess.km_b, mpi(sess.c_b) + id_b), m_b):
            sess.state, sess.why = "failed", "identity MAC M_B"
            return
        mac_b = Ctr(sess.kc_b, sess.c_b).crypt(id_b)
        sess.c_o = (sess.c_b + (len(id_b) + 15) // 16) % (1 << 128)
        want = hmac256(sess.ks_b, sess.n_s + sess.n_o + mpi(sess.d) + sess.form_b + form_b2)
        if not hmac.compare_digest(want, mac_b):
            sess.state, sess.why = "failed", "mac_B"
            return
        sess.state = "active"

    # ----------------------------------------------------------- stanzas --
    def placeholder(self):
        """Gajim's fallback body: translated, then the English in parentheses,
        unless LANG is unset or exactly 'en' (so doubled for en_US.UTF-8)."""
        if self.lang is not None and self.lang != "en":
            return "%s (%s)" % (PLACEHOLDER, PLACEHOLDER)
        return PLACEHOLDER

    def send_text(self, sess, text, tamper=False):
        """An encrypted message as Gajim sent it (transcript #5): type chat,
        thread, <c/> with the MAC over m_content || MPI(C before) (Gajim's
        send-side form, INTEROP R6), the fallback body, the 0.16 hints; the
        payload is Gajim's serialisation of <body/> and <active/>, padded with
        spaces to 16 bytes."""
        with self.cond:
            payload = (Node("body", text=text).ser(NS_CLIENT) +
                       Node("active", ns=NS_CHATSTATES).ser(NS_CLIENT))
            data = payload.encode("utf-8")
            data += b" " * (-len(data) % 16)
            old = sess.c_s
            m_final = Ctr(sess.kc_s, old).crypt(data)
            sess.c_s = (old + len(data) // 16) % (1 << 128)
            sess.counters_sent.append(old)
            m_content = Node("data", text=b64(m_final)).ser()
            mac = hmac256(sess.km_s, m_content.encode("ascii") + mpi(old))
            if tamper:
                flipped = bytearray(m_final)
                flipped[len(flipped) // 2] ^= 0x01
                m_final = bytes(flipped)
            kids = [Node("thread", text=sess.thread),
                    Node("c", ns=NS_C, kids=[Node("data", text=b64(m_final)),
                                             Node("mac", text=b64(mac))]),
                    Node("body", text=self.placeholder())]
            if self.hints:
                kids += [Node("no-permanent-store", ns=NS_HINTS), Node("no-copy", ns=NS_HINTS)]
            self._send(sess, message(sess.peer_jid, kids, "chat"))

    def terminate(self, sess):
        """Gajim ends a session with a plaintext submit form, every field
        text-single (transcript #7); it expects no acknowledgement."""
        with self.cond:
            x = dataform("submit", [field("FORM_TYPE", NS_SSN), field("terminate", "1")])
            self._send(sess, message(sess.peer_jid, [Node("feature", ns=NS_FEATNEG, kids=[x])]))
            sess.state, sess.why = "ended", "terminated by us"

    def _on_encrypted(self, sess, el, c):
        """Verify as Gajim does: HMAC(KM, m_content || C as 16 bytes)."""
        parts, data, mac = [], None, None
        for child in c:
            name = local(child.tag)
            if name == "mac":
                mac = child.text
                continue
            parts.append("<%s>%s</%s>" % (name, child.text or "", name))
            if name == "data":
                data = child.text
        try:
            mac = unb64(mac)
            data = unb64(data) if data is not None else b""
        except (ValueError, TypeError):
            sess.state, sess.why = "failed", "bad base64 in <c/>"
            return
        m_content = "".join(parts).encode("ascii")
        want = hmac256(sess.km_o, m_content + sess.c_o.to_bytes(16, "big"))
        if not hmac.compare_digest(want, mac):
            sess.state, sess.why = "failed", "stanza MAC"
            return
        sess.counters_recv.append(sess.c_o)
        sess.data_lengths.append(len(data))   # Gajim cannot decrypt a partial block (R14)
        plain = Ctr(sess.kc_o, sess.c_o).crypt(data)
        sess.c_o = (sess.c_o + (len(data) + 15) // 16) % (1 << 128)
        text = plain.decode("utf-8").rstrip()
        sess.payloads.append(text)
        # Gajim parses the payload inside a namespace-less <node/> and finds
        # <body/> by name; XEP-0200 §7.4 step 6 puts it back into the stanza
        # (jabber:client) and parses: record whether that strict reading works.
        wrapped = ET.fromstring("<node>%s</node>" % text)
        body = next((ch for ch in wrapped if local(ch.tag) == "body"), None)
        if body is not None:
            sess.received.append(body.text or "")
            strict = ET.fromstring("<x xmlns='jabber:client'>%s</x>" % text)
            sess.body_ns_ok.append(strict.find("{%s}body" % NS_CLIENT) is not None)
        feature = wrapped.find("{%s}feature" % NS_FEATNEG)
        if feature is not None:
            x = feature.find("{%s}x" % NS_XDATA)
            if x is not None and first(form_fields(x), "terminate") in ("1", "true"):
                sess.terminate_seen = "encrypted"
                sess.state, sess.why = "ended", "terminated by the peer (encrypted)"
        sess.placeholder_next_to_c = el.find("{%s}body" % NS_CLIENT) is not None
        sess.hints_seen.append(el.find("{%s}no-permanent-store" % NS_HINTS) is not None)

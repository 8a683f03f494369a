/*
 * esess-cparts.h - the message path without whole-stanza text (issue 11
 * item 2): an encrypted message of an established session is taken apart
 * and built from libpurple's own tree (xmlnode); the engine sees only the
 * texts it needs (esess_chat_receive_c).  Only the shape every peer sends is
 * taken; anything else goes the complete way (esess_msg_inspect), so an odd
 * or hostile stanza meets exactly the checks it always met.
 */
#ifndef ESESS_CPARTS_H
#define ESESS_CPARTS_H

#include <glib.h>
#include <purple.h>

#include "esessions.h"

/* The largest stanza taken apart here (texts and attribute values): far
 * inside the engine's limits for the complete way (SECURITY 70). */
#define ESESS_CPARTS_MAX_TEXT (64u * 1024u)

/* A received stanza taken apart: in points into the stanza or the copies. */
typedef struct {
	EsessCIn in;
	char *thread;      /* owned */
	char *data_own;    /* owned when <data/> came in pieces */
	char *mac_own;
} EsessCTaken;

/* TRUE, t filled, when msg is a <message/> of the one shape taken apart
 * (see EsessCIn): type chat, normal or none, a from, every element child a
 * leaf but one unprefixed <c/> in the XEP-0200 namespace, one <thread/>
 * with text, <c/> holding one <mac/> and at most one non-empty <data/>
 * (XEP-0200 namespace, unprefixed, no attributes, no elements inside) and
 * whitespace.  FALSE otherwise, t empty.  Clear t with esess_cparts_clear. */
gboolean esess_cparts_take(xmlnode *msg, EsessCTaken *t);
void esess_cparts_clear(EsessCTaken *t);

/* The sink for esess_chat_receive_c: builds the decrypted children under a
 * holder element. */
typedef struct {
	xmlnode *root;
	xmlnode *cur;
} EsessCBuild;

extern const EsessPayloadSink esess_cparts_sink;
void esess_cparts_build_init(EsessCBuild *b);
/* Wipes the texts of the holder's tree and frees it. */
void esess_cparts_build_free(EsessCBuild *b);

/* The received stanza becomes the one to show, in place: its routing and
 * what esess_chat_kept_beside_c keeps stay, the built children come in
 * place of <c/>, everything else beside <c/> goes (SECURITY 44).  The
 * holder is consumed. */
void esess_cparts_deliver(xmlnode *msg, EsessCBuild *b);

/* ---- sending ---- */

/* The children of an outgoing msg that go inside <c/> (those for which
 * esess_chat_outside_c is FALSE), each as libpurple writes it, one after
 * the other, in *len bytes (caller wipes and frees).  NULL when msg is not
 * a plain <message/> in jabber:client. */
char *esess_cparts_payload(xmlnode *msg, size_t *len);

/* msg, whose payload went to esess_chat_encrypt_c, becomes the encrypted
 * stanza out describes, in place (the node stays its sender's, doc/hacking.md
 * pitfall 4): the children that went inside <c/> are wiped and go, the
 * attributes but id give way to to and type, and the body placeholder, the
 * thread, the kept children, the hints and <c/> come in the order the
 * complete way writes them. */
void esess_cparts_seal(xmlnode *msg, const EsessCOut *out);

#endif /* ESESS_CPARTS_H */

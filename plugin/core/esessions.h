/*
 * esessions.h - the one header of the ESession engine as a library
 * (libesessions, pkg-config esessions-0).  Include only this one.
 */
#ifndef ESESSIONS_H
#define ESESSIONS_H

/** @file esessions.h
 * @brief The umbrella header: include this one.
 *
 * @mainpage The ESession engine
 *
 * libesessions runs XMPP end-to-end encrypted sessions (XEP-0155 stanza
 * session negotiation, XEP-0116 key agreement, XEP-0200 stanza encryption)
 * as the purple-esessions plugin does, without libpurple and without I/O:
 * a client hands the engine `<message/>` stanzas as XML text and gets back
 * an EsessStep, the stanzas to send and one event to show.  The client
 * sends, shows and times out; the engine decides.
 *
 * Build against it with pkg-config:
 *
 *     cc prog.c $(pkg-config --cflags --libs esessions-0)
 *
 * and include only `<esessions.h>`.
 *
 * A session, both sides in outline (tools/esession-cli.c is a complete
 * program):
 *
 * 1. Call esess_crypto_init() once.  Optionally open an EsessStore
 *    (esess_store_open()) so that later sessions continue the chain of
 *    retained secrets, and make an EsessLimiter and an EsessKeyPool.
 * 2. The initiator calls esess_chat_start() and sends what EsessStep::send
 *    holds.
 * 3. Every incoming stanza goes through esess_msg_inspect().  A request
 *    (ESESS_MSG_NEG_REQUEST) is answered with esess_chat_accept() or
 *    esess_chat_decline(); any other kind is handed to the chat of its
 *    thread with esess_chat_receive().  Send what each step holds.
 * 4. At ESESS_EV_ESTABLISHED both sides show esess_chat_sas(); the users
 *    compare it over another channel and report with esess_chat_sas_result().
 * 5. Outgoing messages go through esess_chat_encrypt(); incoming ones come
 *    back decrypted in EsessStep::deliver with ESESS_EV_MESSAGE.
 * 6. esess_chat_terminate() ends the session; esess_chat_free() frees it.
 *
 * Every call that can fail returns an EsessStatus (ESESS_OK is 0); the
 * engine never produces user-visible text.  The protocol decisions are in
 * the project's doc/wire-profile.md (INTEROP Rn), the hostile inputs in
 * doc/threat-model.md (SECURITY n).
 */

#include "esess-export.h"
#include "esess-status.h"
#include "esess-util.h"
#include "esess-idkey.h"
#include "esess-archive.h"
#include "esess-store.h"
#include "esess-chat.h"
#include "esess-offline.h"

#endif /* ESESSIONS_H */

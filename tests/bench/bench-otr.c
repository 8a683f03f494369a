/*
 * bench-otr.c - libotr 4, two users in memory: the peer our figures are
 * compared with (doc/hacking.md).  Messages "on the wire" go through a queue.
 */
#include "config.h"

#include "bench-otr.h"
#include "bench-util.h"

#include <stdio.h>
#include <string.h>

#include <gcrypt.h>
/* libotr's headers depend on their order (proto.h first, as pidgin-otr) */
#include <libotr/proto.h>
#include <libotr/context.h>
#include <libotr/tlv.h>
#include <libotr/userstate.h>
#include <libotr/message.h>
#include <libotr/privkey.h>
#include <libotr/instag.h>

#define BENCH_OTR_PROTO "xmpp"
#define BENCH_OTR_ALICE "alice@localhost"
#define BENCH_OTR_BOB "bob@localhost"
#define BENCH_OTR_POLICY (OTRL_POLICY_ALLOW_V2 | OTRL_POLICY_ALLOW_V3)

typedef struct {
	char *to;
	char *msg;
} BenchOtrWire;

struct _BenchOtrPair {
	OtrlUserState alice;
	OtrlUserState bob;
	GQueue wire;  /* BenchOtrWire *, in send order */
	int errors;
};

static OtrlPolicy
bench_otr_policy_cb(void *opdata, ConnContext *context)
{
	return BENCH_OTR_POLICY;
}

static int
bench_otr_logged_in_cb(void *opdata, const char *accountname, const char *protocol,
		       const char *recipient)
{
	return 1;
}

static void
bench_otr_inject_cb(void *opdata, const char *accountname, const char *protocol,
		    const char *recipient, const char *message)
{
	BenchOtrPair *p = opdata;
	BenchOtrWire *w = g_new0(BenchOtrWire, 1);

	w->to = g_strdup(recipient);
	w->msg = g_strdup(message);
	g_queue_push_tail(&p->wire, w);
}

static int
bench_otr_max_size_cb(void *opdata, ConnContext *context)
{
	return 0;  /* no fragmentation: XMPP carries whole messages */
}

static void
bench_otr_msg_event_cb(void *opdata, OtrlMessageEvent ev, ConnContext *context,
		       const char *message, gcry_error_t err)
{
	BenchOtrPair *p = opdata;

	switch (ev) {
	case OTRL_MSGEVENT_NONE:
	case OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD:
	case OTRL_MSGEVENT_LOG_HEARTBEAT_SENT:
		return;
	case OTRL_MSGEVENT_ENCRYPTION_REQUIRED:
	case OTRL_MSGEVENT_ENCRYPTION_ERROR:
	case OTRL_MSGEVENT_CONNECTION_ENDED:
	case OTRL_MSGEVENT_SETUP_ERROR:
	case OTRL_MSGEVENT_MSG_REFLECTED:
	case OTRL_MSGEVENT_MSG_RESENT:
	case OTRL_MSGEVENT_RCVDMSG_NOT_IN_PRIVATE:
	case OTRL_MSGEVENT_RCVDMSG_UNREADABLE:
	case OTRL_MSGEVENT_RCVDMSG_MALFORMED:
	case OTRL_MSGEVENT_RCVDMSG_GENERAL_ERR:
	case OTRL_MSGEVENT_RCVDMSG_UNENCRYPTED:
	case OTRL_MSGEVENT_RCVDMSG_UNRECOGNIZED:
	case OTRL_MSGEVENT_RCVDMSG_FOR_OTHER_INSTANCE:
		p->errors++;
		return;
	}
	p->errors++;
}

static OtrlMessageAppOps bench_otr_ops = {
	.policy = bench_otr_policy_cb,
	.is_logged_in = bench_otr_logged_in_cb,
	.inject_message = bench_otr_inject_cb,
	.max_message_size = bench_otr_max_size_cb,
	.handle_msg_event = bench_otr_msg_event_cb,
};

void
bench_otr_keys(OtrlUserState us, const char *account)
{
	FILE *f;
	gcry_error_t err;

	f = tmpfile();
	if (f == NULL)
		bench_fail("libotr", "tmpfile");
	err = otrl_privkey_generate_FILEp(us, f, account, BENCH_OTR_PROTO);
	fclose(f);
	if (err)
		bench_fail("libotr DSA key generation", gcry_strerror(err));
	f = tmpfile();
	if (f == NULL)
		bench_fail("libotr", "tmpfile");
	err = otrl_instag_generate_FILEp(us, f, account, BENCH_OTR_PROTO);
	fclose(f);
	if (err)
		bench_fail("libotr instance tag", gcry_strerror(err));
}

BenchOtrPair *
bench_otr_pair_new(void)
{
	BenchOtrPair *p;

	if (otrl_init(OTRL_VERSION_MAJOR, OTRL_VERSION_MINOR, OTRL_VERSION_SUB))
		bench_fail("libotr", "otrl_init");
	p = g_new0(BenchOtrPair, 1);
	g_queue_init(&p->wire);
	p->alice = otrl_userstate_create();
	p->bob = otrl_userstate_create();
	bench_otr_keys(p->alice, BENCH_OTR_ALICE);
	bench_otr_keys(p->bob, BENCH_OTR_BOB);
	return p;
}

static void
bench_otr_wire_free(BenchOtrWire *w)
{
	g_free(w->to);
	g_free(w->msg);
	g_free(w);
}

/* Delivers everything on the wire (each delivery may queue replies).
 * Returns the number of messages that were not protocol messages. */
static int
bench_otr_pump(BenchOtrPair *p)
{
	BenchOtrWire *w;
	int user_msgs = 0;

	while ((w = g_queue_pop_head(&p->wire)) != NULL) {
		gboolean to_bob = strcmp(w->to, BENCH_OTR_BOB) == 0;
		char *newmsg = NULL;
		OtrlTLV *tlvs = NULL;
		int internal;

		internal = otrl_message_receiving(to_bob ? p->bob : p->alice, &bench_otr_ops, p,
						  to_bob ? BENCH_OTR_BOB : BENCH_OTR_ALICE,
						  BENCH_OTR_PROTO,
						  to_bob ? BENCH_OTR_ALICE : BENCH_OTR_BOB,
						  w->msg, &newmsg, &tlvs, NULL, NULL, NULL);
		if (!internal)
			user_msgs++;
		otrl_message_free(newmsg);
		otrl_tlv_free(tlvs);
		bench_otr_wire_free(w);
	}
	return user_msgs;
}

static ConnContext *
bench_otr_context(OtrlUserState us, const char *user, const char *account)
{
	return otrl_context_find(us, user, account, BENCH_OTR_PROTO, OTRL_INSTAG_BEST,
				 0, NULL, NULL, NULL);
}

gboolean
bench_otr_ake(BenchOtrPair *p)
{
	char *query;
	ConnContext *ca;
	ConnContext *cb;

	query = otrl_proto_default_query_msg(BENCH_OTR_ALICE, BENCH_OTR_POLICY);
	bench_otr_inject_cb(p, BENCH_OTR_ALICE, BENCH_OTR_PROTO, BENCH_OTR_BOB, query);
	free(query);
	(void)bench_otr_pump(p);
	ca = bench_otr_context(p->alice, BENCH_OTR_BOB, BENCH_OTR_ALICE);
	cb = bench_otr_context(p->bob, BENCH_OTR_ALICE, BENCH_OTR_BOB);
	return ca != NULL && cb != NULL && p->errors == 0 &&
	       ca->msgstate == OTRL_MSGSTATE_ENCRYPTED &&
	       cb->msgstate == OTRL_MSGSTATE_ENCRYPTED;
}

void
bench_otr_forget(BenchOtrPair *p)
{
	otrl_context_forget_all(p->alice);
	otrl_context_forget_all(p->bob);
}

gboolean
bench_otr_message(BenchOtrPair *p, const char *msg)
{
	char *enc = NULL;
	char *plain = NULL;
	OtrlTLV *tlvs = NULL;
	gcry_error_t err;
	int internal;
	gboolean ok;

	err = otrl_message_sending(p->alice, &bench_otr_ops, p, BENCH_OTR_ALICE,
				   BENCH_OTR_PROTO, BENCH_OTR_BOB, OTRL_INSTAG_BEST, msg,
				   NULL, &enc, OTRL_FRAGMENT_SEND_SKIP, NULL, NULL, NULL);
	if (err || enc == NULL)
		return FALSE;
	internal = otrl_message_receiving(p->bob, &bench_otr_ops, p, BENCH_OTR_BOB,
					  BENCH_OTR_PROTO, BENCH_OTR_ALICE, enc, &plain,
					  &tlvs, NULL, NULL, NULL);
	ok = !internal && plain != NULL && strcmp(plain, msg) == 0 && p->errors == 0;
	otrl_message_free(enc);
	otrl_message_free(plain);
	otrl_tlv_free(tlvs);
	/* heartbeats, if libotr decides to send one, are delivered untimed */
	if (!g_queue_is_empty(&p->wire))
		(void)bench_otr_pump(p);
	return ok;
}

gboolean
bench_otr_proto(BenchOtrPair *p, const char *msg)
{
	ConnContext *ca = bench_otr_context(p->alice, BENCH_OTR_BOB, BENCH_OTR_ALICE);
	ConnContext *cb = bench_otr_context(p->bob, BENCH_OTR_ALICE, BENCH_OTR_BOB);
	char *enc = NULL;
	char *plain = NULL;
	OtrlTLV *tlvs = NULL;
	unsigned char flags = 0;
	gcry_error_t err;
	gboolean ok;

	if (ca == NULL || cb == NULL)
		return FALSE;
	err = otrl_proto_create_data(&enc, ca, msg, NULL, 0, NULL);
	if (err || enc == NULL)
		return FALSE;
	err = otrl_proto_accept_data(&plain, &tlvs, cb, enc, &flags, NULL);
	ok = !err && plain != NULL && strcmp(plain, msg) == 0;
	free(enc);
	free(plain);
	otrl_tlv_free(tlvs);
	return ok;
}

void
bench_otr_pair_free(BenchOtrPair *p)
{
	BenchOtrWire *w;

	if (p == NULL)
		return;
	while ((w = g_queue_pop_head(&p->wire)) != NULL)
		bench_otr_wire_free(w);
	otrl_userstate_free(p->alice);
	otrl_userstate_free(p->bob);
	g_free(p);
}

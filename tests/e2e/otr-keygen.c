/*
 * otr-keygen.c - makes the OTR DSA keys and instance tags for the accounts
 * of `make bench-e2e`, before the clients start (issue 11 item 6).
 * pidgin-otr would generate a missing key behind a GTK dialog, and a key or
 * tag made during the run would land in the time to private.
 *
 * Usage: esess-otr-keygen KEYFILE INSTAGFILE ACCOUNT...
 * writes pidgin-otr's otr.private_key and otr.instance_tags (libotr's own
 * file formats) holding one key and one tag per ACCOUNT, protocol
 * prpl-jabber; the driver copies both into each client's user dir.
 */
#include "config.h"

#include <gcrypt.h>
#include <stdio.h>

/* libotr's headers depend on their order (proto.h first, as pidgin-otr) */
#include <libotr/proto.h>
#include <libotr/userstate.h>
#include <libotr/privkey.h>
#include <libotr/instag.h>

int
main(int argc, char **argv)
{
	OtrlUserState us;
	gcry_error_t err;
	int i;

	if (argc < 4) {
		fprintf(stderr, "usage: %s KEYFILE INSTAGFILE ACCOUNT...\n", argv[0]);
		return 2;
	}
	/* as pidgin-otr does: the key needs no blocking entropy */
	gcry_control(GCRYCTL_ENABLE_QUICK_RANDOM, 0);
	OTRL_INIT;
	us = otrl_userstate_create();
	for (i = 3; i < argc; i++) {
		err = otrl_privkey_generate(us, argv[1], argv[i], "prpl-jabber");
		if (err == 0)
			err = otrl_instag_generate(us, argv[2], argv[i], "prpl-jabber");
		if (err != 0) {
			fprintf(stderr, "%s: %s: %s\n", argv[0], argv[i], gcry_strerror(err));
			otrl_userstate_free(us);
			return 1;
		}
	}
	otrl_userstate_free(us);
	return 0;
}

/*
 * fuzz-neg-respond: bytes -> a <message/> -> the responder's handling of
 * message 1 (esess_neg_respond): form parsing, option choice, commitments,
 * nonces, error replies.  Reaches SECURITY 8, 14, 16, 17-23, 59, 60.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "esess-crypto.h"
#include "esess-negotiate.h"
#include "esess-xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gboolean init;
	EsessXmlNode *root = NULL;
	const EsessXmlNode *feat;
	EsessNegConfig cfg;
	EsessNegOut o = { NULL, NULL };
	EsessNeg *neg = NULL;

	if (!init) {
		if (esess_crypto_init() != ESESS_OK)
			return 0;
		init = TRUE;
	}
	if (esess_xml_parse((const char *)data, size, NULL, &root) != ESESS_OK)
		return 0;
	feat = esess_xml_child(root, "feature", ESESS_NS_FEATURENEG);
	if (feat != NULL) {
		memset(&cfg, 0, sizeof cfg);
		cfg.account = "bob@example.com";
		cfg.peer = "alice@example.org";
		cfg.policy.min_modp_bits = 2048;
		cfg.policy.logging = ESESS_LOGPREF_PREFER;
		cfg.policy.min_rekey_freq = 1;
		if (esess_neg_respond(&cfg, feat, &neg, &o) == ESESS_OK)
			esess_neg_free(neg);
		esess_neg_out_clear(&o);
	}
	esess_xml_free(root);
	return 0;
}

/* fuzz-form: bytes -> esess_xml_parse -> esess_form_parse -> choose/check,
 * writer and R7 canonicaliser (SECURITY 23, 59, 60; modelled on OSS-Fuzz
 * pidgin_xml_fuzzer.c).  Input is an <x xmlns='jabber:x:data'/> or a stanza
 * holding <feature><x/></feature>. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "esess-featneg.h"
#include "esess-form.h"
#include "esess-xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EsessForm *
our_offer(const EsessFeatPolicy *pol)
{
	static const guint groups[] = { 15, 14, 16 };
	EsessForm *offer = NULL;

	if (esess_featneg_build_offer(pol, groups, G_N_ELEMENTS(groups), &offer) != ESESS_OK)
		abort();
	return offer;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ex[] = { "identity", "mac", NULL };
	EsessXmlNode *root = NULL, *x, *back;
	EsessForm *f = NULL, *ans = NULL, *offer;
	EsessFeatPolicy pol;
	EsessChoice c;
	GPtrArray *bad;
	GString *canon;

	if (esess_xml_parse((const char *)data, size, NULL, &root) != ESESS_OK)
		return 0;
	x = root;
	if (!esess_xml_is(x, "x", ESESS_NS_XDATA)) {
		EsessXmlNode *feat = esess_xml_child(root, "feature", ESESS_NS_FEATURENEG);

		x = feat != NULL ? esess_xml_child(feat, "x", ESESS_NS_XDATA) : NULL;
	}
	if (x == NULL)
		goto out;
	canon = g_string_new(NULL);
	esess_form_canon(x, ex, canon);
	g_string_free(canon, TRUE);
	if (esess_form_parse(x, &f) != ESESS_OK)
		goto out;

	memset(&pol, 0, sizeof(pol));
	pol.min_modp_bits = 2048;
	pol.logging = (EsessLogPref)(size % 6);
	pol.extensions = (size & 8) != 0;
	pol.min_rekey_freq = 1;
	bad = g_ptr_array_new_with_free_func(g_free);
	if (esess_featneg_choose(f, &pol, &ans, &c, bad) == ESESS_OK) {
		if (ans == NULL || c.crypt_algs == NULL)
			abort();
		esess_choice_clear(&c);
	}
	g_ptr_array_unref(bad);
	esess_form_free(ans);
	offer = our_offer(&pol);
	if (esess_featneg_check(offer, f, &pol, &c) == ESESS_OK) {
		/* a passing check only ever holds offered values */
		if (c.modp != 15 && c.modp != 14 && c.modp != 16)
			abort();
		esess_choice_clear(&c);
	}
	esess_form_free(offer);
	/* what we write, we parse back */
	back = esess_form_to_xml(f);
	esess_form_free(f);
	f = NULL;
	if (esess_form_parse(back, &f) != ESESS_OK)
		abort();
	esess_xml_free(back);
out:
	esess_form_free(f);
	esess_xml_free(root);
	return 0;
}

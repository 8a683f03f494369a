/*
 * fuzz-neg-inspect: bytes -> esess_msg_inspect -> esess_neg_classify, and
 * for a request, the chat's tie-break.  Reaches SECURITY 45-48, 59.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "esess-chat.h"
#include "esess-negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EsessMsgInfo info;

	if (esess_msg_inspect((const char *)data, size, "alice@example.org/pda", &info) != ESESS_OK)
		return 0;
	if (info.stanza != NULL)
		(void)esess_neg_classify(info.stanza);
	esess_msg_info_clear(&info);
	return 0;
}

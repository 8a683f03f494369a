/*
 * esess-status.c - names of EsessStatus values, for logs and tests, and the
 * library's version.
 */
#include "config.h"

#include "esess-status.h"
#include "esess-util.h"

const char *
esess_version(void)
{
	return PACKAGE_VERSION;
}

static const char *const status_symbols[] = {
#define ESESS_STATUS_SYM_(sym, text) #sym,
	ESESS_STATUS_LIST(ESESS_STATUS_SYM_)
#undef ESESS_STATUS_SYM_
};

static const char *const status_names[] = {
#define ESESS_STATUS_NAME_(sym, text) text,
	ESESS_STATUS_LIST(ESESS_STATUS_NAME_)
#undef ESESS_STATUS_NAME_
};

G_STATIC_ASSERT(G_N_ELEMENTS(status_symbols) == ESESS_STATUS_COUNT_);

const char *
esess_status_symbol(EsessStatus s)
{
	if ((int)s < 0 || s >= ESESS_STATUS_COUNT_)
		return "ESESS_ERR_UNKNOWN";
	return status_symbols[s];
}

const char *
esess_status_name(EsessStatus s)
{
	if ((int)s < 0 || s >= ESESS_STATUS_COUNT_)
		return "unknown status";
	return status_names[s];
}

char *
esess_status_describe(EsessStatus s, const char *field)
{
	return g_strdup_printf("%s field=%s", esess_status_symbol(s),
			       field != NULL && *field != '\0' ? field : "none");
}

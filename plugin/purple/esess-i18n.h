/*
 * esess-i18n.h - gettext for the adapter.  Only plugin/purple and plugin/gtk
 * carry user-visible text; the engine has none.
 */
#ifndef ESESS_I18N_H
#define ESESS_I18N_H

#include "config.h"

#ifdef ENABLE_NLS
#include <glib/gi18n-lib.h>
#else
#define _(s) (s)
#define N_(s) (s)
#define ngettext(s, p, n) ((n) == 1 ? (s) : (p))
#endif

#endif /* ESESS_I18N_H */

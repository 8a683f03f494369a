/*
 * esess-clip - prints the text of an X selection: CLIPBOARD, or PRIMARY
 * with --primary.
 *
 * The Pidgin UI test selects the conversation history and reads it back with
 * this, to check that the plugin's state messages reach the conversation in
 * the user's language.  GTK 2 is there whenever the Pidgin test runs, so no
 * other clipboard tool is needed.
 */
#include "config.h"

#include <stdio.h>

#include <gtk/gtk.h>

int
main(int argc, char **argv)
{
	GtkClipboard *clip;
	gchar *text;

	if (!gtk_init_check(&argc, &argv)) {
		fprintf(stderr, "esess-clip: cannot open the display\n");
		return 2;
	}
	clip = gtk_clipboard_get(argc > 1 && g_strcmp0(argv[1], "--primary") == 0
	    ? GDK_SELECTION_PRIMARY : GDK_SELECTION_CLIPBOARD);
	text = gtk_clipboard_wait_for_text(clip);
	if (text == NULL) {
		fprintf(stderr, "esess-clip: the selection holds no text\n");
		return 1;
	}
	fputs(text, stdout);
	g_free(text);
	return 0;
}

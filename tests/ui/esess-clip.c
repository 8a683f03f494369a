/*
 * esess-clip - prints the text on the X clipboard (CLIPBOARD selection).
 *
 * The Pidgin UI test copies the conversation history and reads it back with
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
	clip = gtk_clipboard_get(GDK_SELECTION_CLIPBOARD);
	text = gtk_clipboard_wait_for_text(clip);
	if (text == NULL) {
		fprintf(stderr, "esess-clip: the clipboard holds no text\n");
		return 1;
	}
	fputs(text, stdout);
	g_free(text);
	return 0;
}

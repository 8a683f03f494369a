#!/usr/bin/env python3
"""check-i18n: no user-visible string escapes translation.

Scans plugin/purple/*.c and plugin/gtk/*.c for calls to the functions that put
text in front of the user (conversation writes, notifications, requests,
titles, command help, GTK labels and menus) and fails for every string literal
among their arguments that is not inside _( ), N_( ) or ngettext( ).
Arguments that are identifiers by contract (a request field's id, a command
name, a pref path) are listed per function and skipped; literals with no
letter in them ("%s", "\\n", "") carry no language and are allowed.

Also checks that every .c file in POTFILES.in's areas that uses _( ) is listed
in po/POTFILES.in, so xgettext sees it.

A self-test runs first on built-in snippets (one good, several bad) so the
scanner itself is shown to catch what it claims to.  TAP output.
"""
import glob
import os
import re
import sys

SRCDIR = os.environ.get("ESESS_SRCDIR",
                        os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

# function -> indices (0-based) of arguments that are NOT user-visible text
VISIBLE = {
    "purple_conversation_write": {1},          # who
    "purple_conv_im_write": {1},
    "purple_conv_chat_write": {1},
    "purple_conversation_set_title": set(),
    "serv_got_im": {1},
    "purple_notify_message": set(),
    "purple_notify_error": set(),
    "purple_notify_info": set(),
    "purple_notify_warning": set(),
    "purple_notify_formatted": set(),
    "purple_notify_userinfo": {2},
    "purple_request_action": set(),
    "purple_request_action_with_icon": set(),
    "purple_request_input": {5},               # default value
    "purple_request_choice": set(),
    "purple_request_fields": set(),
    "purple_request_yes_no": set(),
    "purple_request_ok_cancel": set(),
    "purple_request_accept_cancel": set(),
    "purple_request_field_group_new": set(),
    "purple_request_field_bool_new": {0},      # field id
    "purple_request_field_string_new": {0, 2},  # id, default value
    "purple_request_field_choice_new": {0},
    "purple_request_field_label_new": {0},
    "purple_request_field_int_new": {0},
    "purple_request_field_account_new": {0},
    "purple_request_field_image_new": {0},
    "purple_request_field_list_new": {0},
    "purple_request_field_choice_add": set(),
    "purple_request_field_list_add": set(),
    "purple_request_field_list_add_icon": {1},
    "purple_cmd_register": {0, 1, 4},          # command name, args spec, prpl id
    "purple_plugin_action_new": set(),
    "purple_menu_action_new": set(),
    "purple_plugin_pref_new_with_name_and_label": {0},
    "purple_plugin_pref_new_with_label": set(),
    "purple_plugin_pref_add_choice": set(),
    "gtk_label_new": set(),
    "gtk_label_set_text": set(),
    "gtk_label_set_markup": set(),
    "gtk_button_new_with_label": set(),
    "gtk_button_new_with_mnemonic": set(),
    "gtk_menu_item_new_with_label": set(),
    "gtk_menu_item_new_with_mnemonic": set(),
    "gtk_widget_set_tooltip_text": set(),
    "gtk_window_set_title": set(),
    "esess_gtk_menu_item": set(),
    # the core plugin's own wrappers around purple_conversation_write
    "esess_ui_system": {0, 1},
    "esess_ui_error": {0, 1},
}
WRAPPERS = ("_", "N_", "ngettext", "C_", "NC_", "dgettext", "g_dgettext")

STRING = r'"(?:[^"\\\n]|\\.)*"'


def strip_comments(src):
    """Blanks comments and character literals, keeping string literals and
    newlines (so line numbers stay right)."""
    out = []
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == '"':
            m = re.compile(STRING).match(src, i)
            j = m.end() if m else i + 1
            out.append(src[i:j])
            i = j
        elif c == "'":
            m = re.compile(r"'(?:[^'\\\n]|\\.)*'").match(src, i)
            j = m.end() if m else i + 1
            out.append(" " * (j - i))
            i = j
        elif c == "#" and (i == 0 or src[i - 1] == "\n"):
            # preprocessor lines (#include "x.h", #define ID "...") are not calls
            j = i
            while True:
                k = src.find("\n", j)
                if k < 0:
                    k = n
                    break
                if src[k - 1] != "\\":
                    break
                j = k + 1
            out.append(re.sub(r"[^\n]", " ", src[i:k]))
            i = k
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_args(src, start):
    """src[start] is '(' : returns (list of (arg_text, offset)), end index."""
    depth = 0
    args = []
    cur = start + 1
    i = start
    n = len(src)
    while i < n:
        c = src[i]
        if c == '"':
            m = re.compile(STRING).match(src, i)
            i = m.end() if m else i + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append((src[cur:i], cur))
                return args, i
        elif c == "," and depth == 1:
            args.append((src[cur:i], cur))
            cur = i + 1
        i += 1
    return args, n


def wrapped_spans(arg):
    """Spans of arg covered by a gettext wrapper call."""
    spans = []
    for m in re.finditer(r"\b(%s)\s*\(" % "|".join(re.escape(w) for w in WRAPPERS), arg):
        sub, end = split_args(arg, m.end() - 1)
        spans.append((m.start(), end + 1))
    return spans


def scan(src, name="<src>"):
    """Returns a list of 'file:line: function(): "literal"' problems."""
    text = strip_comments(src)
    problems = []
    for m in re.finditer(r"\b(%s)\s*\(" % "|".join(re.escape(f) for f in VISIBLE), text):
        func = m.group(1)
        args, _ = split_args(text, m.end() - 1)
        for idx, (arg, off) in enumerate(args):
            if idx in VISIBLE[func]:
                continue
            spans = wrapped_spans(arg)
            for lm in re.finditer(STRING, arg):
                if any(a <= lm.start() < b for a, b in spans):
                    continue
                lit = lm.group(0)
                if not re.search(r"[A-Za-z]", re.sub(r"\\.|%[-+ #0-9.]*[a-zA-Z]+", "", lit)):
                    continue
                line = text.count("\n", 0, off + lm.start()) + 1
                problems.append("%s:%d: %s(): %s" % (name, line, func, lit))
    return problems


SELF_TEST = [
    ('purple_conversation_write(conv, NULL, _("Private"), PURPLE_MESSAGE_SYSTEM, t);', 0),
    ('purple_conversation_write(conv, "esessions", "Private", flags, t);', 1),
    ('purple_notify_error(p, _("Error"), "Could not start", NULL);', 1),
    ('purple_request_action(h, _("Verify"), NULL, msg, 0, a, NULL, conv, d, 3,\n'
     '    _("They match"), G_CALLBACK(m), "They differ", G_CALLBACK(d), _("Later"), NULL);', 1),
    ('purple_request_field_bool_new("verified", _("Verified"), FALSE);', 0),
    ('purple_request_field_bool_new("verified", "Verified", FALSE);', 1),
    ('purple_cmd_register("esession", "ws", P, F, "prpl-jabber", cb, "esession start", NULL);', 1),
    ('purple_cmd_register("esession", "ws", P, F, "prpl-jabber", cb, _("esession start"), NULL);', 0),
    ('purple_conversation_set_title(conv, g_strdup_printf("%s (%s)", n, _("private")));', 0),
    ('/* purple_notify_error(p, "x y", "commented out", NULL); */', 0),
    ('gtk_label_set_text(GTK_LABEL(l), "%s");', 0),
    ('gtk_menu_item_new_with_mnemonic(cond ? "_Start" : _("_End"));', 1),
]


def main():
    tests = []
    for i, (snippet, want) in enumerate(SELF_TEST):
        got = len(scan(snippet, "self-test"))
        tests.append((got == want, "scanner self-test %d finds %d escaped string(s)" % (i + 1, want),
                      [] if got == want else ["got %d: %s" % (got, snippet)]))

    files = sorted(glob.glob(os.path.join(SRCDIR, "plugin", "purple", "*.c")) +
                   glob.glob(os.path.join(SRCDIR, "plugin", "gtk", "*.c")))
    problems = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            problems += scan(fh.read(), os.path.relpath(f, SRCDIR))
    tests.append((bool(files) and not problems,
                  "no user-visible string escapes translation (%d files)" % len(files), problems))

    with open(os.path.join(SRCDIR, "po", "POTFILES.in"), encoding="utf-8") as fh:
        listed = {ln.strip() for ln in fh if ln.strip() and not ln.startswith("#")}
    unlisted = []
    for f in files:
        rel = os.path.relpath(f, SRCDIR)
        with open(f, encoding="utf-8") as fh:
            if re.search(r"\b(_|N_|ngettext)\s*\(\s*\"", strip_comments(fh.read())) and rel not in listed:
                unlisted.append(rel + " uses _() but is not in po/POTFILES.in")
    tests.append((not unlisted, "every file with translatable strings is in po/POTFILES.in", unlisted))

    print("1..%d" % len(tests))
    failed = 0
    for i, (ok, name, notes) in enumerate(tests, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        for n in notes:
            print("# " + n)
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

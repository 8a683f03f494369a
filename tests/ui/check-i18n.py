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

Then, for every language in po/LINGUAS, what msgfmt -c does not check: the
header names the language of the file and the plural rule has the number of
forms the language needs (three for Russian and Polish), and every translation
keeps what the program or the user relies on in the msgid: printf
conversions (also in entries xgettext did not flag c-format), markup and
entities, the /esession commands, exactly one mnemonic underscore where the
msgid has one, and the leading and trailing whitespace and newlines.

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


# nplurals per language (gettext manual, "Plural forms"); a language missing
# here must be added when its catalogue is
NPLURALS = {
    "de": 2, "en_GB": 2, "es": 2, "fr": 2, "it": 2, "nl": 2, "pt": 2, "pt_BR": 2,
    "ru": 3, "pl": 3, "uk": 3, "cs": 3, "sk": 3, "hr": 3, "sr": 3,
    "ja": 1, "ko": 1, "zh_CN": 1, "zh_TW": 1, "tr": 2, "sv": 2, "da": 2, "nb": 2,
    "fi": 2, "el": 2, "hu": 2, "ca": 2,
}

PO_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r", "a": "\a"}


def po_unquote(text):
    body = text.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: PO_ESCAPES.get(m.group(1), m.group(1)), body)


def parse_po(text):
    """A small PO reader: returns a list of dicts with ctxt, id, id_plural,
    strs (list), flags, line; obsolete (#~) entries are skipped."""
    entries = []
    cur = None
    key = None

    def flush():
        if cur is not None and "id" in cur:
            entries.append(cur)

    for n, line in enumerate(text.split("\n"), 1):
        if line.startswith("#~") or not line.strip():
            continue
        if line.startswith("#,"):
            if cur is not None and "id" in cur:
                flush()
                cur = None
            cur = cur or {"flags": set(), "strs": {}, "line": n}
            cur["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        m = re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$", line)
        if m:
            word = m.group(1)
            if word in ("msgctxt", "msgid") and cur is not None and "id" in cur:
                flush()
                cur = None
            cur = cur or {"flags": set(), "strs": {}, "line": n}
            if word == "msgctxt":
                key = ("ctxt",)
            elif word == "msgid":
                key = ("id",)
            elif word == "msgid_plural":
                key = ("id_plural",)
            else:
                key = ("strs", int(m.group(2) or 0))
            val = po_unquote(m.group(3))
        elif line.startswith('"') and cur is not None and key is not None:
            val = po_unquote(line)
        else:
            raise ValueError("line %d: cannot read %r" % (n, line))
        if key[0] == "strs":
            cur["strs"][key[1]] = cur["strs"].get(key[1], "") + val
        else:
            cur[key[0]] = cur.get(key[0], "") + val
    flush()
    for e in entries:
        e["strs"] = [e["strs"][i] for i in sorted(e["strs"])]
    return entries


CONVERSION = re.compile(r"%(?:\d+\$)?[-+ #0']*(?:\d+|\*)?(?:\.\d+)?(?:hh|h|ll|l|z|j|t|L)?[diouxXeEfgGcspn%]")
MARKUP = re.compile(r"&[a-z]+;|&#\d+;|</?[a-zA-Z][^<>]*>")
COMMAND = re.compile(r"/esession(?: [a-z]+)?")


def signature(s, plural=False):
    """What a translation must keep of its msgid."""
    # a plural form may drop the number ("one message"; msgfmt -c allows
    # it too), so integer conversions are not compared in plural entries
    conv = sorted(c for c in CONVERSION.findall(s) if not (plural and c[-1] in "diu"))
    return {
        "printf conversions": conv,
        "markup": sorted(MARKUP.findall(s)),
        "/esession commands": sorted(COMMAND.findall(s)),
        "leading whitespace": re.match(r"\s*", s).group(),
        "trailing whitespace": re.search(r"\s*$", s).group(),
    }


def check_catalogue(text, lang, name):
    """Problems of one catalogue (see the module docstring)."""
    problems = []
    try:
        entries = parse_po(text)
    except ValueError as err:
        return ["%s: %s" % (name, err)]
    header = next((e for e in entries if e["id"] == "" and "ctxt" not in e), None)
    if header is None or not header["strs"]:
        return ["%s: no header entry" % name]
    fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", header["strs"][0], re.M))
    if fields.get("Language") != lang:
        problems.append("%s: header Language is %r, the file is for %r" % (name, fields.get("Language"), lang))
    m = re.search(r"nplurals\s*=\s*(\d+)\s*;\s*plural\s*=", fields.get("Plural-Forms", ""))
    nplurals = int(m.group(1)) if m else None
    if nplurals is None:
        problems.append("%s: no Plural-Forms header" % name)
    elif lang not in NPLURALS:
        problems.append("%s: add %s to NPLURALS in check-i18n.py" % (name, lang))
    elif nplurals != NPLURALS[lang]:
        problems.append("%s: Plural-Forms has nplurals=%d, %s needs %d" % (name, nplurals, lang, NPLURALS[lang]))
    for e in entries:
        if e is header or "fuzzy" in e["flags"]:
            continue
        where = "%s:%d: %r" % (name, e["line"], e["id"][:50])
        if "id_plural" in e:
            if nplurals is not None and len(e["strs"]) != nplurals:
                problems.append("%s: %d plural forms, the header says %d" % (where, len(e["strs"]), nplurals))
            pairs = [(e["id"], e["strs"][0], True)] + \
                    [(e["id_plural"], s, True) for s in e["strs"][1:]]
        else:
            pairs = [(e["id"], e["strs"][0] if e["strs"] else "", False)]
        for msgid, msgstr, plural in pairs:
            if msgstr == "":
                continue            # check-po.sh counts untranslated entries
            want, got = signature(msgid, plural), signature(msgstr, plural)
            for what in want:
                if want[what] != got[what]:
                    problems.append("%s: %s %r, the translation has %r" % (where, what, want[what], got[what]))
            # GTK mnemonics: "_" before a letter, "__" is a literal underscore
            mn = lambda s: len(re.findall(r"(?<!_)_(?=[^\W_])", s))
            if mn(msgid) == 1 and mn(msgstr) != 1:
                problems.append("%s: needs exactly one mnemonic underscore, has %d" % (where, mn(msgstr)))
    return problems


PO_HEAD = ('msgid ""\nmsgstr ""\n"Language: %s\\n"\n'
           '"Plural-Forms: nplurals=%d; plural=(n != 1);\\n"\n\n')
PO_SELF_TEST = [
    # (language of the file, nplurals in its header, body, problems wanted)
    ("es", 2, 'msgid "State: %s\\n"\nmsgstr "Estado: %s\\n"\n\n'
     'msgid "_Save"\nmsgstr "_Guardar"\n', 0),
    ("es", 2, 'msgid "Sent %s"\nmsgstr "Enviado"\n', 1),
    ("es", 2, 'msgid "State: %s\\n"\nmsgstr "Estado: %s"\n', 1),
    ("es", 2, 'msgid "Use /esession start."\nmsgstr "Use /esesion start."\n', 1),
    ("es", 2, 'msgid "a &lt;b&gt;"\nmsgstr "a <b>"\n', 1),
    ("es", 2, 'msgid "_Save"\nmsgstr "Guardar"\n', 1),
    ("ru", 2, 'msgid "x"\nmsgstr "y"\n', 1),
    ("pl", 3, 'msgid "%d message"\nmsgid_plural "%d messages"\n'
     'msgstr[0] "%d wiadomo\u015b\u0107"\nmsgstr[1] "%d wiadomo\u015bci"\n', 1),
    ("pl", 3, 'msgid "%d message"\nmsgid_plural "%d messages"\n'
     'msgstr[0] "jedna wiadomo\u015b\u0107"\nmsgstr[1] "%d wiadomo\u015bci"\n'
     'msgstr[2] "%d wiadomo\u015bci"\n', 0),
    ("it", 2, 'msgctxt "state"\nmsgid "Ended"\nmsgstr "Terminata\\n"\n', 1),
    ("it", 2, '#, fuzzy\nmsgid "Ended %s"\nmsgstr "Terminata"\n\n#~ msgid "x %s"\n#~ msgstr "y"\n', 0),
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

    for i, (lang, nplurals, body, want) in enumerate(PO_SELF_TEST):
        got = check_catalogue(PO_HEAD % (lang, nplurals) + body, lang, "self-test.po")
        tests.append((len(got) == want, "catalogue checker self-test %d finds %d problem(s)" % (i + 1, want),
                      [] if len(got) == want else ["got %d" % len(got)] + got))

    with open(os.path.join(SRCDIR, "po", "LINGUAS"), encoding="utf-8") as fh:
        langs = [w for ln in fh for w in ln.split("#", 1)[0].split()]
    for lang in langs:
        path = os.path.join(SRCDIR, "po", lang + ".po")
        with open(path, encoding="utf-8") as fh:
            problems = check_catalogue(fh.read(), lang, os.path.relpath(path, SRCDIR))
        tests.append((not problems, "%s.po: right header and plural forms; translations keep conversions, "
                      "markup, commands, mnemonics and outer whitespace" % lang, problems))

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

"""The Dutch catalogue: every message a visitor can get has a Dutch text, with the same blanks
to fill in, and the compiled file that Django reads matches the one translators edit."""

import ast
import datetime as dt
import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import formats, translation

import notifications.messages
import scheduler.errors
import scheduler.services

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "nl" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


# What visitors read, and the refusals staff read.
TRANSLATED_MODULES = [notifications.messages, scheduler.errors, scheduler.services]


def source_msgids() -> set[str]:
    """Every `_("...")` in those modules, the way makemessages finds them."""
    return {
        node.args[0].value
        for module in TRANSLATED_MODULES
        for node in ast.walk(ast.parse(Path(module.__file__).read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_no_dutch_text_is_a_fuzzy_guess():
    # makemessages fills a new message with the text of a similar old one and marks it fuzzy:
    # "Call to wait again" would read "Call to take it". Every such guess must be redone.
    assert "#, fuzzy" not in (CATALOGUE / "django.po").read_text()


def compiled(path: Path) -> dict[str, str]:
    with path.open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog
    return {msgid: text for msgid, text in catalogue.items() if msgid}


def test_every_message_has_a_dutch_text_with_the_same_blanks():
    dutch = compiled(CATALOGUE / "django.mo")
    msgids = source_msgids()

    assert len(msgids) >= 20
    missing = sorted(msgids - dutch.keys())
    assert missing == [], f"not in the Dutch catalogue: {missing}"
    for msgid in msgids:
        assert dutch[msgid].strip(), f"empty Dutch text for {msgid!r}"
        assert sorted(PLACEHOLDER.findall(dutch[msgid])) == sorted(PLACEHOLDER.findall(msgid)), (
            f"the Dutch text for {msgid!r} fills in other blanks"
        )


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext's msgfmt")
def test_the_compiled_catalogue_is_up_to_date(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check", "-o", str(fresh), str(CATALOGUE / "django.po")], check=True
    )

    assert compiled(CATALOGUE / "django.mo") == compiled(fresh), (
        "run: manage.py compilemessages -l nl"
    )


def test_days_and_months_are_dutch_under_a_dutch_translation():
    tuesday = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
    with translation.override("nl"):
        assert formats.date_format(tuesday, "l j F") == "dinsdag 3 maart"
    with translation.override("en"):
        assert formats.date_format(tuesday, "l j F") == "Tuesday 3 March"

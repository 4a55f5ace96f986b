"""Header normalisation: "E-mail Address", "e_mail address" and "emailAddress" compare equal."""

from __future__ import annotations

import re
import unicodedata

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _ascii_fold(text: str) -> str:
    """Case-folded text with accents dropped ("Prénom" -> "prenom", "Straße" -> "strasse")."""
    decomposed = unicodedata.normalize("NFKD", text.replace("#", " number "))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def compact(text: str) -> str:
    """The matching key of a header: letters and digits only, lower case, no accents."""
    return _NON_ALNUM.sub("", _ascii_fold(text))


def words(text: str) -> list[str]:
    """The header's words, camelCase split ("companyName" -> ["company", "name"])."""
    return [word for word in _NON_ALNUM.split(_ascii_fold(_CAMEL.sub(" ", text))) if word]

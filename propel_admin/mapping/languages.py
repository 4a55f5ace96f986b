"""Languages: every ISO 639-1 code, plus names and 639-2 codes of the common ones."""

from __future__ import annotations

import re

from . import messages
from .names import compact, words
from .types import Invalid

# The same list as the sandbox's (propel_admin/sandbox/validation.py): what the API takes.
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he
    hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko
    kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd
    ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se
    sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty
    ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
    """
ISO_639_1: frozenset[str] = frozenset(_ISO_639_1_CODES.split())

# Names in English, Dutch, German, French and the language itself, and ISO 639-2 codes.
_NAMES_BY_CODE = {
    "en": "english engels englisch anglais eng ingles inglese",
    "nl": "dutch nederlands niederlandisch neerlandais hollands flemish vlaams flamand nld dut",
    "de": "german duits deutsch allemand deu ger aleman tedesco",
    "fr": "french frans franzosisch francais fra fre frances francese",
    "es": "spanish spaans spanisch espagnol espanol castellano spa spagnolo",
    "it": "italian italiaans italienisch italien italiano ita",
    "pt": "portuguese portugees portugiesisch portugais portugues por",
    "pl": "polish pools polnisch polonais polski pol",
    "cs": "czech tsjechisch tschechisch tcheque cestina ces cze",
    "sk": "slovak slowaaks slowakisch slovaque slovencina slk slo",
    "hu": "hungarian hongaars ungarisch hongrois magyar hun",
    "ro": "romanian roemeens rumanisch roumain romana ron rum",
    "bg": "bulgarian bulgaars bulgarisch bulgare balgarski bul",
    "el": "greek grieks griechisch grec ellinika ell gre",
    "da": "danish deens danisch danois dansk dan",
    "sv": "swedish zweeds schwedisch suedois svenska swe",
    "no": "norwegian noors norwegisch norvegien norsk nor",
    "nb": "bokmal norwegianbokmal nob",
    "nn": "nynorsk norwegiannynorsk nno",
    "fi": "finnish fins finnisch finnois suomi fin",
    "et": "estonian ests estnisch estonien eesti est",
    "lv": "latvian lets lettisch letton latviesu lav",
    "lt": "lithuanian litouws litauisch lituanien lietuviu lit",
    "sl": "slovenian slovene sloveens slowenisch slovenscina slv",
    "hr": "croatian kroatisch croate hrvatski hrv",
    "sr": "serbian servisch serbisch serbe srpski srp",
    "bs": "bosnian bosnisch bosniaque bosanski bos",
    "uk": "ukrainian oekraiens ukrainisch ukrainien ukr",
    "ru": "russian russisch russe russkij rus",
    "be": "belarusian witrussisch belarussisch bielorusse bel",
    "tr": "turkish turks turkisch turc turkce tur",
    "ar": "arabic arabisch arabe ara",
    "he": "hebrew hebreeuws hebraisch hebreu heb",
    "fa": "persian farsi perzisch persisch persan fas per",
    "hi": "hindi hin",
    "ur": "urdu urd",
    "zh": "chinese chinees chinesisch chinois mandarin zhongwen zho chi",
    "ja": "japanese japans japanisch japonais nihongo jpn",
    "ko": "korean koreaans koreanisch coreen kor",
    "th": "thai thais thailandisch thailandais tha",
    "vi": "vietnamese vietnamees vietnamesisch vietnamien vie",
    "id": "indonesian indonesisch indonesien bahasaindonesia ind",
    "ms": "malay maleis malaiisch malais msa may",
    "lb": "luxembourgish luxemburgs luxemburgisch luxembourgeois letzebuergesch ltz",
    "ga": "irish iers irisch irlandais gaeilge gle",
    "is": "icelandic ijslands islandisch islandais islenska isl ice",
    "mt": "maltese maltees maltesisch maltais malti mlt",
    "sq": "albanian albanees albanisch albanais shqip sqi alb",
    "mk": "macedonian macedonisch mazedonisch macedonien mkd mac",
    "ca": "catalan catalaans katalanisch catala cat",
    "eu": "basque baskisch euskara eus baq",
    "gl": "galician galicisch galicien galego glg",
    "cy": "welsh walisisch gallois cymraeg cym wel",
    "af": "afrikaans afr",
    "fy": "frisian westfrisian fries friesisch frison frysk fry",
    "sw": "swahili kiswahili swa",
}
LANGUAGE_NAMES: dict[str, str] = {
    name: code for code, names in _NAMES_BY_CODE.items() for name in names.split()
}
_TAG = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{1,8})+")  # en-GB, en_US, nl-BE, zh-Hant-TW
_UNKNOWN = Invalid(messages.LANGUAGE_UNKNOWN)
_NOT_A_CODE = Invalid(messages.LANGUAGE_INVALID)


def language_code(text: str) -> str | Invalid:
    """A two-letter code (EN) exactly as the API takes it; anything else is invalid."""
    if len(text) == 2 and text.isascii():
        lower = text.lower()
        if lower in ISO_639_1:
            return text.upper()
    return _NOT_A_CODE


def language_from_text(text: str) -> str | Invalid:
    """A language name, code or tag ("Engels", "eng", "en_US") as an upper-case 639-1 code."""
    code = language_code(text)
    if not isinstance(code, Invalid):
        return code
    found = LANGUAGE_NAMES.get(text.lower()) or _lookup(compact(text))
    if found is None:
        tag = _TAG.fullmatch(text.strip().lower())
        found = _lookup(tag.group(1)) if tag else None
    if found is None:
        # "English (UK)", "Nederlands - BE"; names only, so "No preference" is not Norwegian.
        first = words(text)
        found = LANGUAGE_NAMES.get(first[0]) if first else None
    return _UNKNOWN if found is None else found.upper()


def _lookup(key: str) -> str | None:
    if len(key) == 2:
        return key if key in ISO_639_1 else None
    return LANGUAGE_NAMES.get(key)

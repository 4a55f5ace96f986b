"""The Propeller contact fields a column can feed (`POST /v2/contacts/bulk/id`).

Built from the seed's Fields table, not its request schema: the schema's `company`,
`mobile` and `language` are refused (reference §2), as are common spreadsheet columns
that have no contact field at all (addresses, full names, passwords...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .names import compact, words

FieldKind = Literal["integer", "text", "date", "gender", "language", "phone", "email"]
MAX_TEXT_LENGTH = 255  # ASSUMPTION: undocumented; a sanity limit, not the API's


def _names(text: str) -> tuple[str, ...]:
    """Names written as one "; "-separated string, to keep the tables below readable."""
    return tuple(name.strip() for name in text.split(";"))


@dataclass(frozen=True, slots=True)
class Field:
    """One target field: its API key, how people call it, and how its values are read."""

    key: str  # "parent.id" for the nested parent reference
    label: str
    help: str
    kind: FieldKind
    aliases: tuple[str, ...] = ()
    required: bool = False
    fuzzy: bool = True  # False: only exact names and aliases map here (ids, PII, source)
    pii: bool = False  # values never appear in messages
    deprecated: bool = False

    @property
    def payload_key(self) -> str:
        """The top-level key in the JSON body ("parent" for parent.id)."""
        return self.key.split(".", 1)[0]


TARGET_FIELDS: tuple[Field, ...] = (
    Field(
        "id",
        "Contact id",
        "Propeller's contact id. Required: a contact with this id is updated, or created.",
        "integer",
        _names(
            "Contact ID; ContactID; Propeller ID; Propeller contact ID; "
            "Contact number; Contact nr; Contact no; Contactnummer; Contact-ID; "
            "Kontakt-ID; Kontaktnummer; ID contact; Identifiant contact; "
            "Numéro de contact"
        ),
        required=True,
        fuzzy=False,
    ),
    Field(
        "debtorId",
        "Debtor id (deprecated)",
        "Deprecated by Propeller; a whole number.",
        "integer",
        _names(
            "Debtor ID; Debtor number; Debtor nr; Debtor no; Debiteurnummer; "
            "Debiteur nr; Debiteur ID; Debitorennummer; Debitor ID"
        ),
        fuzzy=False,
        deprecated=True,
    ),
    Field(
        "firstName",
        "First name",
        "Given name.",
        "text",
        _names(
            "Given name; Forename; fname; First; Voornaam; Roepnaam; Vorname; "
            "Prénom; Christian name"
        ),
    ),
    Field(
        "middleName",
        "Middle name",
        'Middle name, or the Dutch infix (tussenvoegsel) such as "van der".',
        "text",
        _names(
            "Middle initial; Tussenvoegsel; Tussenvoegsels; Tussenv; Mittelname; "
            "Zweiter Vorname; Deuxième prénom; Second prénom"
        ),
    ),
    Field(
        "lastName",
        "Last name",
        "Family name.",
        "text",
        _names(
            "Surname; Family name; lname; Last; Achternaam; Familienaam; Nachname; "
            "Familienname; Nom; Nom de famille"
        ),
    ),
    Field(
        "abbreviation",
        "Abbreviation",
        "Short form of the name, usually the initials.",
        "text",
        _names("Initials; Initialen; Voorletters; Initiales; Afkorting; Abkürzung"),
    ),
    Field(
        "title",
        "Title",
        "Academic or honorary title such as Dr. or Prof. (not a job title).",
        "text",
        _names("Titel; Titre; Academic title; Titulatuur"),
    ),
    Field(
        "dateOfBirth",
        "Date of birth",
        "A real date; sent as DD/MM/YYYY. Choose the column's date format.",
        "date",
        _names(
            "DOB; Birthdate; Birth date; Birthday; Born; Geboortedatum; Geb. datum; "
            "Geboren; Geburtsdatum; Geburtstag; Date de naissance; Né le; "
            "Date naissance"
        ),
        pii=True,  # masked like the SSN: an invalid date is never echoed in a message
    ),
    Field(
        "gender",
        "Gender",
        "m, f or u; words such as Male, Vrouw or Herr can be translated.",
        "gender",
        _names("Sex; Geslacht; Geschlecht; Sexe; Genre"),
    ),
    Field(
        "ssn",
        "Social security number",
        "Personal data: shown to nobody in messages or logs.",
        "text",
        _names(
            "SSN; Social security no; BSN; Burgerservicenummer; Sofinummer; "
            "Sofi nummer; Rijksregisternummer; Sozialversicherungsnummer; "
            "Numéro de sécurité sociale; NIR"
        ),
        fuzzy=False,
        pii=True,
    ),
    Field(
        "phone",
        "Phone",
        "Phone number as text; clean-up removes spaces, dots, dashes and brackets.",
        "phone",
        _names(
            "Telephone; Tel; Phone number; Telephone number; Phone no; Tel nr; "
            "Telefoon; Telefoonnummer; Telefoonnr; Telefon; Telefonnummer; "
            "Téléphone; Tél; Work phone; Business phone; Office phone; Landline"
        ),
    ),
    Field(
        "email",
        "Email",
        "A valid email address.",
        "email",
        _names(
            "E-mail; Email address; E-mail address; Mail; Mail address; E-mailadres; "
            "Emailadres; Mailadres; E-Mail-Adresse; Mailadresse; Courriel; "
            "Adresse e-mail; Adresse mail; Adresse électronique"
        ),
    ),
    Field(
        "parent.id",
        "Parent company id",
        'Propeller id of the contact\'s company; sent as {"parent": {"id": ...}}.',
        "integer",
        _names(
            "Parent ID; Company ID; Account ID; Parent company ID; Bedrijf ID; "
            "Bedrijfs-ID; Bedrijfsid; Firmen-ID; Firma ID; Unternehmens-ID; "
            "ID entreprise; ID société; Organisation ID; Organization ID"
        ),
        fuzzy=False,
    ),
    Field(
        "primaryLanguage",
        "Primary language",
        "ISO 639-1 code, sent in capitals (EN, NL); language names can be translated.",
        "language",
        _names(
            "Language; Taal; Voertaal; Correspondentietaal; Sprache; "
            "Korrespondenzsprache; Langue; Preferred language; "
            "Correspondence language; Language code; Locale"
        ),
    ),
    Field(
        "sourceId",
        "Source id",
        "The contact's id in the source system, kept as text.",
        "text",
        _names(
            "Source ID; External ID; External reference; Extern ID; Externe ID; Bron ID; Quell-ID"
        ),
        fuzzy=False,
    ),
    Field(
        "source",
        "Source",
        "Name of the source system; required when Source id is given.",
        "text",
        _names("Source system; Bron; Bronsysteem; Quelle; Quellsystem"),
        fuzzy=False,
    ),
)

_BY_KEY: dict[str, Field] = {field.key: field for field in TARGET_FIELDS}
FIELD_KEYS: tuple[str, ...] = tuple(_BY_KEY)


def field_by_key(key: str) -> Field | None:
    """The field with this API key, or None."""
    return _BY_KEY.get(key)


# --- Refused names -----------------------------------------------------------------------
_REFUSED_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "company names cannot be sent; link the contact with Parent company id",
        _names(
            "company; companyName; company name; organisation; organization; "
            "bedrijf; bedrijfsnaam; firma; firmenname; unternehmen; société; "
            "entreprise; account; account name; customer name; klant; klantnaam"
        ),
    ),
    (
        "mobile numbers cannot be sent; map the column to Phone if that is what you want",
        _names(
            "mobile; mobile phone; mobile number; mobile no; cell; cell phone; "
            "cellphone; gsm; mobiel; mobiel nummer; mobielnummer; handy; "
            "handynummer; mobiltelefon; mobilnummer; portable; téléphone portable"
        ),
    ),
    (
        "the language field is not accepted; map the column to Primary language",
        _names("language"),
    ),
    (
        "full names cannot be sent; map first and last name columns instead",
        _names(
            "fullName; full name; name; naam; volledige naam; contact name; "
            "display name; contactpersoon; ansprechpartner; nom complet"
        ),
    ),
    (
        "logins and passwords are not contact fields",
        _names(
            "login; username; user name; gebruikersnaam; benutzername; password; "
            "wachtwoord; passwort; mot de passe"
        ),
    ),
    (
        "addresses are not part of a contact on this endpoint",
        _names(
            "address; street; city; zip; zip code; zipcode; postcode; postal code; "
            "country; state; province; region; house number; adres; straat; "
            "huisnummer; plaats; woonplaats; stad; provincie; land; adresse; "
            "strasse; hausnummer; ort; stadt; plz; postleitzahl; rue; ville; "
            "code postal; pays; country code; landcode"
        ),
    ),
    (
        "websites and fax numbers are not contact fields",
        _names("website; url; web; homepage; site; site web; fax; fax number; faxnummer; telefax"),
    ),
    (
        "tax and registration numbers belong to the company",
        _names(
            "vat; vat number; vat id; btw; btw nummer; btw-nummer; ust-id; ustid; "
            "umsatzsteuer-id; tva; numéro de tva; coc number; kvk; kvk nummer; "
            "chamber of commerce; handelsregister; siret; siren"
        ),
    ),
    (
        "job titles are not accepted (Title is for titles such as Dr.)",
        _names(
            "job title; jobtitle; function; functie; funktion; fonction; position; "
            "role; rol; beruf; profession"
        ),
    ),
)
REFUSED: Mapping[str, str] = {
    compact(name): reason for reason, names in _REFUSED_GROUPS for name in names
}
# A header containing one of these words is refused even when its full name is not listed
# ("Mobile phone (work)", "Company name 2"), unless it matched a field first.
_REFUSED_WORDS: Mapping[str, str] = {
    word: REFUSED[word]
    for word in _names(
        "mobile; mobiel; gsm; cell; handy; fax; company; bedrijf; address; adres; adresse; "
        "street; straat; password; website; vat; btw"
    )
}


_FIELD_NAMES = frozenset(
    compact(name) for field in TARGET_FIELDS for name in (field.key, field.label, *field.aliases)
)


def refused_reason(header: str) -> str | None:
    """Why a column named like this is never sent; None if it is not refused.

    A field's own name or alias is never refused ("Company ID", "Language").
    """
    key = compact(header)
    if key in _FIELD_NAMES:
        return None
    reason = REFUSED.get(key)
    if reason is not None:
        return reason
    for word in words(header):
        reason = _REFUSED_WORDS.get(word)
        if reason is not None:
            return reason
    return None


def target_refused_reason(key: str) -> str | None:
    """Why a target key is refused (the schema's company/mobile/language, and the like)."""
    return None if key in _BY_KEY else REFUSED.get(compact(key))

"""Logs name each exchange but never carry the secret, a token or a contact value."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest

from propel_admin.propeller import (
    MemoryTokenStore,
    PropellerError,
    RedisTokenStore,
    SchemaValidationError,
    token_namespace,
)
from propel_admin.propeller.oauth import Token
from propel_admin.sandbox.faults import FaultConfig

from .conftest import RecordingSleep, contact
from .test_tokens import FERNET_KEY

PII = {
    "email": "zebulon.pii-marker@example.org",
    "ssn": "987-65-4329",
    "firstName": "Zebulonius",
    "lastName": "Quintessa-Marker",
    "phone": "0031699887766",
}


class RecordingStore(RedisTokenStore):
    """Remembers every token handed out, so the test can look for them in the logs."""

    seen: list[str]

    def get_or_fetch(self, fetch: Callable[[], Token]) -> Token:
        token: Token = super().get_or_fetch(fetch)
        self.seen.append(token.access_token)
        return token


def test_no_secret_token_or_contact_value_reaches_the_logs(
    sandbox, make_client, make_config, redis_conn, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "propel_admin", "requests"):
        caplog.set_level(logging.DEBUG, logger=name)
    config = make_config()
    store = RecordingStore(
        redis_conn, token_namespace(config.token_url, config.client_id), FERNET_KEY
    )
    store.seen = []
    sleep = RecordingSleep()
    client = make_client(token_store=store, sleep=sleep)
    contacts = [contact(1, **PII), contact(2, **PII)]
    errors: list[PropellerError] = []

    client.bulk_upsert_contacts(contacts)
    sandbox.expire_tokens()  # the next bulk meets a 401 and refreshes
    client.bulk_upsert_contacts(contacts)
    with pytest.raises(SchemaValidationError) as caught:
        client.bulk_upsert_contacts([contact(3, company="Acme Marker BV", **PII)])
    errors.append(caught.value)
    for faults in (
        FaultConfig(rate_500=1.0),
        FaultConfig(rate_html=1.0),
        FaultConfig(rate_truncated=1.0),
        FaultConfig(rate_429=1.0, retry_after=1),
        FaultConfig(rate_drop=1.0),
    ):
        sandbox.set_faults(faults)
        with pytest.raises(PropellerError) as caught:
            client.bulk_upsert_contacts(contacts)
        errors.append(caught.value)
    sandbox.set_faults(FaultConfig())
    assert client.get_contact(1) is not None
    wrong = make_client(client_secret="wrong-secret-marker", token_store=MemoryTokenStore())
    with pytest.raises(PropellerError) as caught:
        wrong.bulk_upsert_contacts(contacts)
    errors.append(caught.value)
    assert not wrong.check().ok

    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    text += "\n".join(str(error) for error in errors)
    # The log is real: exchanges, the 401 refresh and urllib3's own lines are there.
    assert re.search(r"POST /v2/contacts/bulk/id -> 401 .* request_id=[0-9a-f-]{36}", text)
    assert "POST /oauth2/token -> 200" in text
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    assert len(set(store.seen)) == 2
    forbidden = [config.client_secret, "wrong-secret-marker", *store.seen, *PII.values(), "Acme"]
    for value in forbidden:
        assert value not in text, f"{value[:4]}... leaked into the logs"

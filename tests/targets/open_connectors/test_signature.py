"""Callback signature verification, with the platform's published test vector."""

from hubload.targets.open_connectors.signature import sign, verify_signature

KEY = "MySecretEventSignatureKey"
BODY = b"<INSERT_EVENT_NOTIFICATION_RESPONSE_BODY>"
EXPECTED = "sha256=jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ="


def test_published_vector() -> None:
    assert sign(BODY, KEY) == EXPECTED
    assert verify_signature(BODY, EXPECTED, KEY)


def test_rejects_tampering_and_absence() -> None:
    assert not verify_signature(BODY + b" ", EXPECTED, KEY)
    assert not verify_signature(BODY, EXPECTED, KEY + "x")
    assert not verify_signature(BODY, EXPECTED.replace("sha256=", "sha1="), KEY)
    assert not verify_signature(BODY, None, KEY)
    assert not verify_signature(BODY, "", KEY)

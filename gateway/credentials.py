"""The credentials store: API keys, internal clients, officer logins and refresh tokens.

Plain functions on a SQLAlchemy session (they flush, the caller commits). API keys, client secrets and
refresh tokens are random 256-bit strings, so a SHA-256 digest found through a short public prefix (or
the digest itself) is safe and cheap; officer passwords are chosen by people and get argon2.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.models import ApiKey, InternalClient, OfficerLogin, RefreshToken
from services.common.errors import NotFound, ValidationProblem
from services.common.messages import Message
from services.common.pagination import PageParams, paginate
from services.common.principal import Scope
from services.common.timeutil import utcnow
from services.common.wilayah import check_village_code

API_KEY_PREFIX = "sk_vil_"
CLIENT_ID_PREFIX = "cli_"
CLIENT_SECRET_PREFIX = "cs_"
REFRESH_TOKEN_PREFIX = "rt_"
LOOKUP_CHARS = 12  # public part of an API key used to find its row
NRP_PATTERN = re.compile(r"^\d{8}$")
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified against when the NRP is unknown, so a wrong NRP costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- API keys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedApiKey:
    row: ApiKey
    key: str  # shown once, never stored


def create_api_key(
    session: Session, village_code: str, name: str, *, now: dt.datetime | None = None
) -> IssuedApiKey:
    reason = check_village_code(village_code)
    if reason is not None:
        raise ValidationProblem.single("village_code", reason)
    name = name.strip()
    if not name:
        raise ValidationProblem.single("name", Message("gateway.name_empty"))
    random_part = secrets.token_urlsafe(32)
    key = API_KEY_PREFIX + random_part
    row = ApiKey(
        id=uuid.uuid4().hex,
        prefix=random_part[:LOOKUP_CHARS],
        digest=digest(key),
        village_code=village_code,
        name=name[:200],
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return IssuedApiKey(row=row, key=key)


def find_api_key(session: Session, key: str) -> ApiKey | None:
    """The active key row for ``key``, or ``None`` when unknown, malformed or revoked."""
    if not key.startswith(API_KEY_PREFIX) or len(key) < len(API_KEY_PREFIX) + LOOKUP_CHARS:
        return None
    prefix = key[len(API_KEY_PREFIX) : len(API_KEY_PREFIX) + LOOKUP_CHARS]
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.digest, digest(key)):
        return None
    return row


def touch_api_key(session: Session, key_id: str, now: dt.datetime | None = None) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now or utcnow()))


def list_api_keys(
    session: Session, params: PageParams, *, village_code: str | None = None, include_revoked: bool = True
) -> tuple[list[ApiKey], str | None]:
    statement = select(ApiKey)
    if village_code is not None:
        statement = statement.where(ApiKey.village_code == village_code)
    if not include_revoked:
        statement = statement.where(ApiKey.revoked_at.is_(None))
    rows, cursor = paginate(
        session, statement, key_columns=[ApiKey.id], params=params, key_of=lambda row: [row.id]
    )
    return rows, cursor


def revoke_api_key(session: Session, key_id: str, *, now: dt.datetime | None = None) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFound(Message("gateway.api_key_not_found", key_id=key_id))
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.flush()
    return row


# --- internal clients ------------------------------------------------------------------------------


def parse_scopes(scopes: Iterable[str]) -> list[str]:
    """Known scopes, deduplicated and sorted; an unknown one is a 422."""
    known = {scope.value for scope in Scope}
    result: set[str] = set()
    for raw in scopes:
        for scope in raw.replace(",", " ").split():
            if scope not in known:
                raise ValidationProblem.single(
                    "scope", Message("gateway.unknown_scope", scope=repr(scope), known=sorted(known))
                )
            result.add(scope)
    return sorted(result)


@dataclass(frozen=True)
class IssuedClient:
    client_id: str
    client_secret: str  # shown once, never stored
    scopes: list[str]


def create_client(
    session: Session, name: str, scopes: Iterable[str], *, now: dt.datetime | None = None
) -> IssuedClient:
    scope_list = parse_scopes(scopes)
    if not scope_list:
        raise ValidationProblem.single("scope", Message("gateway.one_scope"))
    client_id = CLIENT_ID_PREFIX + secrets.token_hex(8)
    secret = CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    session.add(
        InternalClient(
            client_id=client_id,
            digest=digest(secret),
            scopes=" ".join(scope_list),
            name=name.strip()[:200] or client_id,
            created_at=now or utcnow(),
        )
    )
    session.flush()
    return IssuedClient(client_id=client_id, client_secret=secret, scopes=scope_list)


def verify_client(session: Session, client_id: str, client_secret: str) -> InternalClient | None:
    row = session.get(InternalClient, client_id)
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.digest, digest(client_secret)):
        return None
    return row


def revoke_client(session: Session, client_id: str, *, now: dt.datetime | None = None) -> InternalClient:
    """Stop a client: no new tokens, and its outstanding access tokens are refused (see auth)."""
    row = session.get(InternalClient, client_id)
    if row is None:
        raise NotFound(Message("gateway.client_not_found", client_id=client_id))
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.flush()
    return row


def client_is_active(session: Session, client_id: str) -> bool:
    row = session.get(InternalClient, client_id)
    return row is not None and row.revoked_at is None


# --- officer logins ---------------------------------------------------------------------------------


def check_nrp(nrp: str) -> None:
    if not NRP_PATTERN.match(nrp):
        raise ValidationProblem.single("nrp", Message("gateway.nrp_digits"))


def set_officer_password(
    session: Session, nrp: str, password: str | None = None, *, now: dt.datetime | None = None
) -> str:
    """Set (or generate) an officer's password (their refresh tokens are revoked). Returns the password."""
    check_nrp(nrp)
    if password is None:
        password = secrets.token_urlsafe(12)
    elif len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationProblem.single("password", Message("text.too_short", min_length=MIN_PASSWORD_LENGTH))
    now = now or utcnow()
    row = session.get(OfficerLogin, nrp)
    if row is None:
        row = OfficerLogin(nrp=nrp, password_hash="", updated_at=now)
        session.add(row)
    row.password_hash = _hasher.hash(password)
    row.updated_at = now
    # A reset answers a leaked or forgotten password: sessions opened with the old one end too.
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.nrp == nrp, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    return password


def verify_officer_password(session: Session, nrp: str, password: str) -> bool:
    """Whether ``password`` is the officer's. An unknown or malformed NRP costs the same argon2 work
    against a dummy hash, so neither the answer nor its timing tells whether the NRP exists.

    Failures are counted by the gateway per (NRP, address), not here: an account-wide lock stored
    with the login would let anyone lock out any officer (and only real NRPs would lock).
    """
    row = session.get(OfficerLogin, nrp) if NRP_PATTERN.match(nrp) else None
    if row is None:
        _verify(_DUMMY_HASH, password)
        return False
    if not _verify(row.password_hash, password):
        return False
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
        row.updated_at = utcnow()
        session.flush()
    return True


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- refresh tokens -----------------------------------------------------------------------------


def issue_refresh_token(
    session: Session,
    nrp: str,
    lifetime: dt.timedelta,
    *,
    family_id: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    now = now or utcnow()
    token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            id=uuid.uuid4().hex,
            family_id=family_id or uuid.uuid4().hex,
            digest=digest(token),
            nrp=nrp,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class Rotation:
    """A presented refresh token: its row id, NRP and family when it may be exchanged, else a reason."""

    token_id: str | None
    nrp: str | None
    family_id: str | None
    reason: str = ""


def inspect_refresh_token(session: Session, token: str, *, now: dt.datetime | None = None) -> Rotation:
    """Check a refresh token without spending it. One already spent (a replay, or a stolen copy used
    after its owner) revokes its whole family; the caller must commit whatever the outcome."""
    now = now or utcnow()
    row = session.scalar(select(RefreshToken).where(RefreshToken.digest == digest(token)))
    if row is None:
        return Rotation(None, None, None, Message("gateway.refresh_unknown"))
    if row.revoked_at is not None:
        return Rotation(None, None, None, Message("gateway.refresh_revoked"))
    if row.rotated_at is not None:
        revoke_family(session, row.family_id, now=now)
        return Rotation(None, None, None, Message("gateway.refresh_reused"))
    if row.expires_at <= now:
        return Rotation(None, None, None, Message("gateway.refresh_expired"))
    return Rotation(row.id, row.nrp, row.family_id)


def spend_refresh_token(
    session: Session, rotation: Rotation, lifetime: dt.timedelta, *, now: dt.datetime | None = None
) -> str | None:
    """Mark the inspected token used and issue its successor in the same family; ``None`` when another
    request spent it first (then the family is revoked: two parties hold the same token)."""
    assert rotation.token_id is not None and rotation.nrp is not None and rotation.family_id is not None
    now = now or utcnow()
    # Compare-and-set, so two concurrent uses cannot both succeed.
    spent = session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == rotation.token_id,
            RefreshToken.rotated_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(rotated_at=now)
    )
    if getattr(spent, "rowcount", 0) != 1:
        revoke_family(session, rotation.family_id, now=now)
        return None
    return issue_refresh_token(session, rotation.nrp, lifetime, family_id=rotation.family_id, now=now)


def revoke_family(session: Session, family_id: str, *, now: dt.datetime | None = None) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )

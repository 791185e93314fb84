"""Who is calling the gateway, and may they call now.

``Authorization: Bearer sk_vil_…`` is a village API key; any other bearer value must be an access token
from ``POST /v1/auth/token`` (officer or internal client). No credential means anonymous, which only the
public area reference data accepts; a credential that is sent must be valid everywhere.

Verified API keys are remembered in memory for ``api_key_cache_seconds`` so the hot path costs no
database round trip; revoking a key through this gateway drops it from this replica's memory at once,
other replicas stop accepting it when their entry expires.
"""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request

from gateway import credentials
from gateway.config import GatewaySettings
from gateway.exceptions import AuthenticationRequired, InvalidCredential, RateLimited, TokenError
from gateway.ratelimit import Limiter, Rate
from gateway.tokens import verify_access_token
from services.common.db import Database
from services.common.principal import Principal, PrincipalKind

ANONYMOUS = Principal(kind=PrincipalKind.anonymous, subject="anonymous")
# Resources readable without a credential: public reference data, and officers' calendar feeds, whose
# secret URL is the credential (calendar apps cannot log in; outreach checks the secret).
PUBLIC_RESOURCES = frozenset({"areas", "calendar-feeds"})
_CACHE_MAX = 50_000


def resource_of(path: str) -> str | None:
    """``workers`` for ``/v1/workers/…``; ``None`` outside ``/v1``."""
    parts = path.split("/", 3)
    return parts[2] if len(parts) >= 3 and parts[1] == "v1" else None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class Authenticator:
    def __init__(self, settings: GatewaySettings, limiter: Limiter) -> None:
        self.settings = settings
        self.limiter = limiter
        self.database: Database | None = None
        self._keys: dict[str, tuple[Principal, float]] = {}  # key digest → (principal, expiry)
        # Internal client id → (still active, expiry): access tokens are stateless JWTs, so a revoked
        # client's tokens are refused by looking the client up, at most once per cache period.
        self._clients: dict[str, tuple[bool, float]] = {}
        self.rates = {
            PrincipalKind.village: Rate.parse(settings.rate_limit_village),
            PrincipalKind.officer: Rate.parse(settings.rate_limit_officer),
            PrincipalKind.internal: Rate.parse(settings.rate_limit_internal),
            PrincipalKind.anonymous: Rate.parse(settings.rate_limit_anonymous),
        }
        self.login_rate = Rate.parse(settings.rate_limit_login)
        self.login_address_rate = Rate.parse(settings.rate_limit_login_address)
        self.login_global_rate = Rate.parse(settings.rate_limit_login_global)
        self.login_failure_rate = Rate(
            count=settings.login_max_failures, seconds=settings.login_failure_window_minutes * 60
        )
        self.key_lookup_rate = Rate.parse(settings.rate_limit_key_lookup)

    async def authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            return ANONYMOUS
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidCredential(
                "use Authorization: Bearer <API key or access token>", error="invalid_request"
            )
        if token.startswith(credentials.API_KEY_PREFIX):
            return await self._api_key(token, client_address(request))
        principal = verify_access_token(token, self.settings)
        if principal.kind is PrincipalKind.internal and not await self._client_active(principal.subject):
            raise InvalidCredential("the client of this access token has been revoked")
        return principal

    async def _client_active(self, client_id: str) -> bool:
        now = time.monotonic()
        cached = self._clients.get(client_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        database = self.database
        if database is None:
            raise RuntimeError("authenticator not started")

        def load() -> bool:
            with database.sessions() as session:
                return credentials.client_is_active(session, client_id)

        active = await asyncio.to_thread(load)
        if len(self._clients) >= _CACHE_MAX:
            self._clients.clear()
        self._clients[client_id] = (active, now + self.settings.api_key_cache_seconds)
        return active

    def forget_client(self, client_id: str) -> None:
        """Revocation: refuse this client's tokens on this replica immediately."""
        self._clients.pop(client_id, None)

    async def admit(self, request: Request, *, public: bool = False) -> Principal:
        """Authenticate, refuse anonymous callers outside public resources, apply the rate limit."""
        principal = await self.authenticate(request)
        if principal.kind is PrincipalKind.anonymous:
            if not public:
                raise AuthenticationRequired()
            key = f"anonymous:{client_address(request)}"
        else:
            key = principal.actor
        rate = self.rates[principal.kind]
        decision = await self.limiter.hit(key, rate)
        if not decision.allowed:
            raise RateLimited(
                f"more than {rate.count} requests in {rate.seconds} s for this credential",
                decision.retry_after,
            )
        return principal

    async def check_login_rate(self, request: Request, who: str) -> None:
        decision = await self.limiter.hit(f"login:{who}:{client_address(request)}", self.login_rate)
        if not decision.allowed:
            raise RateLimited("too many token requests; wait before trying again", decision.retry_after)

    async def check_password_login(self, request: Request, nrp: str) -> None:
        """Limits of a password grant, before any hashing: per address, overall, per (NRP, address),
        and the (NRP, address) failure lock. The same for every NRP, known or not."""
        address = client_address(request)
        for key, rate in (
            (f"login-address:{address}", self.login_address_rate),
            ("login-global", self.login_global_rate),
            (f"login:nrp:{nrp}:{address}", self.login_rate),
        ):
            decision = await self.limiter.hit(key, rate)
            if not decision.allowed:
                raise RateLimited("too many token requests; wait before trying again", decision.retry_after)
        locked = await self.limiter.peek(f"login-failures:{nrp}:{address}", self.login_failure_rate)
        if not locked.allowed:
            raise TokenError(
                "invalid_grant",
                "too many failed logins from this address; wait before trying again",
                retry_after=locked.retry_after,
            )

    async def password_failed(self, request: Request, nrp: str) -> None:
        """Count a failure for (NRP, address) and answer it after a delay that doubles per failure:
        guessing slows down without anyone elsewhere being locked out."""
        key = f"login-failures:{nrp}:{client_address(request)}"
        decision = await self.limiter.hit(key, self.login_failure_rate)
        failures = self.login_failure_rate.count - decision.remaining
        base = self.settings.login_failure_delay_seconds
        await asyncio.sleep(
            min(base * 2 ** max(failures - 1, 0), self.settings.login_failure_delay_max_seconds)
        )

    async def _api_key(self, key: str, address: str) -> Principal:
        key_digest = credentials.digest(key)
        now = time.monotonic()
        cached = self._keys.get(key_digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        # Only unknown keys count: an address serving many villages looks up many valid keys.
        failures = f"key-failures:{address}"
        decision = await self.limiter.peek(failures, self.key_lookup_rate)
        if not decision.allowed:
            raise RateLimited("too many unknown API keys tried from this address", decision.retry_after)
        principal = await asyncio.to_thread(self._load_key, key)
        if principal is None:
            self._keys.pop(key_digest, None)
            await self.limiter.hit(failures, self.key_lookup_rate)
            raise InvalidCredential("unknown or revoked API key")
        if len(self._keys) >= _CACHE_MAX:
            self._keys.clear()
        self._keys[key_digest] = (principal, now + self.settings.api_key_cache_seconds)
        return principal

    def _load_key(self, key: str) -> Principal | None:
        if self.database is None:
            raise RuntimeError("authenticator not started")
        with self.database.sessions.begin() as session:
            row = credentials.find_api_key(session, key)
            if row is None:
                return None
            # Written once per cache refill, not per request: "last used" is accurate to the cache TTL.
            credentials.touch_api_key(session, row.id)
            return Principal(
                kind=PrincipalKind.village,
                subject=row.id,
                villages=frozenset({row.village_code}),
                name=row.name,
            )

    def forget_key(self, key_id: str) -> None:
        """Revocation: stop accepting this key on this replica immediately."""
        self._keys = {d: entry for d, entry in self._keys.items() if entry[0].subject != key_id}

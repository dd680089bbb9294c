"""Who may call the API, and from where: API keys with scopes, the Host allow-list, the Origin check.

Keys come as `scope:key` pairs (AUDITQA_API_KEYS, comma-separated, or AUDITQA_API_KEYS_FILE, one per line);
only their SHA-256 digests are kept, and a presented key is compared with every digest in constant time.
A read key may name access groups before the colon, `read@grupp1+grupp2:key`: it sees the public documents
(those without access groups) and those of its groups; a read key without groups sees the public ones only, an
admin key every document.
Without keys the service is for the machine it runs on: every caller is an admin, and only loopback callers
are served unless AUDITQA_ALLOW_UNAUTHENTICATED says otherwise.
"""

import hashlib
import hmac
import ipaddress
import logging
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from ingest.config import Settings
from ingest.documents.metadata import AccessGroupError, access_groups
from service.query.retrieval import EVERYTHING, Access

log = logging.getLogger("auditqa")

# A shorter key could be guessed, and its digest (the owner of a conversation on disk) reversed.
MIN_KEY_CHARS = 16
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Methods that change state; a browser sends any of them cross-site without asking (forms, no-cors fetch).
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Scope(StrEnum):
    READ = "read"
    ADMIN = "admin"


class KeyConfigError(ValueError):
    """AUDITQA_API_KEYS or the keys file cannot be read as `scope:key` pairs."""


class MissingKeyError(Exception):
    """No API key, or one that is not configured, on a request that needs one."""


class ForbiddenScopeError(Exception):
    """The key is valid but lacks the scope the endpoint needs."""


class NotLocalError(Exception):
    """Without API keys the service answers loopback callers only."""


class CrossOriginError(Exception):
    """A state-changing request sent by a page of another origin."""


class HostNotAllowedError(Exception):
    """A Host header outside the allow-list (DNS rebinding)."""


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True)
class Principal:
    """The caller of one request: what it may do, whose conversations it sees, and the rate-limit bucket it draws on."""

    scopes: frozenset[Scope]
    owner: str  # a key's digest (hex), "" for the local user when no keys are configured, None without a valid key
    bucket: str
    groups: frozenset[str] = frozenset()  # a read key's access groups

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def access(self) -> Access:
        """The documents this caller may see: every one for an admin (and the local user), else the public ones
        and those of its groups."""
        return EVERYTHING if Scope.ADMIN in self.scopes else Access(self.groups)


class KeyRing:
    """The configured keys, by digest. Empty when none are configured."""

    def __init__(self, keys: dict[bytes, tuple[Scope, frozenset[str]]]) -> None:
        self._keys = keys

    @classmethod
    def parse(cls, entries: list[tuple[str, str]]) -> "KeyRing":
        """(where, `scope:key` or `read@grupp1+grupp2:key`) pairs → the key ring; `where` names the entry in the error
        of a malformed one."""
        keys: dict[bytes, tuple[Scope, frozenset[str]]] = {}
        for where, entry in entries:
            scope, colon, key = entry.strip().partition(":")
            if not colon:
                raise KeyConfigError(f"{where}: väntade behörighet:nyckel (read:… eller admin:…) men hittade inget ':'")
            scope, at, named = scope.partition("@")
            if scope.strip() not in tuple(Scope):
                raise KeyConfigError(f"{where}: okänd behörighet '{scope.strip()[:20]}'; behörigheterna är read och admin")
            try:
                groups = frozenset(access_groups(named))
            except AccessGroupError as exc:
                raise KeyConfigError(f"{where}: {exc}") from exc
            if at and not groups:
                raise KeyConfigError(f"{where}: '@' ska följas av en eller flera grupper, t.ex. read@ekonomi+hr:…")
            if groups and scope.strip() == Scope.ADMIN:
                raise KeyConfigError(f"{where}: en admin-nyckel ser alla dokument och tar inga grupper; grupper ges till read-nycklar")
            key = key.strip()
            if len(key) < MIN_KEY_CHARS or any(c.isspace() for c in key):
                raise KeyConfigError(f"{where}: en nyckel måste vara minst {MIN_KEY_CHARS} tecken lång, utan mellanslag (fick {len(key)} tecken)")
            digest = _digest(key)
            if digest in keys:
                raise KeyConfigError(f"{where}: samma nyckel finns redan tidigare i listan")
            keys[digest] = (Scope(scope.strip()), groups)
        return cls(keys)

    @classmethod
    def from_settings(cls, settings: Settings) -> "KeyRing":
        entries: list[tuple[str, str]] = []
        if settings.api_keys is not None:
            pairs = [p for p in settings.api_keys.get_secret_value().split(",") if p.strip()]
            entries += [(f"AUDITQA_API_KEYS, par {n}", p) for n, p in enumerate(pairs, 1)]
        if settings.api_keys_file is not None:
            path = settings.api_keys_file
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise KeyConfigError(f"AUDITQA_API_KEYS_FILE {path}: kan inte läsas ({exc})") from exc
            for number, line in enumerate(lines, 1):
                line = line.split("#", 1)[0].strip()
                if line:
                    entries.append((f"{path}:{number}", line))
        return cls.parse(entries)

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def grouped(self) -> int:
        """How many keys name access groups."""
        return sum(1 for _, groups in self._keys.values() if groups)

    def _find(self, key: str) -> tuple[Scope, frozenset[str]] | None:
        """The key's scope and groups, or None. Every digest is compared, so the time taken says nothing about which matched."""
        digest = _digest(key)
        found = None
        for known, grant in self._keys.items():
            if hmac.compare_digest(known, digest):
                found = grant
        return found

    def scope_of(self, key: str) -> Scope | None:
        """The key's scope, or None."""
        grant = self._find(key)
        return grant[0] if grant else None

    def identify(self, key: str | None, client: str) -> Principal:
        """The caller of a request bearing `key` (None: no Authorization: Bearer) from `client` (its address)."""
        if not self._keys:
            return Principal(frozenset(Scope), "", f"client:{client}")
        grant = self._find(key) if key else None
        if grant is None:
            return Principal(frozenset(), None, f"client:{client}")
        scope, groups = grant
        digest = _digest(key).hex()
        scopes = frozenset(Scope) if scope is Scope.ADMIN else frozenset({Scope.READ})
        return Principal(scopes, digest, f"key:{digest}", groups)


def is_loopback(host: str | None) -> bool:
    """Whether a bind address or client address is this machine; a name other than localhost is not."""
    if not host:
        return False
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def host_name(header: str) -> str:
    """The name in a Host header, without port and brackets, lower case: "[::1]:8000" → "::1"."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(settings: Settings) -> frozenset[str] | None:
    """The Host names served; None when any is (`*`)."""
    extra = [h.strip().lower() for h in settings.allowed_hosts]
    if "*" in extra:
        return None
    return frozenset({*LOOPBACK_HOSTS, host_name(settings.host), *(host_name(h) for h in extra)})


def origin_of(url: str) -> str | None:
    """scheme://host:port with the default port written out, or None for what is no origin ("null", garbage)."""
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or port is None:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"


def allowed_origins(settings: Settings) -> frozenset[str]:
    configured = [*settings.allowed_origins, *settings.cors_origins]
    return frozenset(o for o in (origin_of(url) for url in configured) if o)


def check_origin(method: str, origin: str | None, fetch_site: str | None, scheme: str, host: str, allowed: frozenset[str]) -> None:
    """Raises CrossOriginError for a state-changing request another site's page sent; requests without
    Origin (curl, SDKs, same-origin navigation in old browsers) pass."""
    if method not in UNSAFE_METHODS:
        return
    if fetch_site is not None and fetch_site.strip().lower() == "cross-site":
        raise CrossOriginError(f"Begäran kom från en annan webbplats (Sec-Fetch-Site: {fetch_site}) och avvisades.")
    if origin is None:
        return
    own = origin_of(f"{scheme}://{host}")
    found = origin_of(origin)
    if found is None or (found != own and found not in allowed):
        raise CrossOriginError(
            f"Begäran från ursprunget '{origin}' avvisades: bara tjänstens eget ursprung och de i AUDITQA_ALLOWED_ORIGINS får ändra något."
        )


def log_mode(keys: KeyRing, settings: Settings) -> None:
    """Says at start-up who can call the service."""
    if keys:
        log.info("API keys required: %d configured (%d with access groups)", len(keys), keys.grouped)
    elif settings.allow_unauthenticated:
        log.warning("no API keys configured and AUDITQA_ALLOW_UNAUTHENTICATED is set: every caller, from anywhere, is an admin")
    else:
        log.warning("no API keys configured (AUDITQA_API_KEYS): serving loopback callers only, each treated as an admin")

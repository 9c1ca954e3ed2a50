"""Failed-authentication limit: too many wrong keys from one client address, or against one key prefix,
lock that address (or prefix) out for a while with ``429 Too Many Requests`` and ``Retry-After``.

Why count failures only: a legitimate client never fails authentication, so any load of correctly
authenticated clients (hundreds of concurrent users behind one proxy address included) is never limited,
while a guesser is stopped after a handful of tries. Requests *without* credentials are not counted (they
guess nothing; they get 401 anyway). Why also per key prefix: the prefix is not secret, so a distributed
guesser could aim at one key from many addresses.

Why refuse even a correct key from a locked address: answering "valid" during the lockout would tell the
guesser which guess was right. The price is that a client sharing an address with an attacker waits for
the lockout to end (see SECURITY.md, residual risks).

State is in memory, per process: with ``--workers N`` the effective limit is up to N times the setting.
The table of counters is bounded (:data:`MAX_TRACKED`), so a flood of addresses cannot exhaust memory.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_TRACKED = 100_000
"""Most addresses/prefixes tracked at once; beyond it the stalest entries are forgotten."""


@dataclass
class _Entry:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


@dataclass(frozen=True)
class Lockout:
    """A refusal: which kind of subject is locked (``client`` or ``key``) and for how many more seconds."""

    subject: str
    retry_after: int


class FailedAuthLimiter:
    """Counts failed authentications per subject in a sliding window; thread-safe (routes run in a pool).

    ``max_failures`` failures within ``window`` seconds lock the subject for ``lockout`` seconds.
    ``max_failures = 0`` disables the limiter.
    """

    def __init__(self, max_failures: int, window: float, lockout: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_failures > 0

    def check(self, client: str, key_prefix: str | None) -> Lockout | None:
        """The lockout that applies to this client address or key prefix, if any (call before verifying)."""
        if not self.enabled:
            return None
        now = self.clock()
        with self._lock:
            for subject, name in (("client", f"client:{client}"), ("key", f"key:{key_prefix}")):
                if subject == "key" and key_prefix is None:
                    continue
                entry = self._entries.get(name)
                if entry is not None and entry.locked_until > now:
                    return Lockout(subject, max(1, math.ceil(entry.locked_until - now)))
        return None

    def failure(self, client: str, key_prefix: str | None) -> list[str]:
        """Record one failed authentication; returns the subjects (``client``, ``key``) it just locked."""
        if not self.enabled:
            return []
        now = self.clock()
        locked: list[str] = []
        with self._lock:
            if len(self._entries) >= MAX_TRACKED:
                self._prune(now)
            for subject, name in (("client", f"client:{client}"), ("key", f"key:{key_prefix}")):
                if subject == "key" and key_prefix is None:
                    continue
                entry = self._entries.setdefault(name, _Entry())
                entry.failures.append(now)
                while entry.failures and entry.failures[0] <= now - self.window:
                    entry.failures.popleft()
                if len(entry.failures) >= self.max_failures and entry.locked_until <= now:
                    entry.locked_until = now + self.lockout
                    entry.failures.clear()
                    locked.append(subject)
        return locked

    def _prune(self, now: float) -> None:
        """Drop entries with no recent failure and no lockout; if still full, the stalest half."""
        stale = [name for name, e in self._entries.items()
                 if e.locked_until <= now and (not e.failures or e.failures[-1] <= now - self.window)]
        for name in stale:
            del self._entries[name]
        if len(self._entries) >= MAX_TRACKED:
            by_age = sorted(self._entries, key=lambda n: self._entries[n].failures[-1] if self._entries[n].failures
                            else 0.0)
            for name in by_age[: len(by_age) // 2]:
                del self._entries[name]

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

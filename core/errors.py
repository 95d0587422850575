"""One exception hierarchy. Every error a user may see carries a message they can act on.

Pages render ``TabletalkError.message`` in one place; anything else is logged and shown as
a short generic message.
"""

from __future__ import annotations


class TabletalkError(Exception):
    """Base class: ``message`` is safe to show to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(TabletalkError):
    """A setting is missing or out of range; start-up stops."""


class ValidationError(TabletalkError):
    """Input from the user does not fit (bad email, short password, blank title...)."""


class NotFoundError(TabletalkError):
    """The object does not exist *or belongs to someone else*: the two are not told apart."""


class AuthError(TabletalkError):
    """Sign-in failed or the session is no longer valid."""


class ThrottledError(AuthError):
    """Too many failed sign-ins or questions in a short time."""


class IngestError(TabletalkError):
    """An uploaded file was refused; nothing was kept."""


class UnsafeQueryError(TabletalkError):
    """The SQL guard refused a query: it was never run."""


class QueryError(TabletalkError):
    """A guarded query failed while running."""


class QueryLimitError(QueryError):
    """A query went past the time, memory or row limit and was stopped."""


class LLMError(TabletalkError):
    """The language model service failed or answered with something unusable."""


class RateLimitedError(ThrottledError):
    """The user asked too many questions in the last minute."""

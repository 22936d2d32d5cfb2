"""The one error type a bad schedule description raises."""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """A schedule parameter or config field is invalid.

    ``path`` names the offending field the way a config spells it
    (``schedules[1].steps``); the message says what was expected and what was given.
    It subclasses ``ValueError`` so generic handlers keep working.
    """

    def __init__(self, path: str, expected: str, got: Any = None, *, hint: str = "") -> None:
        self.path = path
        self.expected = expected
        self.got = got
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.path or "<config>"
        text = f"{where}: expected {self.expected}, got {_show(self.got)}"
        return f"{text} ({self.hint})" if self.hint else text

    def prefixed(self, prefix: str) -> ConfigError:
        """The same error, seen from a config one level up (``prefix.path``)."""
        if not prefix:
            return self
        if not self.path:
            path = prefix
        elif self.path.startswith("["):
            path = prefix + self.path
        else:
            path = f"{prefix}.{self.path}"
        return ConfigError(path, self.expected, self.got, hint=self.hint)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.path, self.expected, self.got, self.hint))


def _rebuild(path: str, expected: str, got: Any, hint: str) -> ConfigError:
    return ConfigError(path, expected, got, hint=hint)


def _show(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's digit limit for str()
        text = f"<int of {value.bit_length()} bits>" if isinstance(value, int) else "<unprintable>"
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})" if not isinstance(value, str) else text

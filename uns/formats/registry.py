"""Format name -> `PayloadFormat`. The one place that knows which formats exist."""

from __future__ import annotations

from uns.formats.base import PayloadFormat

_FORMATS: dict[str, PayloadFormat] = {}


def register(fmt: PayloadFormat) -> PayloadFormat:
    """Add a format; a second format under the same name is a programming error."""
    if fmt.name in _FORMATS:
        raise ValueError(f"payload format {fmt.name!r} is registered twice")
    _FORMATS[fmt.name] = fmt
    return fmt


def get_format(name: str) -> PayloadFormat:
    """The format called `name`; KeyError for a name nothing registered."""
    return _FORMATS[name]


def format_names() -> tuple[str, ...]:
    """Every registered name, in registration order (`json` first: the default)."""
    return tuple(_FORMATS)

"""Raw payload formats: one module per format, each registering one `PayloadFormat`.

The pipeline, the loader and the simulator ask `get_format(name)`; none of them names a
format. To add one: write `uns/formats/<name>.py` with its decoder, encoder and a
`PayloadFormat(...)`, and register it below.
"""

from __future__ import annotations

from uns.formats.base import BindingOptions, PayloadFormat, WirePoint, WireSource
from uns.formats.json_object import JSON_OBJECT
from uns.formats.kepware import KEPWARE
from uns.formats.records import RECORDS
from uns.formats.registry import format_names, get_format, register
from uns.formats.scalar import SCALAR
from uns.formats.shared import MISSING, Decoder, RawSample, compile_field_path
from uns.formats.sparkplug import SPARKPLUG

for _fmt in (JSON_OBJECT, SCALAR, KEPWARE, RECORDS, SPARKPLUG):
    register(_fmt)

__all__ = [
    "MISSING",
    "BindingOptions",
    "Decoder",
    "PayloadFormat",
    "RawSample",
    "WirePoint",
    "WireSource",
    "compile_field_path",
    "format_names",
    "get_format",
    "register",
]

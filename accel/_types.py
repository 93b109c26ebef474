"""The types of plain data: what the YAML and JSON readers return and what ``to_dict`` methods write.

Defined once here, at the bottom of the bottom layer (this module imports nothing of ours), so that every package
can name them in its signatures; :mod:`accel.arch` re-exports them next to the readers.

* :data:`JsonValue`: what ``json`` reads and writes (``None``, booleans, numbers, strings, lists, string-keyed
  objects, nested); :data:`JsonObject` is one object.
* :data:`YamlValue`: what ``yaml.safe_load`` reads: JSON's values plus bytes (``!!binary``), dates and times
  (timestamps), sets (``!!set``), tuples (the pairs of ``!!omap`` / ``!!pairs``) and mappings keyed by any scalar.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TypeAlias, Union

__all__ = ["JsonScalar", "JsonValue", "JsonObject", "YamlScalar", "YamlValue", "YamlMapping"]

#: A JSON scalar.
JsonScalar: TypeAlias = Union[None, bool, int, float, str]
#: A JSON document or any part of one.
JsonValue: TypeAlias = Union[JsonScalar, list["JsonValue"], dict[str, "JsonValue"]]
#: A JSON object: plain data keyed by name (what every ``to_dict`` returns).
JsonObject: TypeAlias = dict[str, JsonValue]

#: A YAML scalar (``datetime.datetime`` is a ``datetime.date``); also what a YAML mapping may be keyed by.
YamlScalar: TypeAlias = Union[None, bool, int, float, str, bytes, datetime.date]
#: A YAML document as ``yaml.safe_load`` reads it, or any part of one.
YamlValue: TypeAlias = Union[YamlScalar, list["YamlValue"], tuple["YamlValue", ...], set[YamlScalar],
                             dict[YamlScalar, "YamlValue"]]
#: A YAML mapping with named fields, as a spec section is given (read-only: any mapping of names to values).
YamlMapping: TypeAlias = Mapping[str, YamlValue]

"""Tag paths: a canonical tag may sit in groups below its equipment (`status/state`).

Real trees group the tags of one machine (`Status/State`, `Inputs/Pressure`, Sparkplug metric
folders). A tag name is therefore a path of `/`-separated parts: the last part is the tag, the
parts before it are its group. Each part becomes one governed topic level, so each must be a
usable topic level; the group is published as its own `asset` field, never as equipment.
"""

from __future__ import annotations

from uns.errors import TopicError

GROUP_SEPARATOR = "/"


def check_tag_path(name: str) -> None:
    """Raise TopicError when the tag path has an empty part (a topic with an empty level).

    Other characters a topic level cannot hold are the `forbidden-characters` lint rule's."""
    if not name:
        raise TopicError("tag name is empty (its governed topic would end in '/')")
    parts = name.split(GROUP_SEPARATOR)
    for i, part in enumerate(parts):
        if not part:
            where = "ends with" if i == len(parts) - 1 else "has an empty group in"
            what = "starts with" if i == 0 else where
            raise TopicError(f"tag name {name!r} {what} '/' (an empty topic level)")


def tag_group(name: str) -> str | None:
    """The group path of a tag (`status` for `status/state`), None for an ungrouped tag."""
    group, sep, _leaf = name.rpartition(GROUP_SEPARATOR)
    return group if sep else None


def tag_levels(name: str) -> list[str]:
    """The governed topic levels a tag path takes."""
    return name.split(GROUP_SEPARATOR)

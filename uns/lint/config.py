"""The lint config file: which rules run, at which level, with which options.

    rules:
      near-duplicate-names:
        level: warning          # error | warning | info
        max-typo-distance: 2    # the rule's own options, kebab-case
      unbound-equipment: disable
      missing-class: enable     # same as {} : on, default level and options

Rules not named keep their defaults (all rules are on). Mistakes are positioned problems under
the id `lint-config`: an unknown rule id or option, a bad level or value, a loader rule (those
cannot be configured). `load_config` collects them all; the CLI refuses to lint with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from uns.config.positioned import YamlMap
from uns.config.yamlfile import (
    YamlDoc,
    key_position,
    node_position,
    plain,
    read_yaml,
    suggest,
    validation_problems,
)
from uns.lint.options import RuleOptions
from uns.lint.rules import LOADER_RULES, RULES
from uns.model.problem import Level, Position, Problem

CONFIG_RULE = "lint-config"
LEVELS: tuple[Level, ...] = get_args(Level)


@dataclass(frozen=True, slots=True)
class RuleSetting:
    level: Level
    options: RuleOptions


@dataclass(frozen=True, slots=True)
class LintConfig:
    """Enabled rules with their level and options; disabled rules are absent."""

    rules: dict[str, RuleSetting] = field(default_factory=dict)


def default_config() -> LintConfig:
    return LintConfig({rid: RuleSetting(m.DEFAULT_LEVEL, m.Options()) for rid, m in RULES.items()})


def _problem(pos: Position, message: str) -> Problem:
    return Problem(pos, message, CONFIG_RULE, "error")


def _rule_setting(
    doc: YamlDoc, rid: str, value: Any, pos: Position
) -> tuple[RuleSetting | None, list[Problem]]:
    """The setting for one `rules:` entry: None when disabled (or invalid)."""
    module = RULES[rid]
    if value == "disable" or value is False:
        return None, []
    if value is None or value == "enable" or value is True:
        return RuleSetting(module.DEFAULT_LEVEL, module.Options()), []
    if not isinstance(value, YamlMap):
        return None, [_problem(pos, f"rule {rid}: write enable, disable or a mapping of options")]
    problems: list[Problem] = []
    level: Level = module.DEFAULT_LEVEL
    options = {k: plain(v) for k, v in value.items() if k != "level"}
    if "level" in value:
        raw = value["level"]
        if raw in LEVELS:
            level = raw
        else:
            problems.append(
                _problem(
                    key_position(doc, value, "level", value=True),
                    f"rule {rid}: level {raw!r} is not one of {', '.join(LEVELS)}",
                )
            )
    try:
        opts = module.Options.model_validate(options)
    except ValidationError as exc:
        found = validation_problems(exc, module.Options, doc, value, pos, prefix=f"{rid}.")
        problems += [_problem(p.pos, f"rule {rid}: {p.message}") for p in found]
        return None, problems
    return (RuleSetting(level, opts) if not problems else None), problems


def parse_config(text: str, path: str) -> tuple[LintConfig, list[Problem]]:
    """Parse config text; problems are positioned in `path`."""
    doc, problems = read_yaml(text, path)
    problems = [_problem(p.pos, p.message) for p in problems]
    config = default_config()
    if doc is None or doc.data is None:
        return config, problems
    if not isinstance(doc.data, YamlMap):
        return config, [*problems, _problem(node_position(doc, doc.data), "expected a mapping")]
    rules = dict(config.rules)
    for key in doc.data:
        if key != "rules":
            pos = key_position(doc, doc.data, key)
            problems.append(_problem(pos, f"unknown key {key!r}{suggest(str(key), ['rules'])}"))
    section: Any = doc.data.get("rules")
    if section is not None and not isinstance(section, YamlMap):
        pos = key_position(doc, doc.data, "rules", value=True)
        problems.append(_problem(pos, "'rules' must be a mapping of rule id: setting"))
        section = None
    for rid in section or ():
        pos = key_position(doc, section, rid)
        if rid in LOADER_RULES:
            problems.append(
                _problem(pos, f"rule {rid} is reported by the model loader and is always an error")
            )
            continue
        if rid not in RULES:
            hint = suggest(str(rid), [*RULES, *LOADER_RULES])
            problems.append(_problem(pos, f"unknown rule {rid!r}{hint}"))
            continue
        setting, found = _rule_setting(doc, rid, section[rid], pos)
        problems += found
        if setting is None:
            rules.pop(rid, None)
        else:
            rules[rid] = setting
    return LintConfig(rules), problems


def load_config(path: str | Path) -> tuple[LintConfig, list[Problem]]:
    """Read a config file; OSError propagates (the CLI turns it into a usage error)."""
    text = Path(path).read_text(encoding="utf-8")
    return parse_config(text, str(path))

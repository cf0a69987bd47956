"""A generated model for the partition tests: raw scalar bindings, Sparkplug edge nodes, MES.

`raw/b{k}/T{t}` (binding `line-b{k}`) -> `acme/plant/area/line/m{k}/tag{t}`;
`spBv1.0/{group}/.../{node}/D` -> equipment `sp-{node}` (one binding per node, literal group
and node, or one wildcard binding for all nodes when `spread_sparkplug`); `mes/batch` ->
context for the whole line.
"""

from __future__ import annotations

from pathlib import Path

TAGS = 5


def write_model(
    root: Path,
    bindings: int,
    nodes: list[tuple[str, str]] = (),  # type: ignore[assignment]
    *,
    spread_sparkplug: bool = False,
    names: list[str] | None = None,
) -> Path:
    """Write the model into `root` (created) and return it. `names` overrides binding names."""
    root.mkdir(parents=True, exist_ok=True)
    names = names or [f"line-b{k}" for k in range(bindings)]
    tags = "\n".join(f"      tag{t}: float" for t in range(TAGS))
    equipment = [f"m{k}" for k in range(len(names))] + [f"sp-{n}" for _, n in nodes]
    lines = [
        "enterprise:\n  name: acme",
        f"classes:\n  machine:\n    tags:\n{tags}",
        "sites:\n  plant:\n    timezone: UTC\n    area:\n      area:\n        line:\n"
        "          line:\n            equipment:",
        *(f"              {e}: machine" for e in equipment),
        "bindings:",
    ]
    tag_map = "\n".join(f"      T{t}: tag{t}" for t in range(TAGS))
    metric_map = "\n".join(f"      M{t}: tag{t}" for t in range(TAGS))
    for k, name in enumerate(names):
        lines.append(
            f'  - name: {name}\n    topic: "raw/b{k}/{{raw_tag}}"\n    format: scalar\n'
            f'    equipment: "plant/area/line/m{k}"\n    tag: "{{raw_tag}}"\n'
            f"    tags:\n{tag_map}"
        )
    if spread_sparkplug and nodes:
        device_map = ", ".join(f"{n}: sp-{n}" for _, n in nodes)
        lines.append(
            '  - name: edge-nodes\n    format: sparkplug\n    topic: "spBv1.0/{group}/{node}/D"\n'
            f'    id: "{{raw_tag}}"\n    map:\n      node: {{{device_map}}}\n'
            f'    equipment: "plant/area/line/{{node}}"\n    tag: "{{raw_tag}}"\n'
            f"    tags:\n{metric_map}"
        )
    else:
        for group, node in nodes:
            lines.append(
                f"  - name: edge-{node}\n    format: sparkplug\n"
                f'    topic: "spBv1.0/{group}/{node}/D"\n    id: "{{raw_tag}}"\n'
                f'    equipment: "plant/area/line/sp-{node}"\n    tag: "{{raw_tag}}"\n'
                f"    tags:\n{metric_map}"
            )
    lines.append(
        'context:\n  - name: line-batches\n    topic: "mes/batch"\n    scope: plant/area/line\n'
        "    fields: {batch: batch_id}"
    )
    (root / "model.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root

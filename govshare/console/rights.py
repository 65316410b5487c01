"""What the signed-in department may do with an item, in words: read from the catalog entry and
the grants the API shows it (the decisions themselves are the policy's, at every read)."""

from __future__ import annotations

from typing import Any

EFFECTS = {"allow": "可读", "mask": "可读（掩码）", "verify": "仅可核验"}


def item_rights(department: str, resource: dict[str, Any], item: dict[str, Any], grants: list[dict[str, Any]]) -> str:
    provider = resource["provider"]
    if provider["code"] == department:
        return "本部门提供：可读全部数据项 (you provide it)"
    if item["sharing"] == "unconditional":
        return "无条件共享：可直接使用 (shared with every department)"
    if item["sharing"] == "withheld":
        return f"不予共享：{item['legalBasis']} (withheld)"
    held = [g for g in grants if g["active"] and g["department"] == department and g["resource"] == resource["name"]
            and item["name"] in g["items"]]  # fmt: skip
    if held:
        return "；".join(
            f"已获授权 {g['id']}：{EFFECTS.get(g['effect'], g['effect'])}，用途 {'、'.join(g['purposes'])}"
            + (f"，至 {g['until']}" if g["until"] else "")
            for g in held
        )
    return (f"有条件共享（{item['condition']}）：向{provider['name']}申请，"
            "10 个工作日内答复 (apply to the provider)")  # fmt: skip


def apply_link(resource: dict[str, Any], item: dict[str, Any]) -> str:
    return f"/console/apply?resource={resource['name']}&item={item['name']}"

"""How each medium on a paper was identified — its label read, or its ID typed with the person
confirming it was there — said on the receipt, the destruction certificate and the check report."""

from __future__ import annotations

from tracker.vocabulary import IDENTIFIED_BY


def label(identified_by: str | None) -> str:
    return IDENTIFIED_BY.get(identified_by, IDENTIFIED_BY[None])[0]


def summary(pairs: list[tuple[str, str | None]]) -> str:
    """One paragraph: how many media each way, and the ID of every typed one."""
    counts: dict[str | None, int] = {}
    for _medium, way in pairs:
        counts[way] = counts.get(way, 0) + 1
    parts = [f"{label(way)} {count} 点" for way, count in sorted(counts.items(), key=lambda item: (item[0] == "typed", str(item[0])))]
    typed = [medium for medium, way in pairs if way == "typed"]
    text = "確認の方法: " + "、".join(parts) + "。"
    if typed:
        text += "手入力の媒体（ラベルは読み取っていません）: " + "、".join(typed) + "。"
    return text

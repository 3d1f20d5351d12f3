"""Places and carriers (Art. 7): storage only where it can be locked, transfers carried by people
on the roster with a pledge or by a carrier firm the city approved."""

from __future__ import annotations

import pytest

from tracker.errors import NotAllowed, WrongState
from tracker.models import Event, Medium
from tracker.workflows import media, places, transfers


def test_a_place_not_marked_lockable_is_refused_for_storage(cast):
    shelf = places.create_location(cast.admin, "廊下の棚", "cabinet", "storage", site="本社", lockable=False)
    medium = media.register(cast.worker, "KG26", "paper", "申告書", location=cast.cabinet.code)
    before = Event.select().count()
    with pytest.raises(NotAllowed) as refused:
        media.store(cast.worker, medium.id, shelf.code)
    assert "施錠" in refused.value.message_ja and "第7条第1号" in refused.value.message_ja and "lockable" in refused.value.message_en
    with pytest.raises(NotAllowed):
        media.register(cast.worker, "KG26", "paper", "別の申告書", location=shelf.code)
    assert Event.select().count() == before and Medium.get_by_id(medium.id).location_id == cast.cabinet.code


def test_carriers_are_people_on_the_roster_or_an_approved_firm(cast):
    annex = places.create_location(cast.admin, "別館金庫", "safe", "storage", site="別館")
    before = Event.select().count()
    with pytest.raises(WrongState) as refused:
        transfers.plan(cast.worker, "KG26", "別館へ", "本社", annex.code, "社用車", "佐藤 花子, 通りすがりの人")
    assert "通りすがりの人" in refused.value.message_ja and "第7条第4号" in refused.value.message_ja
    with pytest.raises(WrongState):  # on the roster of no contract: suzuki is not on KG26's
        transfers.plan(cast.worker, "KG26", "別館へ", "本社", annex.code, "社用車", "鈴木 一郎")
    assert Event.select().count() == before
    by_login = transfers.plan(cast.worker, "KG26", "別館へ", "本社", annex.code, "社用車", "sato, 山田太郎")
    assert by_login.custodians == ["佐藤 花子", "山田 太郎"]
    firm = transfers.plan(cast.worker, "KG26", "別館へ", "本社", annex.code, "運送事業者（セキュリティ便）", "○○運輸株式会社",
                          approval_reference="小金井市承認第12号")
    assert firm.custodians == ["○○運輸株式会社"] and firm.approval_reference == "小金井市承認第12号"

"""A contract's details that papers print in the contractor's block (issue #13): the company's
address and representative (代表者), set after registration by the administrator or the CLI, each
change a ledger event that verify replays; an older data folder gets the new columns empty."""

from __future__ import annotations

import pytest

from conftest import run_cli
from tracker import ledger
from tracker.errors import InvalidInput, NotAllowed
from tracker.models import Contract, Event
from tracker.workflows import contracts


def test_the_admin_sets_the_representative_and_verify_replays_it(cast, settings):
    changed = contracts.update_contract(cast.admin, "kg26", contractor_address="東京都小金井市梶野町5丁目1番1号",
                                        contractor_representative_title="代表取締役", contractor_representative="武蔵野 一郎")
    assert (changed.contractor_address, changed.contractor_representative_title, changed.contractor_representative) == (
        "東京都小金井市梶野町5丁目1番1号", "代表取締役", "武蔵野 一郎")
    event = Event.select().order_by(Event.seq.desc()).first()
    assert event.kind == "contract.updated" and event.actor == "admin"
    assert ledger.verify(settings.attachments_dir).ok
    before = Event.select().count()
    contracts.update_contract(cast.admin, "KG26", contractor_representative="武蔵野 一郎")  # nothing changes: nothing recorded
    assert Event.select().count() == before


def test_refusals_name_every_problem_and_write_nothing(cast):
    before = Event.select().count()
    with pytest.raises(InvalidInput) as refused:
        contracts.update_contract(cast.admin, "KG26", contractor_representative="長" * 51, contractor_address="所" * 201)
    assert "代表者の氏名は50文字以内" in refused.value.message_ja and "受託者の所在地は200文字以内" in refused.value.message_ja
    with pytest.raises(InvalidInput):
        contracts.update_contract(cast.admin, "KG26", title="別の件名")  # not editable here
    with pytest.raises(NotAllowed):
        contracts.update_contract(cast.responsible, "KG26", contractor_representative="誰か")
    assert Event.select().count() == before and Contract.get_by_id("KG26").contractor_representative == ""


def test_the_cli_sets_the_contractor_block(cast, data_dir):
    result = run_cli("--data", str(data_dir), "contract", "set", "KG26", "--representative-title", "代表取締役",
                     "--representative", "武蔵野 一郎", "--address", "東京都小金井市梶野町5丁目")
    assert result.exit_code == 0, result.output
    contract = Contract.get_by_id("KG26")
    assert (contract.contractor_representative, contract.contractor_address) == ("武蔵野 一郎", "東京都小金井市梶野町5丁目")



def test_the_admin_sets_the_contractor_block_in_the_web_app(client, cast):
    from conftest import csrf, login

    login(client, "admin")
    page = client.get("/contracts").get_data(as_text=True)
    assert "KG26" in page and "代表者の氏名" in page
    response = client.post("/contracts/KG26", data={"csrf_token": csrf(client), "contractor_representative_title": "代表取締役",
                                                    "contractor_representative": "武蔵野 一郎"}, follow_redirects=True)
    assert "契約 KG26 の情報を保存しました" in response.get_data(as_text=True)
    assert Contract.get_by_id("KG26").contractor_representative == "武蔵野 一郎"
    refused = client.post("/contracts/KG26", data={"csrf_token": csrf(client), "contractor_address": "所" * 201}, follow_redirects=True)
    assert "受託者の所在地は200文字以内にしてください" in refused.get_data(as_text=True)
    assert Contract.get_by_id("KG26").contractor_address == ""


def test_only_the_admin_manages_contracts(client, cast):
    from conftest import csrf, login

    login(client, "yamada")
    assert client.get("/contracts").status_code == 403
    assert client.post("/contracts/KG26", data={"csrf_token": csrf(client), "contractor_representative": "誰か"}).status_code == 403
    assert Contract.get_by_id("KG26").contractor_representative == ""

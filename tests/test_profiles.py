"""Provision profiles: each city's special provisions as data (tracker/provisions.py), recorded in
the ledger with the contract, and asked by the workflows instead of Koganei's rules in the code."""

from __future__ import annotations

import subprocess
from importlib import resources

import pytest

from tests.conftest import csrf, login, run_cli
from tracker import ledger, provisions
from tracker.errors import InvalidInput, NotAllowed, NotFound, WrongState
from tracker.models import Contract, Event, ProvisionProfile
from tracker.workflows import copies, destruction, media, people, profiles, subcontracting

KOGANEI = resources.files("tracker.profiles").joinpath("koganei.toml").read_text(encoding="utf-8")
GENERIC = resources.files("tracker.profiles").joinpath("generic.toml").read_text(encoding="utf-8")


def variant(text: str, **replacements: str) -> str:
    """A profile text with lines replaced (``old line`` → ``new line``), each exactly once."""
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


# A city whose provisions forbid copies and let electronic media leave unencrypted: the opposite
# of Koganei on two duties, so one action can be shown allowed under one and refused under the other.
STRICT_COPIES = variant(KOGANEI, **{
    'id = "koganei"': 'id = "testcity"', 'municipality = "小金井市"': 'municipality = "試験市"',
    'provisions_name = "小金井市個人情報取扱特記事項"': 'provisions_name = "試験市個人情報取扱特記事項"',
    'provisions_name_en = "Koganei City special provisions"': 'provisions_name_en = "Test City special provisions"',
    'rule = "with_approval"          # forbidden | with_approval\narticle = "第5条"': 'rule = "forbidden"\narticle = "第4条第2項"',
    'encrypt_take_out = true': 'encrypt_take_out = false',
    'rule = "with_approval"          # forbidden | with_approval\narticle = "第14条第2項"': 'rule = "forbidden"\narticle = "第9条"',
})


# ---- the files ---------------------------------------------------------------------------------


def test_every_shipped_profile_parses_with_every_duty():
    shipped = provisions.builtin_texts()
    assert set(shipped) == {"koganei@1", "generic@1"}
    koganei = provisions.parse(shipped["koganei@1"])
    assert koganei.copies.rule == "with_approval" and koganei.destruction.witness == "on_request"
    assert koganei.addressee("小金井市") == "小金井市長 様"
    generic = provisions.parse(shipped["generic@1"])
    assert generic.destruction.witness == "always" and generic.incidents.first_report == 24
    assert generic.addressee("三鷹市") == "三鷹市長 殿"
    assert len(provisions.duties(koganei)) == 16


def test_koganei_pledges_are_the_seed_texts_for_the_right_people():
    koganei = provisions.parse(KOGANEI)
    responsible, worker = koganei.pledge_form("responsible"), koganei.pledge_form("worker")
    assert responsible.id != worker.id
    # Five items for the responsible person (entry to the city hall first), four for workers.
    assert "小金井市役所庁舎内に立ち入りますが" in responsible.text and "５ その他" in responsible.text
    assert "庁舎内" not in worker.text and "４ その他" in worker.text and "５" not in worker.text
    generic = provisions.parse(GENERIC)
    assert "三鷹市から受託した業務" in generic.pledge_text("worker", "三鷹市")
    assert "小金井" not in GENERIC  # no city's own words copied into the profile for every city


@pytest.mark.parametrize(("old", "new", "reason_en"), [
    ('witness = "on_request"', 'witness = "on_request"\nwitnesss = "always"', "destruction.witnesss: unknown key"),
    ('[complaints]\narticle = "第18条"\n', "", "complaints: required duty or field is missing"),
    ('interval_days = 90', 'interval_days = 0', "storage_checks.interval_days: 0 is out of range"),
    ('H = 3', 'H = 9', "destruction.minimum_level.H: 9 is out of range"),
    ('H = 3', 'H = 2', "minimum_level below 3 is not allowed for personal data"),
    ('rule = "with_approval"          # forbidden | with_approval\narticle = "第5条"', 'rule = "maybe"\narticle = "第5条"',
     "copies.rule: value must be one of"),
    ('for = ["worker"]', 'for = ["responsible"]', "exactly one form must be for responsible (found 2)"),
])
def test_a_profile_with_an_unknown_key_a_missing_duty_or_a_value_out_of_range_is_refused(old, new, reason_en):
    with pytest.raises(provisions.ProfileError) as refused:
        provisions.parse(variant(KOGANEI, **{old: new}))
    assert any(reason_en in en for _, en in refused.value.problems), refused.value.problems


def test_malformed_toml_is_refused_with_the_reason():
    with pytest.raises(provisions.ProfileError) as refused:
        provisions.parse("[profile\nid = ")
    assert "TOML として読めません" in refused.value.message_ja


def test_articles_read_in_english():
    assert provisions.article_in_english("第17条第3項") == "Art. 17(3)"
    assert provisions.article_in_english("第６条第１号") == "Art. 6(1)"
    assert provisions.article_in_english("再委託の制限") == "再委託の制限"


# ---- contracts under profiles, in the ledger ---------------------------------------------------


def test_a_contract_records_its_profile_text_in_the_ledger(cast):
    generic = people.create_contract(cast.admin, "MT26", "健診結果入力業務", "三鷹市", profile="generic")
    assert generic.profile == "generic@1"
    row = ProvisionProfile.get_by_id("generic@1")
    assert row.text == GENERIC and row.sha256 == provisions.sha256_of(GENERIC)
    assert profiles.for_contract("MT26").destruction.witness == "always"
    assert cast.contract.profile == "koganei@1"
    kinds = [event.kind for event in Event.select().order_by(Event.seq)]
    assert kinds.count("profile.registered") == 2  # koganei with the cast's contract, generic now
    assert ledger.verify().ok


def test_a_contract_made_before_profiles_runs_under_koganei_version_1(cast):
    Contract.update(profile="").where(Contract.code == "KG26").execute()  # as an older data folder has it
    assert profiles.for_contract("KG26").key == provisions.LEGACY_PROFILE


def test_an_unknown_profile_or_a_changed_text_under_a_recorded_version_is_refused(cast):
    before = Event.select().count()
    with pytest.raises(NotFound) as unknown:
        people.create_contract(cast.admin, "MT26", "健診結果入力業務", "三鷹市", profile="nakano")
    assert "nakano" in unknown.value.message_en
    with pytest.raises(WrongState) as changed:
        profiles.register(cast.admin, variant(KOGANEI, **{'witness = "on_request"': 'witness = "always"'}))
    assert "a changed rule needs a new version" in changed.value.message_en
    with pytest.raises(provisions.ProfileError):
        profiles.register(cast.admin, "[profile]\nid = 'x'")
    assert Event.select().count() == before


def test_only_an_administrator_registers_a_profile(cast):
    with pytest.raises(NotAllowed):
        profiles.register(cast.responsible, STRICT_COPIES)
    assert profiles.register(cast.admin, STRICT_COPIES).key == "testcity@1"


def test_a_changed_profile_needs_the_city_s_approval(cast):
    profiles.request_change(cast.responsible, "KG26", "generic", "市の新しい特記事項に合わせるため")
    assert profiles.for_contract("KG26").key == "koganei@1"  # nothing changes before the city decides
    with pytest.raises(NotAllowed):
        profiles.decide_change(cast.responsible, "KG26", True)
    with pytest.raises(InvalidInput):
        profiles.decide_change(cast.city, "KG26", False, "")  # a rejection says why
    changed = profiles.decide_change(cast.city, "KG26", True)
    assert changed.profile == "generic@1" and changed.profile_requested == ""
    assert profiles.for_contract("KG26").key == "generic@1"
    with pytest.raises(WrongState):
        profiles.decide_change(cast.city, "KG26", True)  # nothing left to decide
    assert ledger.verify().ok


# ---- the same action under two profiles --------------------------------------------------------


def usb(cast, contract="KG26", encrypted=False):
    extra = {"encrypted": True, "encryption": "AES-256"} if encrypted else {}
    return media.register(cast.worker, contract, "usb", "課税データ", location=cast.cabinet.code, **extra)


def hdd(cast, contract):
    return media.register(cast.worker, contract, "hdd", "課税データHDD", encrypted=True, encryption="AES-256", location=cast.cabinet.code)


def second_contract(cast, code: str, profile: str):
    people.create_contract(cast.admin, code, "別の委託業務", "試験市", profile=profile)
    cast.rostered(cast.admin, code, "yamada", "responsible")
    people.sign_pledge(cast.responsible, code)
    cast.rostered(cast.responsible, code, "sato", "worker")
    people.sign_pledge(cast.worker, code)
    cast.work_place(code)


def test_a_copy_allowed_under_koganei_is_refused_under_a_profile_that_forbids_copies(cast):
    profiles.register(cast.admin, STRICT_COPIES)
    second_contract(cast, "TS26", "testcity@1")
    assert copies.request(cast.worker, usb(cast, "KG26", encrypted=True).id, 1, "usb", "作業用").status == "requested"
    with pytest.raises(NotAllowed) as refused:
        copies.request(cast.worker, usb(cast, "TS26", encrypted=True).id, 1, "usb", "作業用")
    assert refused.value.message_ja == "この契約の特記事項は媒体の複写・複製を認めていません（試験市個人情報取扱特記事項 第4条第2項）"
    assert refused.value.message_en.endswith("(Test City special provisions, Art. 4(2))")


def test_an_unencrypted_take_out_refused_under_koganei_is_allowed_where_the_city_does_not_ask(cast):
    profiles.register(cast.admin, STRICT_COPIES)
    second_contract(cast, "TS26", "testcity@1")
    with pytest.raises(WrongState) as refused:
        media.take_out(cast.worker, usb(cast, "KG26").id, cast.work_room.code, "入力作業")
    assert "小金井市個人情報取扱特記事項 第6条第1号" in refused.value.message_ja
    assert "Koganei City special provisions, Art. 6(1)" in refused.value.message_en
    assert media.take_out(cast.worker, usb(cast, "TS26").id, cast.work_room.code, "入力作業").status == "in_use"


def apply(cast, contract, medium_id, witness: bool, level="E-4"):
    return destruction.apply(
        cast.responsible, contract, [{"medium": medium_id, "category": "destroy", "technique": "shred", "level": level}],
        reason="業務終了", scheduled_at="2099-01-10T10:00", place="本社 3F", copies_statement="複製なし",
        verification_plan="目視", witness_requested=witness,
    )


def test_a_destruction_without_a_witness_is_allowed_under_koganei_and_refused_under_generic(cast):
    second_contract(cast, "GN26", "generic")
    assert apply(cast, "KG26", usb(cast, "KG26").id, witness=False).status == "applied"
    medium = usb(cast, "GN26")
    before = Event.select().count()
    with pytest.raises(NotAllowed) as refused:
        apply(cast, "GN26", medium.id, witness=False)
    assert refused.value.message_ja.endswith("（個人情報取扱特記事項（標準） 廃棄の立会い）")
    assert Event.select().count() == before
    # Generic also asks for a higher destruction level than Koganei's E-3.
    with pytest.raises(InvalidInput) as low:
        apply(cast, "GN26", medium.id, witness=True, level="E-3")
    assert "E-4 以上" in low.value.message_ja
    assert apply(cast, "GN26", medium.id, witness=True).status == "applied"


def test_a_subcontracted_destruction_allowed_after_approval_under_koganei_is_refused_where_subcontracting_is_forbidden(cast, settings):
    from tests.test_subcontracting import ITEMS, shredded_by
    profiles.register(cast.admin, STRICT_COPIES)
    second_contract(cast, "TS26", "testcity@1")
    application = subcontracting.apply(cast.responsible, settings, "KG26", **ITEMS)
    subcontracting.decide(cast.city, application.number, True)
    applied = destruction.apply(cast.responsible, "KG26", shredded_by(hdd(cast, "KG26").id, ITEMS["name"]),
                                reason="業務終了", scheduled_at="2099-01-10T10:00", place="本社 3F", copies_statement="複製なし",
                                verification_plan="目視", witness_requested=True)
    assert applied.status == "applied"
    before = Event.select().count()
    with pytest.raises(NotAllowed) as refused_application:
        subcontracting.apply(cast.responsible, settings, "TS26", **ITEMS)
    assert refused_application.value.message_ja == "この契約の特記事項は再委託を認めていません（試験市個人情報取扱特記事項 第9条）"
    with pytest.raises(WrongState) as refused_destruction:  # the application's per-medium refusal
        destruction.apply(cast.responsible, "TS26", shredded_by(hdd(cast, "TS26").id, ITEMS["name"]),
                          reason="業務終了", scheduled_at="2099-01-10T10:00", place="本社 3F", copies_statement="複製なし",
                          verification_plan="目視", witness_requested=True)
    assert "この契約の特記事項は再委託を認めていません（試験市個人情報取扱特記事項 第9条）" in refused_destruction.value.message_ja
    assert refused_destruction.value.message_en.endswith("this contract's provisions forbid subcontracting (Test City special provisions, Art. 9)")
    assert Event.select().count() == before + 1  # only the TS26 medium's registration


# ---- papers, pages and the command line --------------------------------------------------------


def test_papers_carry_their_city_s_addressee_and_title(cast, settings):
    from tracker.workflows import registers

    second_contract(cast, "GN26", "generic")
    for code, addressee, title in (("KG26", "小金井市長 様", "個人情報管理台帳"), ("GN26", "試験市長 殿", "情報管理台帳")):
        usb(cast, code)
        document = registers.issue_pdf(cast.responsible, settings, code)
        pdf = ledger.attachment_path(settings.attachments_dir, document.attachment_id).read_bytes()
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert title in text
        # The register carries no addressee; an application does (below).
    application = apply(cast, "GN26", usb(cast, "GN26").id, witness=True)
    preview = destruction.preview_application(cast.responsible, application.number, settings)
    text = subprocess.run(["pdftotext", "-", "-"], input=preview, capture_output=True, check=True).stdout.decode()
    assert "試験市長 殿" in text and "廃棄等承認申請書" in text


def test_the_inspection_page_lists_the_duties_and_the_city_approves_a_change(app, cast):
    profiles.request_change(cast.admin, "KG26", "generic", "区の規定改正")
    city = login(app.test_client(), "takahashi")
    page = city.get("/contracts/KG26/inspection").get_data(as_text=True)
    assert "小金井市 個人情報取扱特記事項" in page and "第17条第3項" in page and "generic@1" in page
    worker = login(app.test_client(), "sato")
    assert worker.post("/contracts/KG26/profile/decision", data={"decision": "approve", "csrf_token": csrf(worker)}).status_code == 403
    answer = city.post("/contracts/KG26/profile/decision", data={"decision": "approve", "csrf_token": csrf(city)})
    assert answer.status_code == 302
    assert profiles.for_contract("KG26").key == "generic@1"


def test_profile_check_lists_every_problem_and_exits_non_zero(tmp_path):
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(GENERIC, encoding="utf-8")
    bad.write_text(variant(GENERIC, **{"interval_days = 30": "interval_days = 0\ncolour = 'red'"}), encoding="utf-8")
    assert run_cli("profile", "check", str(good)).exit_code == 0
    result = run_cli("profile", "check", str(bad))
    assert result.exit_code == 1
    assert "storage_checks.interval_days" in result.output and "storage_checks.colour" in result.output


def test_a_contract_added_from_the_command_line_chooses_its_profile(tmp_path):
    data = tmp_path / "data"
    assert run_cli("--data", str(data), "init").exit_code == 0
    added = run_cli("--data", str(data), "contract", "add", "MT26", "--title", "入力業務", "--client", "三鷹市", "--profile", "generic")
    assert added.exit_code == 0, added.output
    shown = run_cli("--data", str(data), "profile", "show", "MT26")
    assert "generic@1" in shown.output and "廃棄の立会い" in shown.output
    assert run_cli("--data", str(data), "contract", "add", "XX26", "--title", "t", "--client", "c", "--profile", "nowhere").exit_code == 1

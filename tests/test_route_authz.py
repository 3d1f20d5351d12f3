"""Every route × every kind of person: the answer each gets, written down here by hand.

``EXPECTED`` names, for each endpoint and method of Flask's ``url_map`` (pages and the API), who
it is for; ``ANSWERS`` says what each person gets for each of those: ``ok`` (let through — the
page or its own refusal of the empty form, never a 5xx), 403, or ``login`` (a page's redirect to
the login page, the API's 401). A route added without a line here fails
``test_every_route_has_an_expected_answer``; one whose rule in tracker/web/authorization.py says
otherwise fails the person's test. A refused POST writes nothing (the ledger's event count is the
same before and after), and a URL naming something that does not exist is a 404.

One SQLite data folder and app for the module: the KG26 contract of Koganei City with a medium,
a handover, a transfer, a copy request, a destruction application, an incident, a storage check
and an issued paper; MT26 of Mitaka City with its own worker; and the people below.
"""

from __future__ import annotations

import hashlib

import pytest

from conftest import PASSWORD, Cast, login
from labels import payload
from tracker import config, db, ledger
from tracker.models import ElectronicNotice, Event
from tracker.workflows import (
    checks, concerns, copies, destruction, handovers, incidents, media, people, registers, roster, subcontracting, tokens,
    transfers,
)

OK, FORBIDDEN, LOGIN = "ok", 403, "login"
DISABLED = "disabled"  # a deactivated account: a page sends it to the login page, the API answers 403 (its token stays refused)

PRINCIPALS = ("anonymous", "worker", "responsible", "city", "admin", "other_worker", "no_pledge", "removed",
              "other_city", "deactivated")

# Who a route is for → what each person gets.
ANSWERS: dict[str, dict[str, object]] = {
    # no login needed
    "public": {who: OK for who in PRINCIPALS},
    # any signed-in person (lists show only what they may read)
    "signed_in": {**{who: OK for who in PRINCIPALS}, "anonymous": LOGIN, "deactivated": DISABLED},
    # KG26's records: its roster (with or without a pledge), Koganei City's staff, admins
    "read": {"anonymous": LOGIN, "worker": OK, "responsible": OK, "city": OK, "admin": OK, "other_worker": FORBIDDEN,
             "no_pledge": OK, "removed": FORBIDDEN, "other_city": FORBIDDEN, "deactivated": DISABLED},
    # someone who reads some contract (which one not said yet)
    "read_any": {"anonymous": LOGIN, "worker": OK, "responsible": OK, "city": OK, "admin": OK, "other_worker": OK,
                 "no_pledge": OK, "removed": FORBIDDEN, "other_city": OK, "deactivated": DISABLED},
    # one's own pledge for KG26: on its roster
    "pledge": {"anonymous": LOGIN, "worker": OK, "responsible": OK, "city": FORBIDDEN, "admin": FORBIDDEN,
               "other_worker": FORBIDDEN, "no_pledge": OK, "removed": FORBIDDEN, "other_city": FORBIDDEN, "deactivated": DISABLED},
    # custody of KG26's media: on its roster with a signed pledge
    "custody": {"anonymous": LOGIN, "worker": OK, "responsible": OK, "city": FORBIDDEN, "admin": FORBIDDEN,
                "other_worker": FORBIDDEN, "no_pledge": FORBIDDEN, "removed": FORBIDDEN, "other_city": FORBIDDEN,
                "deactivated": DISABLED},
    # custody of some contract, which one not said yet (the form's or body's contract is checked by the workflow)
    "custody_any": {"anonymous": LOGIN, "worker": OK, "responsible": OK, "city": FORBIDDEN, "admin": FORBIDDEN,
                    "other_worker": OK, "no_pledge": FORBIDDEN, "removed": FORBIDDEN, "other_city": FORBIDDEN,
                    "deactivated": DISABLED},
    # KG26's responsible person (取扱責任者)
    "responsible": {**{who: FORBIDDEN for who in PRINCIPALS}, "anonymous": LOGIN, "deactivated": DISABLED, "responsible": OK},
    # Koganei City's staff, for KG26
    "city": {**{who: FORBIDDEN for who in PRINCIPALS}, "anonymous": LOGIN, "deactivated": DISABLED, "city": OK},
    # the city's confirmation: the official, or KG26's contractor whose device the official types on
    "city_or_device": {"anonymous": LOGIN, "worker": OK, "responsible": OK, "city": OK, "admin": FORBIDDEN,
                       "other_worker": FORBIDDEN, "no_pledge": FORBIDDEN, "removed": FORBIDDEN, "other_city": FORBIDDEN,
                       "deactivated": DISABLED},
    # users, tokens, contracts
    "admin": {**{who: FORBIDDEN for who in PRINCIPALS}, "anonymous": LOGIN, "deactivated": DISABLED, "admin": OK},
    # a place holding KG26's media: its check interval; ending its open check; KG26's roster changes
    "place_manager": {**{who: FORBIDDEN for who in PRINCIPALS}, "anonymous": LOGIN, "deactivated": DISABLED,
                      "responsible": OK, "admin": OK},
}

EXPECTED: dict[tuple[str, str], str] = {
    ("auth.login", "GET"): "public", ("auth.login", "POST"): "public", ("auth.logout", "POST"): "public",
    ("auth.change_password", "GET"): "signed_in", ("auth.change_password", "POST"): "signed_in",
    ("auth.accounts", "GET"): "admin", ("auth.set_account_active", "POST"): "admin", ("auth.revoke_token", "POST"): "admin",
    ("administration.contract_list", "GET"): "admin", ("administration.update_contract", "POST"): "admin",
    ("checks.verify_in_full", "POST"): "read", ("oversight.closeout_page", "GET"): "read",
    ("oversight.closeout_designate", "POST"): "city", ("oversight.closeout_complete", "POST"): "responsible",
    ("oversight.electronic_page", "GET"): "signed_in", ("oversight.electronic_submit", "POST"): "responsible",
    ("oversight.electronic_decide", "POST"): "city", ("oversight.electronic_transmission", "POST"): "custody",
    ("oversight.concern_list", "GET"): "signed_in", ("oversight.concern_list", "POST"): "read_any",
    ("oversight.concern_page", "GET"): "read", ("oversight.concern_action", "POST"): "read",
    ("static", "GET"): "public", ("certificate.page", "GET"): "public", ("certificate.download_der", "GET"): "public",
    ("certificate.download_pem", "GET"): "public", ("api.openapi", "GET"): "public",
    # pages: lists and dashboards
    ("pages.dashboard", "GET"): "signed_in", ("pages.media_list", "GET"): "signed_in",
    ("pages.medium_label", "GET"): "signed_in", ("pages.location_label", "GET"): "signed_in",
    ("pages.location_page", "GET"): "signed_in", ("custody.handover_list", "GET"): "signed_in",
    ("custody.transfer_list", "GET"): "signed_in", ("checks.check_list", "GET"): "signed_in",
    ("checks.incident_list", "GET"): "signed_in", ("destruction.destruction_list", "GET"): "signed_in",
    ("register.register_page", "GET"): "signed_in", ("register.register_csv", "GET"): "signed_in",
    ("register.custody_csv", "GET"): "signed_in", ("integrity.download_checkpoint", "POST"): "signed_in",
    ("register.issue_register_pdf", "POST"): "read",
    # pages: media
    ("pages.register_medium", "POST"): "custody", ("pages.medium_page", "GET"): "read",
    ("pages.medium_label_svg", "GET"): "read", ("pages.store", "POST"): "custody", ("pages.take_out", "POST"): "custody",
    ("pages.download_labels", "POST"): "custody_any", ("pages.pledge", "GET"): "pledge", ("pages.pledge", "POST"): "pledge",
    ("custody.request_copy", "POST"): "custody", ("checks.report_lost", "POST"): "custody",
    ("checks.medium_found", "POST"): "custody",
    # pages: handovers and lists
    ("custody.start_handover", "POST"): "custody", ("custody.handover_page", "GET"): "read",
    ("custody.add_unlisted", "POST"): "custody", ("custody.scan_into_handover", "POST"): "custody",
    ("custody.sign_handover", "POST"): "custody", ("custody.reopen_handover", "POST"): "custody",
    ("custody.confirm_handover", "POST"): "city_or_device", ("custody.handover_receipt", "GET"): "read",
    ("lists.upload", "POST"): "custody", ("lists.preview", "GET"): "custody", ("lists.choose_sheet", "POST"): "custody",
    ("lists.set_mapping", "POST"): "custody", ("lists.confirm", "POST"): "custody", ("lists.cancel", "POST"): "custody",
    # pages: transfers, copies, papers
    ("custody.plan_transfer", "POST"): "custody", ("custody.transfer_page", "GET"): "read",
    ("custody.scan_into_transfer", "POST"): "custody", ("custody.depart", "POST"): "custody",
    ("custody.arrive", "POST"): "custody", ("custody.transfer_record", "GET"): "read",
    ("custody.decide_copy", "POST"): "city", ("custody.make_copy", "POST"): "custody",
    ("custody.document_page", "GET"): "public", ("custody.document_pdf", "GET"): "read",
    ("custody.compare_document", "POST"): "public",
    # pages: checks, places, incidents, inspection
    ("checks.start_check", "POST"): "custody_any", ("checks.check_page", "GET"): "read",
    ("checks.scan_into_check", "POST"): "custody", ("checks.device_report", "POST"): "custody",
    ("checks.note_seal", "POST"): "custody", ("checks.release_device", "POST"): "custody",
    ("checks.complete_check", "POST"): "custody", ("checks.sign_off", "POST"): "responsible",
    ("checks.abandon_check", "POST"): "place_manager", ("api.abandon_check", "POST"): "place_manager",
    ("checks.check_report", "GET"): "read", ("checks.set_interval", "POST"): "place_manager",
    ("checks.incident_page", "GET"): "read", ("checks.incident_page", "POST"): "responsible",
    ("checks.preliminary", "POST"): "responsible", ("checks.final", "POST"): "responsible",
    ("checks.close", "POST"): "responsible", ("checks.incident_report", "GET"): "read",
    ("checks.inspection_page", "GET"): "read", ("register.balance_page", "GET"): "read",
    ("profiles.decide_change", "POST"): "city",
    # pages: incidents of every kind, instructions, notices, response plans, the scanning component
    ("oversight.new_incident", "GET"): "custody_any", ("oversight.new_incident", "POST"): "custody_any",
    ("oversight.give_instruction", "POST"): "city", ("oversight.answer_instruction", "POST"): "responsible",
    ("oversight.resend_notices", "POST"): "signed_in", ("oversight.response_plan", "GET"): "read",
    ("oversight.response_plan", "POST"): "responsible", ("scanning.scan_page", "GET"): "signed_in",
    ("scanning.identify", "POST"): "signed_in", ("scanning.decode_frame", "POST"): "read_any",
    ("scanning.record", "POST"): "custody_any",
    # pages: subcontracting, the roster, pledges, work places, training
    ("oversight.subcontract_list", "GET"): "signed_in", ("oversight.subcontract_list", "POST"): "responsible",
    ("oversight.subcontract_page", "GET"): "read", ("oversight.decide_subcontract", "POST"): "city",
    ("oversight.supervise_subcontract", "POST"): "responsible",
    ("roster.roster_page", "GET"): "read", ("roster.apply", "POST"): "place_manager", ("roster.remove", "POST"): "place_manager",
    ("roster.decide", "POST"): "city", ("roster.issue_paper", "POST"): "read", ("roster.pledge_form", "GET"): "read",
    ("roster.record_sheet", "POST"): "responsible", ("roster.record_submission", "POST"): "responsible",
    ("roster.confirm", "POST"): "city", ("roster.sheet", "GET"): "read", ("roster.work_places_page", "GET"): "read",
    ("roster.work_place_action", "POST"): "read", ("training.training_page", "GET"): "read",
    ("training.training_action", "POST"): "read",
    # pages: destruction
    ("destruction.apply", "POST"): "responsible", ("destruction.application_page", "GET"): "read",
    ("destruction.application_pdf", "GET"): "read", ("destruction.certificate_pdf", "GET"): "read",
    ("destruction.issue_application", "POST"): "read", ("destruction.decide", "POST"): "city",
    ("destruction.withdraw", "POST"): "city", ("destruction.execute_page", "GET"): "read",
    ("destruction.scan", "POST"): "custody", ("destruction.record_destroyed", "POST"): "custody",
    ("destruction.add_evidence", "POST"): "custody", ("destruction.evidence_file", "GET"): "read",
    ("destruction.witness", "POST"): "city_or_device", ("destruction.complete", "POST"): "custody",
    # API: media, scans, registers
    ("api.list_media", "GET"): "signed_in", ("api.register_medium", "POST"): "custody_any",
    ("api.get_medium", "GET"): "read", ("api.medium_events", "GET"): "read", ("api.request_copy", "POST"): "custody",
    ("api.report_lost", "POST"): "custody", ("api.medium_found", "POST"): "custody", ("api.scan", "POST"): "custody_any",
    ("api.verify", "GET"): "signed_in", ("api.register_csv", "GET"): "signed_in", ("api.custody_csv", "GET"): "signed_in",
    ("api.balance", "GET"): "read", ("api.inspection_overview", "GET"): "read",
    # API: handovers, transfers, copies, papers
    ("api.list_handovers", "GET"): "signed_in", ("api.start_handover", "POST"): "custody_any",
    ("api.get_handover", "GET"): "read", ("api.import_list", "POST"): "custody",
    ("api.scan_into_handover", "POST"): "custody", ("api.sign_handover", "POST"): "custody",
    ("api.reopen_handover", "POST"): "custody", ("api.confirm_handover", "POST"): "city",
    ("api.handover_receipt", "GET"): "read", ("api.list_transfers", "GET"): "signed_in",
    ("api.plan_transfer", "POST"): "custody_any", ("api.get_transfer", "GET"): "read",
    ("api.scan_into_transfer", "POST"): "custody", ("api.depart", "POST"): "custody", ("api.arrive", "POST"): "custody",
    ("api.transfer_record", "GET"): "read", ("api.list_copy_requests", "GET"): "signed_in",
    ("api.get_copy_request", "GET"): "read", ("api.decide_copy", "POST"): "city", ("api.make_copy", "POST"): "custody",
    ("api.get_document", "GET"): "read", ("api.document_pdf", "GET"): "read", ("api.compare_document", "POST"): "read",
    # API: checks and incidents
    ("api.list_checks", "GET"): "signed_in", ("api.check_schedule", "GET"): "signed_in",
    ("api.start_check", "POST"): "custody_any", ("api.report_device", "POST"): "custody_any",
    ("api.get_check", "GET"): "read", ("api.scan_into_check", "POST"): "custody", ("api.note_seal", "POST"): "custody",
    ("api.release_device", "POST"): "custody", ("api.complete_check", "POST"): "custody",
    ("api.sign_off", "POST"): "responsible", ("api.check_report", "GET"): "read",
    ("api.list_incidents", "GET"): "signed_in", ("api.get_incident", "GET"): "read",
    ("api.update_incident", "POST"): "responsible", ("api.preliminary", "POST"): "responsible",
    ("api.final", "POST"): "responsible", ("api.close_incident", "POST"): "responsible",
    # API: destruction
    ("api.list_destructions", "GET"): "signed_in", ("api.apply_destruction", "POST"): "responsible",
    ("api.get_destruction", "GET"): "read", ("api.decide_destruction", "POST"): "city",
    ("api.withdraw_destruction", "POST"): "city", ("api.scan_for_destruction", "POST"): "custody",
    ("api.record_destroyed", "POST"): "custody", ("api.add_evidence", "POST"): "custody", ("api.witness", "POST"): "city",
    ("api.complete", "POST"): "custody", ("api.application_pdf", "GET"): "read", ("api.certificate_pdf", "GET"): "read",
}

# Sent as a let-through person, these would change who may do what for the rest of the run
# (logging out, signing the pledge): their answer is asked of the rules without sending them.
# So are the papers rendered as previews (seconds each; their pages have their own tests): who
# is let through is asked of the rules, who is refused is still sent.
NOT_SENT_WHEN_ALLOWED = {("auth.logout", "POST"), ("pages.pledge", "POST")}


def rendered_paper(rule) -> bool:
    return rule.rule.endswith(".pdf") and not rule.rule.startswith(("/d/", "/api/v1/documents/"))


# Delivering e-mail notices queued earlier is retried after any POST (oversight.deliver_notices):
# the system's own events, not the refused request's.
DELIVERY = ("notice.sent", "notice.failed")


def events() -> int:
    return Event.select().where(Event.kind.not_in(DELIVERY)).count()

# The least a form needs for the route to know its contract.
MINIMAL_FORM = {"pages.register_medium": {"contract": "KG26"}, "oversight.electronic_submit": {"contract": "KG26"},
                "oversight.electronic_transmission": {"contract": "KG26"}, "custody.start_handover": {"contract": "KG26"},
                "custody.plan_transfer": {"contract": "KG26"}, "destruction.apply": {"contract": "KG26"},
                "register.issue_register_pdf": {"contract": "KG26"}}


class World:
    """The module's data folder, app, people (each with a logged-in browser and an API token) and
    one of each KG26 record."""

    def __init__(self, data_dir):
        from tracker.web import create_app

        settings = config.load(data_dir)
        cast = Cast()
        other = people.create_contract(None, "MT26", "健康診査データ入力業務委託", "三鷹市", contractor="株式会社サンプル")
        self.users = {"worker": cast.worker, "responsible": cast.responsible, "city": cast.city, "admin": cast.admin,
                      "no_pledge": cast.newcomer}
        cast.rostered(cast.admin, "KG26", "suzuki", "worker")  # on the roster, no pledge
        self.users["other_city"] = people.create_user(cast.admin, "kobayashi", "小林 健一", "municipality", PASSWORD,
                                                      organisation="三鷹市 健康推進課")
        self.users["other_worker"] = people.create_user(cast.admin, "ito", "伊藤 次郎", "contractor", PASSWORD)
        application = roster.apply_add(cast.admin, other.code, "ito", "worker")
        if application.status == "pending":
            roster.decide(self.users["other_city"], application.number, True)
        people.sign_pledge(self.users["other_worker"], other.code)
        self.users["removed"] = people.create_user(cast.admin, "kato", "加藤 三郎", "contractor", PASSWORD)
        cast.rostered(cast.admin, "KG26", "kato", "worker")
        people.sign_pledge(self.users["removed"], "KG26")
        self.users["deactivated"] = people.create_user(cast.admin, "watanabe", "渡辺 四郎", "contractor", PASSWORD)
        cast.rostered(cast.admin, "KG26", "watanabe", "worker")
        people.sign_pledge(self.users["deactivated"], "KG26")

        stored = [media.register(cast.worker, "KG26", "usb", f"課税データ{n}", encrypted=True, encryption="AES-256",
                                 location=cast.cabinet.code).id for n in range(4)]
        self.medium = stored[0]
        handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25T10:00", "市役所", "手渡し", "高橋 市役所")
        transfer = transfers.plan(cast.worker, "KG26", "入力作業", "本社", cast.cabinet.code, "社用車", ["佐藤 花子"])
        copy_request = copies.request(cast.worker, stored[0], 1, "usb", "入力作業用")
        application = destruction.apply(
            cast.responsible, "KG26", [{"medium": stored[1], "category": "purge", "technique": "block_erase",
                                        "tool": "BlockWipe", "tool_version": "4.2"}],
            reason="契約終了", scheduled_at="2026-12-01T09:00", place="本社", copies_statement="複製なし",
            verification_plan="消去ログの確認")
        incident = incidents.report_lost(cast.responsible, stored[2], "点検で見当たらない")
        check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
        document = registers.issue_pdf(cast.responsible, settings, "KG26")
        subcontract = subcontracting.apply(cast.responsible, settings, "KG26", name="株式会社クリーンシュレッド",
                                           address="東京都小金井市本町1-2-3", reason="破砕機を持たないため", work="HDDの破砕",
                                           personal_information="住民税課税資料", safety_measures="施錠された破砕室",
                                           supervision="取扱責任者が立ち会う")
        people.create_user(cast.admin, "nakamura", "中村 六郎", "contractor", PASSWORD)  # waits for the city's approval
        roster_application = roster.apply_add(cast.responsible, "KG26", "nakamura", "worker")
        concern = concerns.give_instruction(cast.city, "KG26", "施錠の徹底", "保管庫の施錠記録をつけること", "2026-12-31")
        notice = ElectronicNotice.select().order_by(ElectronicNotice.number).first()
        spare_token = tokens.create_token(cast.responsible, "spare")  # the admin's revoke route is tried on this one
        self.values = {
            "medium_id": self.medium, "serial": document.serial, "contract_code": "KG26", "sha256": "0" * 64,
            "signature": payload.medium_url(self.medium, settings.secret, settings.base_url).rsplit("/", 1)[1],
            "filename": "style.css", "role": "worker", "login": "nakamura",
            "token_id": hashlib.sha256(spare_token.encode()).hexdigest(),
        }
        self.numbers = {"/handovers/": handover.number, "/transfers/": transfer.number, "/copy-requests/": copy_request.number,
                        "/destructions/": application.number, "/incidents/": incident.number, "/checks/": check.number,
                        "/subcontracts/": subcontract.number, "/roster/": roster_application.number,
                        "/concerns/": concern.number, "/electronic/": notice.number}
        self.codes = {"/contracts/": "KG26", "/locations/": cast.cabinet.code, "/checks/": "KG26"}
        self.location_signature = payload.location_url(cast.cabinet.code, settings.secret, settings.base_url).rsplit("/", 1)[1]
        self.cabinet = cast.cabinet.code

        roster.remove(cast.responsible, "KG26", "kato", reason="異動")
        tokens_by_person = {who: tokens.create_token(user, "authz") for who, user in self.users.items()}
        self.app = create_app(settings, {"TESTING": True})
        self.browsers, self.headers = {}, {}
        for who in PRINCIPALS:
            browser = self.app.test_client()
            if who != "anonymous":
                login(browser, self.users[who].login)
                browser.get("/")
            self.browsers[who] = browser
            self.headers[who] = {"Authorization": f"Bearer {tokens_by_person[who]}"} if who != "anonymous" else {}
        people.set_active(cast.admin, "watanabe", False)

    def url(self, rule) -> str:
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", self.value(rule, name)).replace(f"<path:{name}>", self.value(rule, name))
        return path

    def value(self, rule, name) -> str:
        if name == "number":
            return next(number for prefix, number in self.numbers.items() if prefix in rule.rule)
        if name == "code":
            return next(code for prefix, code in self.codes.items() if prefix in rule.rule)
        if name == "location_id":
            return self.cabinet
        if name == "signature" and rule.rule.lower().startswith("/l/"):
            return self.location_signature
        return self.values[name]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATABASE_URL", raising=False)
        data_dir = config.initialise(tmp_path_factory.mktemp("authz") / "data", base_url="http://mediatrail.test").data_dir
        database = db.connect(config.load(data_dir).database_url)
        from tracker.models import create_schema

        create_schema()
        yield World(data_dir)
        database.close()


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_has_an_expected_answer(world):
    declared = {(rule.endpoint, method) for rule, method in routes(world.app)}
    assert sorted(declared - set(EXPECTED)) == [], "routes with no expected answer in tests/test_route_authz.py"
    assert sorted(set(EXPECTED) - declared) == [], "expectations for routes that no longer exist"


@pytest.mark.parametrize("who", PRINCIPALS)
def test_each_person_gets_the_expected_answer_on_every_route(world, who):
    from tracker.web import authorization

    wrong = []
    for rule, method in routes(world.app):
        expected = ANSWERS[EXPECTED[(rule.endpoint, method)]][who]
        if expected == DISABLED:
            expected = FORBIDDEN if rule.endpoint.startswith("api.") else LOGIN
        url = world.url(rule)
        if expected == OK and ((rule.endpoint, method) in NOT_SENT_WHEN_ALLOWED or rendered_paper(rule)):
            with world.app.test_request_context(url, method=method):
                authorization.authorize(rule.endpoint, world.app.url_map.bind("x").match(url, method)[1],
                                        world.users.get(who), method)
            continue
        before = events()
        status, location = send(world, who, rule, method, url)
        got = answer(rule, status, location)
        if got != expected:
            wrong.append(f"{method} {url} ({rule.endpoint}): expected {expected}, got {status} {location or ''}")
        elif method == "POST" and expected != OK and events() != before:
            wrong.append(f"{method} {url} ({rule.endpoint}): refused but wrote {events() - before} event(s)")
    assert not wrong, "\n".join(wrong)


def send(world, who, rule, method, url):
    api = rule.endpoint.startswith("api.")
    browser = world.browsers[who]
    if api:
        response = browser.open(url, method=method, headers=world.headers[who],
                                **({"json": {}} if method == "POST" else {}))
    elif method == "POST":
        with browser.session_transaction() as session:
            token = session.get("csrf_token", "")
        response = browser.post(url, data={"csrf_token": token, **MINIMAL_FORM.get(rule.endpoint, {})})
    else:
        response = browser.get(url)
    assert response.status_code < 500, f"{method} {url} as {who}: {response.status_code}"
    return response.status_code, response.headers.get("Location")


def answer(rule, status, location):
    if status == 401 and rule.endpoint.startswith("api."):
        return LOGIN
    if status == 302 and location and location.split("?")[0].endswith("/login") and rule.endpoint != "auth.logout":
        return LOGIN
    if status == 403:
        return FORBIDDEN
    return OK


@pytest.mark.parametrize("path", ["/media/KG26-99999-9", "/handovers/KG26-H9999", "/transfers/KG26-T9999",
                                  "/destructions/KG26-A9999", "/incidents/KG26-I9999", "/checks/CHK-99999",
                                  "/contracts/ZZ99/balance", "/api/v1/media/KG26-99999-9",
                                  "/api/v1/handovers/KG26-H9999", "/api/v1/documents/KG26-D99999"])
def test_a_url_naming_nothing_is_a_404_for_everyone_signed_in(world, path):
    for who in ("worker", "city", "admin", "other_worker"):
        headers = world.headers[who] if path.startswith("/api/") else {}
        assert world.browsers[who].get(path, headers=headers).status_code == 404, (who, path)


def test_the_refusal_says_why_in_both_languages(world):
    response = world.browsers["other_city"].get(f"/api/v1/media/{world.medium}", headers=world.headers["other_city"])
    assert response.status_code == 403
    body = response.get_json()
    assert body["message_en"] == "kobayashi (三鷹市 健康推進課) is not staff of 小金井市, the client of contract KG26"
    assert body["message_ja"] == "小林 健一 さん（三鷹市 健康推進課）は契約「住民税課税資料入力業務委託」の委託者（小金井市）の職員ではありません"
    page = world.browsers["removed"].post(f"/media/{world.medium}/store", data={"csrf_token": csrf_of(world, "removed")})
    assert page.status_code == 403
    assert "加藤 三郎 さんは契約「住民税課税資料入力業務委託」の取扱者名簿から外されています（小金井市個人情報取扱特記事項 第8条）" in page.get_data(as_text=True)


def csrf_of(world, who) -> str:
    with world.browsers[who].session_transaction() as session:
        return session.get("csrf_token", "")


def test_the_ledger_still_verifies_after_every_route_was_tried(world):
    report = ledger.verify()
    assert report.ok, [str(problem) for problem in report.problems]

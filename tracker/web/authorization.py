"""Every endpoint's question "may you?", asked before the request's body, upload or photos are
read or decoded.

``ENDPOINTS`` maps each Flask endpoint — pages and ``api.*`` alike — to an action of
``tracker.workflows.access.ACTIONS`` (the one table of who may do what) and to what the action is
about: the contract of the medium, handover, transfer, request, application, incident or paper
in the URL, the contracts of a storage place or check, or the contract chosen in a form. Pages
ask in a ``before_request`` hook (after the login guard); the API's ``route`` decorator asks
right after the bearer token. An endpoint without an entry is refused to everyone (fail closed), and
tests/test_route_authz.py fails until the route has an entry there and an expected answer per
person.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import g, request

from tracker.errors import NotAllowed, NotAuthenticated
from tracker.models import Document, RosterApplication
from tracker.workflows import (
    access, checks, concerns, copies, destruction, electronic, handovers, incidents, inputs, media, places, subcontracting,
    transfers,
)

PUBLIC = "public"  # no login: the login page, static files, the CA certificate, the API's description

Subject = Callable[[dict], object]


def _medium(args):
    return media.get_medium(args["medium_id"]).contract


def _handover(args):
    return handovers.get_handover(args["number"]).contract


def _transfer(args):
    return transfers.get_transfer(args["number"]).contract


def _copy_request(args):
    return copies.get_request(args["number"]).contract


def _application(args):
    return destruction.get_application(args["number"]).contract


def _incident(args):
    return incidents.get_incident(args["number"]).contract


def _document(args):
    return inputs.find_paper(Document, args["serial"].removesuffix(".pdf"), "文書番号", "document numbered").contract


def _contract(args):
    return access.get_contract(args.get("code") or args.get("contract_code") or "").code


def _check(args):
    """Reading a check: the contracts of every medium expected or scanned there."""
    return checks.involved_contracts(checks.get_check(args["number"]))


def _check_parts(args):
    """Acting in a check: the contracts whose media were at the place (another contract's medium
    scanned there is a finding, not a say in the check)."""
    return checks.parts_of(checks.get_check(args["number"]))


def _place(args):
    return places.contracts_at(places.get_location(args["code"]).code)


def _subcontract(args):
    return subcontracting.get_subcontract(args["number"]).contract


def _roster_application(args):
    return inputs.find_paper(RosterApplication, args["number"], "名簿の変更申請", "roster application").contract


def _electronic_notice(args):
    return electronic.get_notice(args["number"]).contract


def _concern(args):
    return concerns.get_concern(args["number"]).contract


def _form_contract(_args):
    # A form's choice of contract (a short text field; files in the same form are not opened).
    return request.form.get("contract") or None


def _none(_args):
    return None


ENDPOINTS: dict[str, tuple[str, Subject]] = {
    # ---- no login
    "auth.login": (PUBLIC, _none),
    "auth.logout": (PUBLIC, _none),
    "static": (PUBLIC, _none),
    "certificate.page": (PUBLIC, _none),
    "certificate.download_der": (PUBLIC, _none),
    "certificate.download_pem": (PUBLIC, _none),
    "api.openapi": (PUBLIC, _none),
    "auth.change_password": ("signed_in", _none),  # one's own, with the current password
    "auth.accounts": ("admin", _none),
    "auth.set_account_active": ("admin", _none),
    "auth.revoke_token": ("admin", _none),
    "administration.contract_list": ("admin", _none),
    "administration.update_contract": ("admin", _none),
    # ---- pages: lists, dashboards, labels that lead to a page (each shows only what one may read)
    "pages.dashboard": ("signed_in", _none),
    "pages.media_list": ("signed_in", _none),
    "pages.medium_label": ("signed_in", _none),
    "pages.location_label": ("signed_in", _none),
    "pages.location_page": ("signed_in", _none),
    "custody.handover_list": ("signed_in", _none),
    "custody.transfer_list": ("signed_in", _none),
    "checks.check_list": ("signed_in", _none),
    "checks.incident_list": ("signed_in", _none),
    "destruction.destruction_list": ("signed_in", _none),
    "register.register_page": ("signed_in", _none),
    "register.register_csv": ("signed_in", _none),
    "register.custody_csv": ("signed_in", _none),
    "register.issue_register_pdf": ("read", _form_contract),
    "integrity.download_checkpoint": ("signed_in", _none),
    # ---- pages: media
    "pages.register_medium": ("custody", _form_contract),
    "pages.medium_page": ("read", _medium),
    "pages.medium_label_svg": ("read", _medium),
    "pages.store": ("custody", _medium),
    "pages.take_out": ("custody", _medium),
    "pages.download_labels": ("custody", _none),
    "pages.pledge": ("pledge", _contract),
    "custody.request_copy": ("custody", _medium),
    "checks.report_lost": ("custody", _medium),
    "checks.medium_found": ("custody", _medium),
    # ---- pages: handovers and their lists
    "custody.start_handover": ("custody", _form_contract),
    "custody.handover_page": ("read", _handover),
    "custody.add_unlisted": ("custody", _handover),
    "custody.scan_into_handover": ("custody", _handover),
    "custody.sign_handover": ("custody", _handover),
    "custody.reopen_handover": ("custody", _handover),
    "custody.confirm_handover": ("city_or_device", _handover),
    "custody.handover_receipt": ("read", _handover),
    "lists.upload": ("custody", _handover),
    "lists.preview": ("custody", _handover),
    "lists.choose_sheet": ("custody", _handover),
    "lists.set_mapping": ("custody", _handover),
    "lists.confirm": ("custody", _handover),
    "lists.cancel": ("custody", _handover),
    # ---- pages: transfers, copies, papers
    "custody.plan_transfer": ("custody", _form_contract),
    "custody.transfer_page": ("read", _transfer),
    "custody.scan_into_transfer": ("custody", _transfer),
    "custody.depart": ("custody", _transfer),
    "custody.arrive": ("custody", _transfer),
    "custody.transfer_record": ("read", _transfer),
    "custody.decide_copy": ("city", _copy_request),
    "custody.make_copy": ("custody", _copy_request),
    "custody.document_page": (PUBLIC, _none),  # the paper's proof to anyone holding it; its content only to readers
    "custody.document_pdf": ("read", _document),
    "custody.compare_document": (PUBLIC, _none),  # compares an uploaded PDF, records nothing
    # ---- pages: storage checks, places, incidents, inspection
    "checks.start_check": ("custody_at_place", _none),
    "checks.check_page": ("read_check", _check),
    "checks.scan_into_check": ("custody_at_place", _check_parts),
    "checks.device_report": ("custody_at_place", _check_parts),
    "checks.note_seal": ("custody_at_place", _check_parts),
    "checks.release_device": ("custody_at_place", _check_parts),
    "checks.complete_check": ("complete_check", _check_parts),
    "checks.sign_off": ("sign_off_check", _check_parts),
    "checks.abandon_check": ("abandon_check", _check_parts),
    "checks.check_report": ("read", _contract),
    "checks.set_interval": ("check_interval", _place),
    "checks.incident_page": ("read", _incident),  # POST edits: the responsible person (below)
    "checks.preliminary": ("responsible", _incident),
    "checks.final": ("responsible", _incident),
    "checks.close": ("responsible", _incident),
    "checks.incident_report": ("read", _incident),
    "checks.inspection_page": ("read", _contract),
    "register.balance_page": ("read", _contract),
    "profiles.decide_change": ("city", _contract),
    # ---- pages: incidents of every kind, the city's instructions, notices, response plans
    "oversight.new_incident": ("custody", _form_contract),
    "oversight.give_instruction": ("city", _incident),
    "oversight.answer_instruction": ("responsible", _incident),
    "oversight.resend_notices": ("signed_in", _none),
    "oversight.response_plan": ("read", _contract),  # POST records a plan: the responsible person (below)
    "oversight.subcontract_list": ("signed_in", _none),  # POST applies: the responsible person (below)
    "oversight.subcontract_page": ("read", _subcontract),
    "oversight.decide_subcontract": ("city", _subcontract),
    "oversight.supervise_subcontract": ("responsible", _subcontract),
    # ---- pages: the roster, pledges, work places, training (forms with several actions: the
    # table asks for a reader of the contract, the workflow of each action for the rest)
    "roster.roster_page": ("read", _contract),
    "roster.apply": ("manage", _contract),
    "roster.remove": ("manage", _contract),
    "roster.decide": ("city", _roster_application),
    "roster.issue_paper": ("read", _contract),
    "roster.pledge_form": ("pledge_form", _contract),
    "roster.record_sheet": ("responsible", _contract),
    "roster.record_submission": ("responsible", _contract),
    "roster.confirm": ("city", _contract),
    "roster.sheet": ("read", _contract),
    "roster.work_places_page": ("read", _contract),
    "roster.work_place_action": ("read", _contract),
    "training.training_page": ("read", _contract),
    "training.training_action": ("read", _contract),
    "checks.verify_in_full": ("read", _contract),
    "oversight.closeout_page": ("read", _contract),
    "oversight.closeout_designate": ("city", _contract),
    "oversight.closeout_complete": ("responsible", _contract),
    "oversight.electronic_page": ("signed_in", _none),  # POST: the responsible person's notice (below)
    "oversight.electronic_submit": ("responsible", _form_contract),
    "oversight.electronic_decide": ("city", _electronic_notice),
    "oversight.electronic_transmission": ("custody", _form_contract),
    "oversight.concern_list": ("signed_in", _none),  # POST: a complaint or the city's instruction (below)
    "oversight.concern_page": ("read", _concern),
    "oversight.concern_action": ("read", _concern),  # answer, close: each action's workflow says who
    # ---- pages: the scanning component (look-ups answer only what one may read; recording is custody)
    "scanning.scan_page": ("signed_in", _none),
    "scanning.identify": ("signed_in", _none),
    "scanning.decode_frame": ("read", _none),  # decoding costs: only someone who reads a contract
    "scanning.record": ("custody", _none),
    # ---- pages: destruction
    "destruction.apply": ("responsible", _form_contract),
    "destruction.application_page": ("read", _application),
    "destruction.application_pdf": ("read", _application),
    "destruction.certificate_pdf": ("read", _application),
    "destruction.issue_application": ("read", _application),  # the numbered 申請書, e.g. for the city's file
    "destruction.decide": ("city", _application),
    "destruction.withdraw": ("city", _application),
    "destruction.execute_page": ("read", _application),
    "destruction.scan": ("custody", _application),
    "destruction.record_destroyed": ("custody", _application),
    "destruction.add_evidence": ("custody", _application),
    "destruction.evidence_file": ("read", _application),
    "destruction.witness": ("city_or_device", _application),
    "destruction.complete": ("custody", _application),
    # ---- API (bodies are read after this answer, so a body's contract is not known yet: _none)
    "api.list_media": ("signed_in", _none),
    "api.register_medium": ("custody", _none),
    "api.get_medium": ("read", _medium),
    "api.medium_events": ("read", _medium),
    "api.request_copy": ("custody", _medium),
    "api.report_lost": ("custody", _medium),
    "api.medium_found": ("custody", _medium),
    "api.scan": ("custody", _none),
    "api.verify": ("signed_in", _none),
    "api.register_csv": ("signed_in", _none),
    "api.custody_csv": ("signed_in", _none),
    "api.balance": ("read", _contract),
    "api.inspection_overview": ("read", _contract),
    "api.list_handovers": ("signed_in", _none),
    "api.start_handover": ("custody", _none),
    "api.get_handover": ("read", _handover),
    "api.import_list": ("custody", _handover),
    "api.scan_into_handover": ("custody", _handover),
    "api.sign_handover": ("custody", _handover),
    "api.reopen_handover": ("custody", _handover),
    "api.confirm_handover": ("city", _handover),
    "api.handover_receipt": ("read", _handover),
    "api.list_transfers": ("signed_in", _none),
    "api.plan_transfer": ("custody", _none),
    "api.get_transfer": ("read", _transfer),
    "api.scan_into_transfer": ("custody", _transfer),
    "api.depart": ("custody", _transfer),
    "api.arrive": ("custody", _transfer),
    "api.transfer_record": ("read", _transfer),
    "api.list_copy_requests": ("signed_in", _none),
    "api.get_copy_request": ("read", _copy_request),
    "api.decide_copy": ("city", _copy_request),
    "api.make_copy": ("custody", _copy_request),
    "api.get_document": ("read", _document),
    "api.document_pdf": ("read", _document),
    "api.compare_document": ("read", _document),
    "api.list_checks": ("signed_in", _none),
    "api.check_schedule": ("signed_in", _none),
    "api.start_check": ("custody_at_place", _none),
    "api.report_device": ("custody_at_place", _none),
    "api.get_check": ("read_check", _check),
    "api.scan_into_check": ("custody_at_place", _check_parts),
    "api.note_seal": ("custody_at_place", _check_parts),
    "api.release_device": ("custody_at_place", _check_parts),
    "api.complete_check": ("complete_check", _check_parts),
    "api.sign_off": ("sign_off_check", _check_parts),
    "api.abandon_check": ("abandon_check", _check_parts),
    "api.check_report": ("read", _contract),
    "api.list_incidents": ("signed_in", _none),
    "api.get_incident": ("read", _incident),
    "api.update_incident": ("responsible", _incident),
    "api.preliminary": ("responsible", _incident),
    "api.final": ("responsible", _incident),
    "api.close_incident": ("responsible", _incident),
    "api.list_destructions": ("signed_in", _none),
    "api.apply_destruction": ("responsible", _none),
    "api.get_destruction": ("read", _application),
    "api.decide_destruction": ("city", _application),
    "api.withdraw_destruction": ("city", _application),
    "api.scan_for_destruction": ("custody", _application),
    "api.record_destroyed": ("custody", _application),
    "api.add_evidence": ("custody", _application),
    "api.witness": ("city", _application),
    "api.complete": ("custody", _application),
    "api.application_pdf": ("read", _application),
    "api.certificate_pdf": ("read", _application),
}

# A page whose GET reads and whose POST changes: the POST's action.
POST_ACTIONS = {"checks.incident_page": "responsible", "oversight.response_plan": "responsible",
                "oversight.subcontract_list": "responsible", "oversight.concern_list": "read"}


def authorize(endpoint: str, args: dict, user, method: str = "GET") -> None:
    """Refuse (``NotAuthenticated`` / ``NotAllowed`` / ``NotFound``) unless ``user`` may call
    ``endpoint`` with the URL's ``args``."""
    if endpoint not in ENDPOINTS:  # fail closed: a route nobody said who may use is refused to all
        raise NotAllowed("このページの利用権限が定められていません（管理者に連絡してください）",
                         "no one has been given this page yet (tell the administrator)")
    action, subject = ENDPOINTS[endpoint]
    if action == PUBLIC:
        return
    if user is None:
        raise NotAuthenticated("ログインしてください", "please log in")
    if method == "POST":
        action = POST_ACTIONS.get(endpoint, action)
    access.authorize(user, action, subject(args or {}))


def guard_page():
    """``before_request`` for pages: the API asks in its own ``route`` decorator, with tokens."""
    if request.endpoint is None or request.blueprint == "api":
        return None  # an unknown URL: the 404 handler answers
    authorize(request.endpoint, request.view_args, g.get("user"), request.method)
    return None


def missing(app) -> list[str]:
    """Endpoints of ``app`` with no entry in ``ENDPOINTS``."""
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()} - set(ENDPOINTS))

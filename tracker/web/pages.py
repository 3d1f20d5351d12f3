"""Pages for people: dashboard, media list, a medium's page with its history, label links."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for

from labels import payload as label_payload
from labels import presets, render
from tracker import ledger, queries, search
from tracker.errors import DomainError
from tracker.models import MEDIUM_KINDS, STATUSES, Contract, CopyRequest, Handover, Location, Medium, Pledge, Transfer
from tracker.workflows import access, checks, copies, destruction, incidents, labelling, media, places, pledges, profiles, roster, scans, training, workplaces
from tracker.web import forms
from tracker.web.i18n import message, translate

blueprint = Blueprint("pages", __name__)

# Each list on the dashboard shows the first rows; the counts above it and the media list
# (filtered by status) show the rest.
DASHBOARD_ROWS = 50


@blueprint.route("/")
def dashboard():
    contracts = access.readable_contracts(g.user)
    return render_template(
        "dashboard.html",
        counts=queries.status_counts(contracts),
        overdue=queries.overdue(contracts, DASHBOARD_ROWS),
        not_yet_stored=queries.not_yet_stored(contracts, DASHBOARD_ROWS),
        missing=queries.missing(contracts, DASHBOARD_ROWS),
        contracts=Contract.select().where(Contract.code.in_(contracts)),
        unsigned=_contracts_without_my_pledge(contracts),
        roster_waiting=roster.waiting_in(contracts), my_roster_pending=roster.pending_for(g.user),
        pledges_open=pledges.not_with_the_city(contracts), training_lapsed=training.lapsed_in(contracts),
        statuses=STATUSES,
        awaiting_city=Handover.select().where(Handover.contract.in_(contracts) & (Handover.status == "signed")),
        open_handovers=Handover.select().where(Handover.contract.in_(contracts) & (Handover.status == "open")),
        travelling=Transfer.select(Transfer, Location).join(Location, on=(Transfer.destination == Location.code))
        .where(Transfer.contract.in_(contracts) & (Transfer.status != "arrived")),
        copy_requests=copies.pending(contracts),
        storage_checks=checks.attention(contracts), incidents=incidents.open_for(contracts),
        destructions=destruction.needing_attention(contracts),
        attention_order=ATTENTION_ORDER.get(g.user.role, ATTENTION_ORDER["contractor"]),
    )


# What needs this person's action comes first on their dashboard: the city confirms and approves,
# the contractor's people scan, put away and bring back.
ATTENTION_ORDER = {
    "municipality": ("people", "awaiting_city", "copy_requests", "destructions", "incidents", "oversight", "missing", "storage_checks",
                     "overdue", "open_handovers", "travelling", "not_yet_stored"),
    "contractor": ("people", "open_handovers", "overdue", "not_yet_stored", "storage_checks", "destructions", "missing", "incidents", "oversight",
                   "travelling", "awaiting_city", "copy_requests"),
    "admin": ("storage_checks", "missing", "incidents", "oversight", "people", "awaiting_city", "copy_requests", "destructions", "open_handovers",
              "overdue", "travelling", "not_yet_stored"),
}


@blueprint.route("/media")
def media_list():
    contracts = access.readable_contracts(g.user)
    opened = _exact_medium(request.args.get("q", ""), contracts)
    if opened:  # an ID typed in full, or a label scanned into the search box: open that medium
        return redirect(url_for("pages.medium_page", medium_id=opened))
    wanted = queries.MediaFilter(
        text=search.clean(request.args.get("q", "")),
        status=request.args.get("status", ""),
        kind=request.args.get("kind", ""),
        contract=request.args.get("contract", ""),
        location=request.args.get("location", ""),
        page=max(1, request.args.get("page", 1, type=int)),
        after=request.args.get("after", "")[:100], before=request.args.get("before", "")[:100],
    )
    found = queries.search_media(contracts, wanted)
    return render_template(
        "media.html", media=found.media, found=found, total=found.total, wanted=wanted, page_size=queries.PAGE_SIZE,
        prefix_only=search.is_prefix_only(wanted.text),
        statuses=STATUSES, kinds=MEDIUM_KINDS,
        contracts=Contract.select().where(Contract.code.in_(contracts)), locations=Location.select().order_by(Location.code),
        layouts=[preset for preset in presets.list_presets() if preset.kind == "sheet"],
        custody_contracts=[contract for contract in Contract.select().where(Contract.code.in_(contracts)) if access.allows(access.require_custody, g.user, contract)],
    )


def _exact_medium(text: str, contracts: list[str]) -> str | None:
    """The medium a search names exactly (its ID in any width or case, or its label's whole URL,
    signed for this installation) when this reader may see it; else None and the list searches."""
    text = text.strip()
    if not text or len(text) > 200:
        return None
    parsed = label_payload.parse(text, current_app.config["SETTINGS"].secret,
                                 known=lambda kind, canonical: kind == label_payload.KIND_MEDIUM and Medium.get_or_none(Medium.id == canonical) is not None)
    if parsed.medium is None:
        return None
    medium = Medium.get_or_none(Medium.id == parsed.medium)
    return medium.id if medium is not None and medium.contract_id in contracts else None


@blueprint.route("/media", methods=["POST"])
def register_medium():
    """A medium taken into custody without a handover list (e.g. one the city sent by courier)."""
    form = request.form
    try:
        medium = media.register(g.user, form.get("contract", ""), form.get("kind", ""), form.get("title", ""),
                                location=form.get("location") or None, **forms.medium_details(form))
    except DomainError as error:
        flash(message(error), "error")
        return redirect(url_for("pages.media_list"))
    flash(translate(f"{medium.id} を登録しました。ラベルを印刷して貼ってください", f"{medium.id} registered; print and attach its label"), "ok")
    return redirect(url_for("pages.medium_page", medium_id=medium.id))


@blueprint.route("/media/<medium_id>")
def medium_page(medium_id):
    medium = media.get_medium(medium_id)
    if medium.id != medium_id:
        return redirect(url_for("pages.medium_page", medium_id=medium.id))
    access.require_read(g.user, medium.contract)
    return render_template(
        "medium.html", medium=medium, events=ledger.timeline(medium.id), users=access.user_names(),
        actions=_allowed_actions(medium), storage=Location.select().where(Location.purpose == "storage", Location.active == True),  # noqa: E712
        work_places=workplaces.usable_locations([medium.contract_id]).get(medium.contract_id, []),  # Art. 9: the city acknowledged them
        layouts=presets.list_presets(),
        copy_requests=CopyRequest.select().where(CopyRequest.medium == medium.id).order_by(CopyRequest.number),
        scan_into=_papers_to_scan_into(medium),
    )


@blueprint.route("/media/<medium_id>/store", methods=["POST"])
def store(medium_id):
    return _act(medium_id, lambda: media.store(g.user, medium_id, request.form.get("location", "")),
                ("保管しました", "stored"))


@blueprint.route("/media/<medium_id>/take-out", methods=["POST"])
def take_out(medium_id):
    return _act(medium_id, lambda: media.take_out(g.user, medium_id, request.form.get("location", ""),
                                                  request.form.get("purpose", ""), request.form.get("due_back") or None),
                ("持ち出しを記録しました", "taking out recorded"))


@blueprint.route("/M/<medium_id>/<signature>")
@blueprint.route("/m/<medium_id>/<signature>")
def medium_label(medium_id, signature):
    """Where a phone's camera app lands from a medium's label, whatever letter case it sends."""
    return _follow_label(f"http://x/M/{medium_id}/{signature}", "pages.medium_page", "medium_id")


@blueprint.route("/L/<location_id>/<signature>")
@blueprint.route("/l/<location_id>/<signature>")
def location_label(location_id, signature):
    return _follow_label(f"http://x/L/{location_id}/{signature}", "pages.location_page", "code")


@blueprint.route("/locations/<code>")
def location_page(code):
    place = places.get_location(code)
    contracts = access.readable_contracts(g.user)
    here = (Medium.location == place.code) & Medium.contract.in_(contracts)
    after = request.args.get("after", "")[:100]
    held = list(Medium.select().where(here & (Medium.id > after) if after else here).order_by(Medium.id).limit(queries.PAGE_SIZE + 1))
    return render_template("location.html", place=place, media=held[:queries.PAGE_SIZE], after=after,
                           total=Medium.select().where(here).count(),
                           next_after=held[queries.PAGE_SIZE - 1].id if len(held) > queries.PAGE_SIZE else None)


def _follow_label(text: str, endpoint: str, argument: str):
    parsed = label_payload.parse(text, current_app.config["SETTINGS"].secret)
    if not parsed.valid:
        return render_template("label_refused.html", parsed=parsed), 400
    return redirect(url_for(endpoint, **{argument: parsed.claimed_id}))


def _act(medium_id, action, done):
    try:
        action()
        flash(translate(*done), "ok")
    except DomainError as error:
        flash(message(error), "error")
    return redirect(url_for("pages.medium_page", medium_id=medium_id))




def _allowed_actions(medium: Medium) -> set[str]:
    """Only what this person may do to this medium now: the buttons a phone shows."""
    if not access.allows(access.require_custody, g.user, medium.contract):
        return set()
    moves = {move for move, statuses in media.MOVABLE_FROM.items() if medium.status in statuses}
    if medium.status not in labelling.UNPRINTABLE:
        moves.add("print_label")
    if medium.status in copies.COPYABLE:
        moves.add("request_copy")
    return moves


def _papers_to_scan_into(medium: Medium) -> list[tuple[str, str, tuple[str, str]]]:
    """(number, URL, what) for each open paper the medium could be scanned into now."""
    endpoints = {"receive": "custody.scan_into_handover", "return": "custody.scan_into_handover",
                 "send": "custody.scan_into_transfer", "arrive": "custody.scan_into_transfer"}
    return [(number, url_for(endpoints[action], number=number), scans.SCAN_INTO[action])
            for number, action in scans.papers_open_for(g.user, medium)]


def _contracts_without_my_pledge(contracts: list[str]) -> list[Contract]:
    if g.user.role != "contractor":
        return []
    return [contract for contract in Contract.select().where(Contract.code.in_(contracts)) if not access.has_pledge(g.user, contract)]




@blueprint.route("/pledges/<contract_code>", methods=["GET", "POST"])
def pledge(contract_code):
    """A person reads the exact pledge text of the form for their role (Art. 11), prints it to sign
    by hand, or — where the contract's provisions accept it — signs it on screen."""
    contract = access.get_contract(contract_code)
    if request.method == "POST":
        try:
            pledges.sign(g.user, contract.code)
            flash(translate("画面上で誓約書に署名しました（市への提出は取扱責任者が記録します）",
                            "pledge signed on screen (the responsible person records its handing to the city)"), "ok")
            return redirect(url_for("pages.dashboard"))
        except DomainError as error:
            flash(message(error), "error")
    role = pledges.signing_role(g.user, contract)
    form, text, sha256 = pledges.form_for(contract, role)
    signed = Pledge.select().where((Pledge.user == g.user.login) & (Pledge.contract == contract.code)).order_by(Pledge.key)
    return render_template("pledge.html", contract=contract, form=form, role=role, text=text, sha256=sha256, signed=list(signed),
                           current=pledges.current(g.user, contract), profile=profiles.for_contract(contract))


@blueprint.route("/media/<medium_id>/label.svg")
def medium_label_svg(medium_id):
    """The label as it prints, for the medium's page (viewing records no print)."""
    medium = media.get_medium(medium_id)
    access.require_read(g.user, medium.contract)
    settings = current_app.config["SETTINGS"]
    content = labelling.medium_content(medium, settings)
    return Response(render.render_svg(content, "ql-62"), mimetype="image/svg+xml")


@blueprint.route("/labels", methods=["POST"])
def download_labels():
    """Labels for the ticked media, or for every medium of the current search: a PDF download."""
    settings = current_app.config["SETTINGS"]
    medium_ids = request.form.getlist("medium")
    if request.form.get("scope") == "search":
        wanted = queries.MediaFilter(text=request.form.get("q", ""), status=request.form.get("status", ""),
                                     kind=request.form.get("kind", ""), contract=request.form.get("contract", ""),
                                     location=request.form.get("location", ""))
        medium_ids = queries.search_media_ids(access.readable_contracts(g.user), wanted)
    try:
        document = labelling.label_sheet(g.user, settings, medium_ids, layout=request.form.get("layout", "a4-24"),
                                         start_position=request.form.get("start", 1, type=int))
    except DomainError as error:
        flash(message(error), "error")
        return redirect(request.referrer or url_for("pages.media_list"))
    return Response(document, mimetype="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="labels.pdf"'})

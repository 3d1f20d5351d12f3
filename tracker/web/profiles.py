"""The city's decision on running a contract under another provision profile (tracker/provisions.py).

The duties themselves are shown on the contract's inspection page; this module only takes the
decision, from a municipality user's own login.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for

from tracker.web.i18n import translate
from tracker.workflows import profiles

blueprint = Blueprint("profiles", __name__)


@blueprint.route("/contracts/<code>/profile/decision", methods=["POST"])
def decide_change(code):
    approve = request.form.get("decision") == "approve"
    changed = profiles.decide_change(g.user, code, approve, request.form.get("note", ""))
    flash(translate(f"プロファイルを {changed.profile} にしました", f"the contract now runs under {changed.profile}") if approve
          else translate("プロファイル変更の申請を却下しました", "the requested change was rejected"))
    return redirect(url_for("checks.inspection_page", code=code) + "#provisions")

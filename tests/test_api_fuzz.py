"""Fuzzing the JSON API from its own OpenAPI document (schemathesis, in-process), once per role:
whatever the generated request — valid per the schema, or deliberately not — the answer is never
a 5xx, its status is one the document declares, its body matches the declared schema, invalid
data is refused with a 4xx; and the ledger still verifies after the whole run.

The number of examples per operation is bounded (``FUZZ_EXAMPLES``, default 3 valid and 3
invalid) so the five roles take about 75 s of CPU; examples are derandomised, so a
failure in CI is the same failure on a laptop. ``FUZZ_EXAMPLES=50`` for a deeper run by hand.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance, negative_data_rejection, not_a_server_error, response_schema_conformance,
    status_code_conformance,
)

from tracker import config, db, ledger
from tracker.workflows import checks, copies, handovers, incidents, media, tokens, transfers

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
ROLES = ("worker", "responsible", "city", "admin", "anonymous")
POSTGRES_ROLES = ("worker", "responsible")
ALWAYS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def world(cast, data_dir):
    """A small contract with a paper of every kind open, so that fuzzed requests reach the
    workflows behind the path examples (KG26-H0001, KG26-T0001...), not only 404s."""
    settings = config.load(data_dir)
    stored = [media.register(cast.worker, "KG26", "usb", f"課税データ{n}", encrypted=True, encryption="AES-256",
                             location=cast.cabinet.code).id for n in range(3)]
    handovers.start(cast.worker, "KG26", "receive", "2026-11-25T10:00", "市役所", "手渡し", "高橋 市役所")
    transfers.plan(cast.worker, "KG26", "入力作業", "本社", cast.cabinet.code, "社用車", ["佐藤 花子"])
    copies.request(cast.worker, stored[0], 1, "usb", "入力作業用")
    checks.start(cast.worker, cast.cabinet.code, settings.secret)
    incidents.report_lost(cast.responsible, stored[2], "点検で見当たらない")
    return cast


@pytest.mark.parametrize("role", ROLES)
def test_fuzzing_the_api_finds_no_5xx_and_no_answer_off_its_schema(app, world, role):
    if not db.is_sqlite() and role not in POSTGRES_ROLES:
        pytest.skip("on PostgreSQL the roles that write (column sizes, NUL bytes) are enough; the rest only read")
    user = {"worker": world.worker, "responsible": world.responsible, "city": world.city, "admin": world.admin}.get(role)
    headers = {"Authorization": f"Bearer {tokens.create_token(user, 'fuzz')}"} if user else {}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, checks_run in ((GenerationMode.POSITIVE, ALWAYS), (GenerationMode.NEGATIVE, [*ALWAYS, negative_data_rejection])):
            try:
                _fuzz(operation, mode, headers, checks_run)
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - collected, all reported at the end
                failures.append(f"{operation.label} ({mode.value}): {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)
    report = ledger.verify()
    assert report.ok, [str(problem) for problem in report.problems]


def _fuzz(operation, mode, headers, checks_run):
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=headers, checks=checks_run)

    run()

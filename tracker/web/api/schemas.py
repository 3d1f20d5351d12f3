"""Every request and response shape of the JSON API, declared once with pydantic: the route
decorator validates requests against these, and ``/api/v1/openapi.json`` is generated from them.

Requests (``Body``) are strict: a JSON string where text is expected, a JSON number where a
number is, ``true``/``false`` where a yes/no is — ``"12345"`` is not a number and ``12345`` not
a serial number — because what is accepted here is written into the ledger as it came. Text
has a length fitting its column (255 for one-line columns on PostgreSQL) and no control
characters; a field the API does not know is refused (a misspelt ``encripted`` would otherwise
be lost without a word); ``null`` is the same as leaving a field out. Query parameters are
strings by nature and are converted (``?page=2``); one a route does not declare is refused
(``lang`` is declared everywhere). Responses (``Answer``) name the fields clients rely on and may carry more.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from tracker.models import (
    APPROVAL_STATUSES, CHECK_STATUSES, DESTRUCTION_STATUSES, HANDOVER_DIRECTIONS, HANDOVER_STATUSES, INCIDENT_STATUSES,
    MEDIUM_KINDS, SANITIZATION_CATEGORIES, STATUSES, TRANSFER_STATUSES,
)
from tracker.web.api.messages import DATE_PATTERN, LINE_PATTERN, LOCAL_TIME_PATTERN, NOTE_PATTERN
from tracker.workflows.scans import ACTIONS

SOURCES = ("camera", "station", "wedge", "photo", "typed")  # how a code arrived
EVIDENCE_UPLOAD_STAGES = ("before", "during", "after", "report")


def _whole_characters(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("broken_text", "a lone surrogate") from None
    return text


def Line(max_length: int = 200, min_length: int = 0):  # noqa: N802 - a type, named like one
    """One line of text (a name, a place, a code): no line breaks or control characters."""
    return Annotated[str, StringConstraints(max_length=max_length, min_length=min_length, pattern=LINE_PATTERN),
                     AfterValidator(_whole_characters)]


def Note(max_length: int = 2000):  # noqa: N802
    """Text that may run over lines (a reason, circumstances): no other control characters."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=NOTE_PATTERN), AfterValidator(_whole_characters)]


LocalTime = Annotated[str, StringConstraints(max_length=19, pattern=LOCAL_TIME_PATTERN)]  # JST, as typed in Japan
Day = Annotated[str, StringConstraints(max_length=10, pattern=DATE_PATTERN)]
Code = Line(100, 1)  # a contract, place, medium ID or paper number, as typed (normalised by the workflow)
Name = Line(100)
Short = Line(200)
Column = Line(255)  # a one-line column of the database (varchar(255) on PostgreSQL)
LongColumn = Note(255)  # a reason kept in such a column: may hold a line break
Text = Note(5000)  # a text column: circumstances, plans, statements
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Scanned = Annotated[str, StringConstraints(max_length=2000)]  # as read; screened code by code (labels.payload)


def _names_from_text(value: Any) -> Any:
    """Custodians as a list, or as "佐藤, 山田" (comma or 、) in one string."""
    if isinstance(value, str):
        return [name.strip() for name in value.replace("、", ",").split(",") if name.strip()]
    return value


Names = Annotated[list[Name], Field(max_length=20), BeforeValidator(_names_from_text),
                  WithJsonSchema({"oneOf": [{"type": "array", "items": {"type": "string", "maxLength": 100, "pattern": LINE_PATTERN},
                                             "maxItems": 20},
                                            {"type": "string", "maxLength": 2000, "pattern": LINE_PATTERN}],
                                  "description": "names, as a list or comma-separated"})]


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    def given(self) -> dict:
        """The fields the client gave, ``null`` counting as not given."""
        return self.model_dump(exclude_unset=True, exclude_none=True)


class Query(BaseModel):
    """Query parameters: every route's are declared (at least ``lang``) and others refused."""

    model_config = ConfigDict(extra="forbid")

    lang: Annotated[Literal["ja", "en"] | None, WithJsonSchema({"type": "string", "enum": ["ja", "en"]})] = Field(
        None, description="the language of CSV headings and page texts")


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


# ---- query parameters ------------------------------------------------------------------------


class Page(Query):
    page: int = Field(1, ge=1, le=100_000)
    after: Line(100) = Field("", description="keyset cursor: the last ID or number of the previous page (the answer's "
                                             "`next`, or the last record of a list); cheaper than `page` however deep")


class Listing(Page):
    contract: Line(100) = ""
    status: Line(40) = ""


class MediaSearch(Page):
    q: Line(200) = ""
    status: Line(40) = ""
    kind: Line(40) = ""
    contract: Line(100) = ""
    location: Line(100) = ""


class ContractQuery(Query):
    contract: Line(100) = ""


class UploadQuery(Query):
    filename: Line(200) = Field("", description="the file's name, when it is sent as the raw body")


class ListImportQuery(UploadQuery):
    """How to read the city's list; ``sheet`` and ``mapping`` may also come as multipart fields."""

    sheet: Line(100) = Field("", description="the sheet holding the list, when the workbook has several")
    mapping: Line(4000) = Field("", description='JSON {"column name": "title" | "kind" | … | "ignore"}, when the columns were not recognised')
    preview: bool = Field(False, description="true: answer what would be registered and write nothing")


class EvidenceQuery(UploadQuery):
    stage: Annotated[Literal[EVIDENCE_UPLOAD_STAGES] | None, WithJsonSchema({"type": "string", "enum": list(EVIDENCE_UPLOAD_STAGES)})] = Field(
        None, description="with a raw body: before, during, after or report")
    medium: Line(100) = Field("", description="with a raw body: the medium the photo shows (empty: the whole batch)")


# ---- requests ------------------------------------------------------------------------------


class NewMedium(Body):
    contract: Code
    kind: Literal[MEDIUM_KINDS]
    title: Line(200, 1)
    pi_items: Annotated[list[Name], Field(max_length=50)] | None = None
    record_count: Count | None = None
    quantity: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    description: Text | None = None
    manufacturer: Short | None = None
    model: Short | None = None
    serial_number: Short | None = None
    encrypted: bool | None = None
    encryption: Short | None = None
    seal_number: Short | None = None
    is_backup: bool | None = None
    location: Code | None = Field(None, description="a storage place's code: the medium is stored there at once")


class Scan(Body):
    idempotency_key: Line(80, 1) = Field(description="a new key per scan (a UUID); the same key and request sent again is answered "
                                                     "with the first answer, a different request under it is refused (409)")
    code: Scanned = Field(description="the decoded QR text or a typed ID")
    action: Literal[ACTIONS] = "lookup"
    context: Line(100) | None = Field(None, description="location code (store, check), handover number (receive/return), "
                                                        "transfer number (send/arrive), destruction application number (destroy)")
    location: Line(100) | None = Field(None, description="the station's last scanned place; used when context is not given")
    scanned_at: Line(40) | None = None
    source: Literal[SOURCES] = Field("station", description="how the code arrived; a typed ID (or source typed) counts as "
                                                            "received, destroyed or found only with confirmed")
    confirmed: bool | None = Field(None, description="the person confirms a typed ID's medium is in front of them")


class Codes(Body):
    codes: Annotated[list[Scanned], Field(min_length=1, max_length=500)] = Field(description="label URLs as decoded from the QR, or typed IDs")
    source: Literal[SOURCES] | None = Field(None, description="how the codes arrived; a typed ID (or source typed) counts as "
                                                                "received, destroyed or found only with confirmed")
    confirmed: bool | None = Field(None, description="the person confirms the media of typed IDs are in front of them")


class CheckCodes(Codes):
    device: Line(80) | None = Field(None, description="the sending device's ID; with pending, its queue is reported")
    device_name: Line(80) | None = None
    pending: Count | None = None


class NewHandover(Body):
    contract: Code
    direction: Literal[HANDOVER_DIRECTIONS]
    handover_at: LocalTime = Field(description="JST, YYYY-MM-DDTHH:MM", examples=["2026-11-25T10:00"])
    place: Short
    means: Short
    city_official: Name
    storage_plan: Short | None = None
    disposition_plan: Short | None = None


class Reason(Body):
    reason: LongColumn | None = None


class RequiredReason(Body):
    reason: LongColumn


class NewTransfer(Body):
    contract: Code
    purpose: Short
    origin: Short
    destination: Code = Field(description="a storage location's code")
    means: Short
    custodians: Names
    seal_number: Short | None = None
    route: Column | None = None
    locked_case: bool = True
    approval_reference: Short | None = None


class Arrival(Body):
    seal_intact: bool
    note: Text | None = None
    accept_missing: bool = False


class NewCopyRequest(Body):
    copies: Annotated[int, Field(ge=1, le=100)] = 1
    copy_kind: Line(40) | None = None
    purpose: Column | None = None


class Decision(Body):
    approve: bool
    note: LongColumn | None = None


class NewCopy(Body):
    location: Code | None = None
    encrypted: bool = False
    encryption: Short | None = None
    serial_number: Short | None = None


class DestructionMethod(Body):
    medium: Code
    category: Literal[SANITIZATION_CATEGORIES]
    technique: Line(40, 1) = Field(examples=["shred"])
    level: Line(10) | None = Field(None, description="DIN 66399 / ISO 21964, required for destroy, 3 or above", examples=["H-5"])
    tool: Short | None = None
    tool_version: Line(100) | None = None
    subcontractor: Short | None = None


class NewDestruction(Body):
    contract: Code
    items: Annotated[list[DestructionMethod], Field(min_length=1, max_length=500)]
    reason: LongColumn
    scheduled_at: LocalTime = Field(description="JST, YYYY-MM-DDTHH:MM", examples=["2026-12-10T10:00"])
    place: Short
    copies_statement: Note(2000)
    verification_plan: Note(2000)
    witness_requested: bool = False


class Destroyed(Body):
    media: Annotated[list[Code], Field(max_length=500)] | None = Field(None, description="empty: every medium scanned")
    verification_method: Column
    verification_result: Column
    destination: Column


class Witness(Body):
    """The witness is the caller: a municipality account of the contract's city (its own token)."""

    signature: Annotated[str, StringConstraints(max_length=1_500_000, pattern=r"^data:image/png;base64,[A-Za-z0-9+/=]*$")] | None = Field(
        None, description="data:image/png;base64,... (a drawn signature)")


class Completion(Body):
    verifier: Line(64, 1) = Field(description="login of the verifier")


class NewCheck(Body):
    location: Scanned = Field(description="the place's code, or its label as read")


class DeviceReport(Body):
    check: Line(100) | None = None
    location: Scanned | None = Field(None, description="the station's place (its code or label), when check is not given")
    device: Line(80, 1)
    name: Line(80) | None = None
    pending: Count = 0


class Seal(Body):
    medium: Code
    intact: bool
    note: Column | None = None


class DeviceRelease(Body):
    device: Line(80, 1)
    reason: LongColumn | None = None


class CheckCompletion(Body):
    accuracy_method: Text | None = None
    accuracy_result: Text | None = None
    anomalies: Text | None = None
    corrective_actions: Text | None = None
    seals_intact: bool = False


class ResponseStep(Body):
    action: Note(500) | None = None
    owner: Name | None = None
    deadline: Day | None = Field(None, examples=["2026-12-01"])
    done_at: Day | None = None


class IncidentUpdate(Body):
    summary: Text | None = None
    circumstances: Text | None = None
    cause: Text | None = None
    secondary_harm: Text | None = None
    prevention: Text | None = None
    persons_response: Text | None = None
    publication: Text | None = None
    occurred_at: LocalTime | None = Field(None, description="JST, YYYY-MM-DDTHH:MM; empty clears it")
    response_steps: Annotated[list[ResponseStep], Field(max_length=50)] | None = None


class LostReport(Body):
    circumstances: Text | None = None


class FoundAgain(Body):
    location: Code | None = None
    note: Column | None = None


# ---- responses -------------------------------------------------------------------------------


class Error(Answer):
    error: str
    message_ja: str
    message_en: str
    field: str | None = None


class Medium(Answer):
    id: str
    contract: str
    kind: Literal[MEDIUM_KINDS]
    title: str
    status: Literal[STATUSES]
    location: str | None
    custodian: str | None
    record_count: int
    quantity: int
    encrypted: bool
    updated_at: str


class MediaPage(Answer):
    total: int
    total_is_floor: bool = Field(False, description="more than `total` match: matches are counted up to 10,000")
    page: int
    next: str | None = Field(None, description="`after` for the next page; null on the last")
    media: list[Medium]


class LedgerEvent(Answer):
    seq: int
    at: str
    actor: str | None
    kind: str
    data: dict
    hash: str


class LedgerProblem(Answer):
    event: int | None
    message_ja: str
    message_en: str


class Verification(Answer):
    ok: bool
    events: int
    head: str
    problems: list[LedgerProblem]


class MediumBrief(Answer):
    """A medium as a scan's answer names it (a storage check's answer gives fewer fields)."""

    id: str
    contract: str
    title: str
    status: Literal[STATUSES]


class ScanResult(Answer):
    ok: bool
    message_ja: str
    message_en: str
    medium: MediumBrief | None = None
    replayed: bool | None = None
    error: str | None = None
    identified_by: str | None = Field(None, description="how the medium was identified: camera, station, wedge, photo, label, typed")


class ScanAnswer(Answer):
    code: str
    ok: bool
    status: int
    message_ja: str
    message_en: str
    error: str | None = None
    duplicate: bool | None = None
    listed: bool | None = None
    unexpected: bool | None = None
    medium: MediumBrief | None = None
    identified_by: str | None = Field(None, description="how the medium was identified: camera, station, wedge, photo, label, typed")


class ScanAnswers(Answer):
    answers: list[ScanAnswer]


class ScanRefusal(Error):
    """A batch refused whole (no such paper, not allowed, not a list), or every code refused:
    then ``answers`` has each code's own answer."""

    answers: list[ScanAnswer] | None = None


class Record(Answer):
    """A custody record: every column, foreign keys as codes."""

    contract: str | None = None
    status: str | None = None


class HandoverRecord(Record):
    number: str
    direction: Literal[HANDOVER_DIRECTIONS]
    status: Literal[HANDOVER_STATUSES]
    handover_at: str
    place: str
    means: str
    city_official: str
    signed_by: str | None
    confirmed_by: str | None


class HandoverReconciliation(Answer):
    expected: list[str]
    received: list[str]
    missing: list[str]
    not_on_list: list[str]


class Handover(HandoverRecord):
    reconciliation: HandoverReconciliation
    receipt: str | None = Field(description="serial of the issued receipt")


class ImportedList(Answer):
    handover: str
    media: list[Medium]


class ListPreview(Answer):
    """``preview=true``: what the list would register, counted; nothing written."""

    filename: str
    sha256: str
    sheet: str | None
    header_line: int
    media: int
    records: int
    encrypted: int
    rows: list[dict]
    skipped: list[dict]


class TransferRecord(Record):
    number: str
    status: Literal[TRANSFER_STATUSES]
    destination: str
    custodians: list[str]
    locked_case: bool
    seal_intact: bool | None


class Tally(Answer):
    sent: list[str]
    arrived: list[str]
    not_arrived: list[str]
    not_sent: list[str]


class Transfer(TransferRecord):
    tally: Tally
    record: str | None = Field(description="serial of the issued transfer record")


class CopyRequest(Record):
    number: str
    medium: str
    copies: int
    status: Literal[APPROVAL_STATUSES]
    copies_made: int
    decided_by: str | None


class Copy(Medium):
    parent: str | None
    copy_request: str


class DocumentCheck(Answer):
    ok: bool
    chain_holds_head: bool
    file_intact: bool
    ledger_ok: bool
    ledger_events: int
    problems: list[LedgerProblem]


class Document(Record):
    serial: str
    kind: str
    subject: str
    head_seq: int
    head_hash: str
    sha256: str
    verify_url: str
    pdf: str


class CheckedDocument(Document):
    check: DocumentCheck


class Comparison(Answer):
    serial: str
    matches: bool


class Issued(Answer):
    serial: str
    document: Document


class IssuedHandover(Issued):
    handover: Handover


class IssuedTransfer(Issued):
    transfer: Transfer


class Balance(Answer):
    contract: str
    received: int
    copies: int
    returned: int
    destroyed: int
    held: int
    never_received: int
    came_in: int
    went_out_or_held: int
    balanced: bool
    by_status: dict[str, int]
    held_media: list[str]
    unaccounted_media: list[str]


class DestructionItem(Answer):
    key: str
    medium: str
    category: Literal[SANITIZATION_CATEGORIES]
    technique: str
    destroyed_at: str | None


class StillNeeded(Answer):
    message_ja: str
    message_en: str


class DestructionRecord(Record):
    number: str
    status: Literal[DESTRUCTION_STATUSES]
    witness_requested: bool
    approval_number: str


class Destruction(DestructionRecord):
    items: list[DestructionItem]
    evidence: list[dict]
    still_needed: list[StillNeeded]
    application_document: str | None
    certificate: str | None


class PhotoFlags(Answer):
    no_exif_time: bool
    clock_off: bool
    message_ja: str
    message_en: str


class Evidence(Answer):
    key: str
    paper: str
    stage: str
    sha256: str
    medium: str | None
    flags: PhotoFlags


class IssuedDestruction(Issued):
    application: Destruction


class CheckSummary(Answer):
    number: str
    location: str
    status: Literal[CHECK_STATUSES]
    expected: list[str] = Field(description="media of the contracts the caller may read")
    parts: dict[str, dict[str, str]] = Field(default_factory=dict, description=(
        "contract -> its part of a shared place's check: completed_by, completed_at, signed_off_by, signed_off_at"))
    abandon_reason: str = ""


class StorageCheck(CheckSummary):
    reconciliation: dict[str, list[str]]
    unexpected_reasons: dict[str, StillNeeded]
    waiting_devices: list[str]
    reports: dict[str, str] = Field(description="contract -> serial of its issued report")


class CheckSchedule(Answer):
    location: str
    name: str
    contracts: list[str]
    media: int
    interval_days: int | None
    last_check: str | None
    last_checked_at: str | None
    next_due: str | None
    state: str


class DeviceQueue(Answer):
    check: str | None
    waiting: list[str]


class CheckScan(Answer):
    key: str
    check: str
    medium: str
    seal_intact: bool | None


class SignedOff(Answer):
    check: StorageCheck
    documents: list[Document]


class IncidentRecord(Record):
    number: str
    status: Literal[INCIDENT_STATUSES]
    media: list[str]
    response_steps: list[dict]


class IncidentReports(Answer):
    preliminary: str | None
    final: str | None


class Incident(IncidentRecord):
    reports: IncidentReports


class IssuedIncident(Issued):
    incident: Incident


class Holding(Answer):
    place: str
    location: str | None
    media: list[str]


class InspectionCheck(Answer):
    location: str
    last_check: str | None
    next_due: str | None
    state: str


class Inspection(Answer):
    contract: str
    holdings: list[Holding]
    checks: list[InspectionCheck]
    incidents: list[str]
    missing: list[str]
    overdue: list[str]
    in_transit: list[str]
    ledger: Verification
    register_csv: str
    balance: str


class EvidenceFields(BaseModel):
    """What goes with an evidence file: form fields beside it, or the query with a raw body."""

    model_config = ConfigDict(extra="ignore")

    stage: Literal[EVIDENCE_UPLOAD_STAGES]
    medium: Line(100) = ""

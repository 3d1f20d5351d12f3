"""peewee models.

Two kinds of table:

* the **ledger** — ``Event`` and ``EventMedium`` — append-only, written only by ``ledger.py``;
* the **projection** — everything with ``ledger_fields`` — the current state (where a medium is,
  who is on a roster), changed only by applying an event's ``changes`` in the same transaction.
  ``ledger.verify()`` replays every event and compares these tables with the result.

Projected tables use natural keys (medium ID, login, location code) as primary keys, so an
event can name what it changes with the same string a person reads on a label or a form.
Times are ISO 8601 UTC strings (see ``timeutil``).
"""

from __future__ import annotations

import hashlib
import json

import peewee

from tracker.db import database


class JSONField(peewee.TextField):
    """A list or dict stored as canonical JSON text, identical on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else canonical_json(value)

    def python_value(self, value):
        return None if value is None else json.loads(value)


def secret_fingerprint(secret_hash: str) -> str:
    """What the ledger keeps of a stored password hash: its SHA-256. The hash is salted, so the
    fingerprint lets nobody test a guessed password, yet any change of the stored hash shows."""
    return hashlib.sha256(secret_hash.encode("utf-8")).hexdigest() if secret_hash else ""


def canonical_json(value) -> str:
    """One text per value. NaN and Infinity are refused (ValueError): they are not JSON, and
    another reader would parse them differently or not at all."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False

    # Field names whose values the ledger owns (empty for tables outside the projection).
    ledger_fields: tuple[str, ...] = ()

    @classmethod
    def ledger_key(cls) -> str:
        return cls._meta.primary_key.name

    def ledger_state(self) -> dict:
        return {name: self.__data__.get(name) for name in self.ledger_fields}


# ---- projection: people and places -------------------------------------------------------------

ROLES = ("contractor", "municipality", "admin")
CONTRACT_ROLES = ("responsible", "worker")


class User(BaseModel):
    login = peewee.CharField(primary_key=True, max_length=64)
    name = peewee.CharField()
    role = peewee.CharField(choices=[(role, role) for role in ROLES])
    organisation = peewee.CharField(default="")  # 会社名 or 課名
    title = peewee.CharField(default="")  # 役職
    active = peewee.BooleanField(default=True)
    # Outside the ledger: secrets never go into a record that inspectors read. The ledger keeps
    # ``password_fingerprint`` (see ``secret_fingerprint``), so a swapped hash is caught by verify.
    password_hash = peewee.CharField(default="")
    password_fingerprint = peewee.CharField(default="")

    ledger_fields = ("name", "role", "organisation", "title", "active", "password_fingerprint")

    @property
    def is_municipality(self) -> bool:
        return self.role == "municipality"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Contract(BaseModel):
    code = peewee.CharField(primary_key=True, max_length=8)  # also the medium ID prefix
    title = peewee.CharField()  # 件名
    client = peewee.CharField()  # 委託者, e.g. 小金井市
    client_section = peewee.CharField(default="")  # 担当課
    contractor = peewee.CharField(default="")  # 受託者 (company)
    contractor_address = peewee.CharField(default="")
    contract_number = peewee.CharField(default="")
    period_start = peewee.CharField(default="")  # ISO date
    period_end = peewee.CharField(default="")
    created_at = peewee.CharField()
    # The provisions it runs under (a ProvisionProfile key, e.g. "koganei@1"); "" for a contract
    # made before profiles existed, which ran under Koganei's rules (provisions.LEGACY_PROFILE).
    profile = peewee.CharField(default="")
    profile_requested = peewee.CharField(default="")  # a change waiting for the city's approval
    profile_request_reason = peewee.CharField(default="")
    notify_email = peewee.CharField(default="")  # where the city is told of an incident at once (Art. 19)
    # The contractor's representative (代表者) as the papers print them beside the company seal box;
    # added after the first data folders, so older ones get the columns empty (models._add_missing_columns).
    contractor_representative_title = peewee.CharField(default="")  # 代表取締役
    contractor_representative = peewee.CharField(default="")  # 武蔵野 一郎
    closed_at = peewee.CharField(null=True)  # the close-out (Art. 17(1)): the contractor's access ends here

    ledger_fields = (
        "title", "client", "client_section", "contractor", "contractor_address",
        "contract_number", "period_start", "period_end", "created_at",
        "profile", "profile_requested", "profile_request_reason", "notify_email", "closed_at",
        "contractor_representative_title", "contractor_representative",
    )


class ProvisionProfile(BaseModel):
    """One version of a city's special provisions as data (tracker/provisions.py), its whole text
    kept in the ledger so the rules a contract ran under can always be read back as they were."""

    key = peewee.CharField(primary_key=True)  # "koganei@1"
    title = peewee.CharField()
    municipality = peewee.CharField(default="")
    text = peewee.TextField()  # the TOML file, byte for byte as registered
    sha256 = peewee.CharField(max_length=64)
    registered_by = peewee.CharField(null=True)
    registered_at = peewee.CharField()

    ledger_fields = ("title", "municipality", "text", "sha256", "registered_by", "registered_at")


class RosterEntry(BaseModel):
    """A person on a contract's list of handlers (Art. 8): responsible person or worker."""

    key = peewee.CharField(primary_key=True)  # "<contract>/<login>"
    contract = peewee.ForeignKeyField(Contract, backref="roster")
    user = peewee.ForeignKeyField(User, backref="roster_entries")
    role = peewee.CharField(choices=[(role, role) for role in CONTRACT_ROLES])
    added_at = peewee.CharField()
    removed_at = peewee.CharField(null=True)
    reported_on = peewee.CharField(null=True)  # date the change was reported to the city
    employer = peewee.CharField(default="")  # the person's employer (the contractor, an agency, a subcontractor)
    employment_type = peewee.CharField(default="")  # see EMPLOYMENT_TYPES (Art. 15); "" before it was recorded
    approval = peewee.CharField(null=True)  # the roster application the city approved (or was notified of)

    # Art. 2(2): a leaver is reminded that the duty of confidentiality continues after they leave.
    leaver_reminded_on = peewee.CharField(null=True)
    leaver_reminder = peewee.TextField(default="")  # how, and what they were told

    ledger_fields = ("contract", "user", "role", "added_at", "removed_at", "reported_on", "employer",
                     "employment_type", "approval", "leaver_reminded_on", "leaver_reminder")

    @property
    def active(self) -> bool:
        return self.removed_at is None


EMPLOYMENT_TYPES = ("regular", "dispatched", "fixed_term", "part_time", "subcontractor")
ROSTER_CHANGES = ("add", "remove", "role")
ROSTER_APPLICATION_STATUSES = ("pending", "approved", "rejected", "notified", "reported", "acknowledged")


class RosterApplication(BaseModel):
    """A change of the roster put to the city (Art. 8): a person added, removed, or given another
    role. Where the contract's provisions ask for prior approval, an addition or role change takes
    effect only when the city approves; a removal takes effect at once and is reported."""

    number = peewee.CharField(primary_key=True)  # KG26-R0001; the approval number is "<number>-承認"
    contract = peewee.ForeignKeyField(Contract, backref="roster_applications")
    change = peewee.CharField(choices=[(c, c) for c in ROSTER_CHANGES])
    user = peewee.ForeignKeyField(User, backref="roster_applications")
    role = peewee.CharField(choices=[(role, role) for role in CONTRACT_ROLES])
    employer = peewee.CharField(default="")
    employment_type = peewee.CharField(default="")
    effective_from = peewee.CharField(default="")  # ISO date the applicant asks for
    reason = peewee.TextField(default="")
    applied_by = peewee.CharField(null=True)  # None: the installation (`mediatrail roster add`)
    applied_at = peewee.CharField()
    status = peewee.CharField(choices=[(s, s) for s in ROSTER_APPLICATION_STATUSES])
    decided_by = peewee.CharField(null=True)
    decided_at = peewee.CharField(null=True)
    decision_note = peewee.TextField(default="")

    ledger_fields = ("contract", "change", "user", "role", "employer", "employment_type", "effective_from", "reason",
                     "applied_by", "applied_at", "status", "decided_by", "decided_at", "decision_note")


class Pledge(BaseModel):
    """A signed 誓約書 (Art. 11), bound to the exact pledge text by its SHA-256."""

    key = peewee.CharField(primary_key=True)  # "<contract>/<login>/<n>"
    contract = peewee.ForeignKeyField(Contract, backref="pledges")
    user = peewee.ForeignKeyField(User, backref="pledges")
    signed_on = peewee.CharField()  # ISO date
    text_version = peewee.CharField()
    text_sha256 = peewee.CharField(max_length=64)
    method = peewee.CharField()  # "electronic" (signed in the app) or "paper" (recorded)
    recorded_by = peewee.CharField()
    role = peewee.CharField(default="")  # the roster role whose form was signed; "" before forms per role
    sheet = peewee.CharField(null=True)  # SHA-256 of the signed sheet (photo or scan) of a paper pledge
    submitted_on = peewee.CharField(null=True)  # ISO date handed to the city (Art. 11)
    submitted_how = peewee.CharField(default="")  # e.g. 持参, 郵送
    submitted_to = peewee.CharField(default="")  # the city official who received it
    submission_recorded_by = peewee.CharField(null=True)
    confirmed_by = peewee.CharField(null=True)  # the city user who confirmed receipt
    confirmed_at = peewee.CharField(null=True)

    ledger_fields = ("contract", "user", "signed_on", "text_version", "text_sha256", "method", "recorded_by", "role",
                     "sheet", "submitted_on", "submitted_how", "submitted_to", "submission_recorded_by",
                     "confirmed_by", "confirmed_at")


LOCATION_KINDS = ("cabinet", "safe", "room", "work_place")
LOCATION_PURPOSES = ("storage", "work")


class Location(BaseModel):
    """A locked cabinet, safe or room where media are kept (Art. 7(1)), or a work place (Art. 9)."""

    code = peewee.CharField(primary_key=True)  # LOC-00001-X
    name = peewee.CharField()
    site = peewee.CharField(default="")  # building / office
    room = peewee.CharField(default="")
    kind = peewee.CharField(choices=[(kind, kind) for kind in LOCATION_KINDS])
    purpose = peewee.CharField(choices=[(purpose, purpose) for purpose in LOCATION_PURPOSES])
    lockable = peewee.BooleanField(default=True)
    check_interval_days = peewee.IntegerField(null=True)
    active = peewee.BooleanField(default=True)

    ledger_fields = ("name", "site", "room", "kind", "purpose", "lockable", "check_interval_days", "active")


WORK_PLACE_STATUSES = ("reported", "acknowledged", "designated", "withdrawn")


class WorkPlace(BaseModel):
    """A work place of one contract (Art. 9): reported by the contractor, acknowledged by the city
    (or designated by it). The place itself is a ``Location`` of purpose "work"."""

    key = peewee.CharField(primary_key=True)  # "<contract>/<location code>"
    contract = peewee.ForeignKeyField(Contract, backref="work_places")
    location = peewee.ForeignKeyField(Location, backref="contract_uses")
    address = peewee.CharField(default="")
    security_measures = peewee.TextField(default="")
    city_premises = peewee.BooleanField(default=False)  # inside the city's own buildings (Art. 9(2): ID badges)
    status = peewee.CharField(choices=[(s, s) for s in WORK_PLACE_STATUSES])
    reported_by = peewee.CharField(null=True)
    reported_at = peewee.CharField()
    decided_by = peewee.CharField(null=True)
    decided_at = peewee.CharField(null=True)
    note = peewee.TextField(default="")

    ledger_fields = ("contract", "location", "address", "security_measures", "city_premises", "status", "reported_by",
                     "reported_at", "decided_by", "decided_at", "note")


class IdBadge(BaseModel):
    """An ID badge the contractor issued for work inside the city's premises (Art. 9(2))."""

    key = peewee.CharField(primary_key=True)  # "<contract>/<number>"
    contract = peewee.ForeignKeyField(Contract, backref="badges")
    user = peewee.ForeignKeyField(User, backref="badges")
    number = peewee.CharField()
    issued_on = peewee.CharField()
    returned_on = peewee.CharField(null=True)
    recorded_by = peewee.CharField()

    ledger_fields = ("contract", "user", "number", "issued_on", "returned_on", "recorded_by")


class TrainingSession(BaseModel):
    """A training session on confidentiality (Art. 10) for people on a contract's roster."""

    number = peewee.CharField(primary_key=True)  # KG26-E0001
    contract = peewee.ForeignKeyField(Contract, backref="training_sessions")
    held_on = peewee.CharField()  # ISO date
    content = peewee.TextField()
    trainer = peewee.CharField()
    materials = JSONField(default=list)  # SHA-256 of each material kept as an attachment
    attendees = JSONField(default=list)  # logins, all on the roster when recorded
    confirmations = JSONField(default=dict)  # login -> when they confirmed, with their own login, that they attended
    recorded_by = peewee.CharField()
    recorded_at = peewee.CharField()
    # Where the profile asks for training results to be reported to the city: when, how, to whom.
    reported_on = peewee.CharField(null=True)
    reported_how = peewee.CharField(default="")
    reported_to = peewee.CharField(default="")

    ledger_fields = ("contract", "held_on", "content", "trainer", "materials", "attendees", "confirmations",
                     "recorded_by", "recorded_at", "reported_on", "reported_how", "reported_to")


class SupervisionCheck(BaseModel):
    """The responsible person's supervision of the people handling the information (Art. 2(2))."""

    number = peewee.CharField(primary_key=True)  # KG26-S0001
    contract = peewee.ForeignKeyField(Contract, backref="supervision_checks")
    checked_on = peewee.CharField()
    checked_by = peewee.CharField()
    subjects = JSONField(default=list)  # logins supervised; empty for the whole team
    checked = peewee.TextField()  # what was checked
    findings = peewee.TextField(default="")
    recorded_at = peewee.CharField()

    ledger_fields = ("contract", "checked_on", "checked_by", "subjects", "checked", "findings", "recorded_at")


class Attachment(BaseModel):
    """A file (photo, erasure report) stored once by content address; events cite its hash."""

    sha256 = peewee.CharField(primary_key=True, max_length=64)
    media_type = peewee.CharField()
    size = peewee.IntegerField()
    original_name = peewee.CharField(default="")
    stored_at = peewee.CharField()

    ledger_fields = ("media_type", "size", "original_name", "stored_at")


# ---- projection: media -------------------------------------------------------------------------

MEDIUM_KINDS = ("paper", "usb", "hdd", "ssd", "optical", "tape", "other")
ELECTRONIC_KINDS = ("usb", "hdd", "ssd", "optical", "tape")
# "expected": on a handover list, label printed, not yet handed over; "not_received": on the
# list but never handed over (closed at the handover's confirmation). Neither counts as received.
STATUSES = ("expected", "received", "stored", "in_use", "in_transit", "returned", "destroyed", "lost", "not_received")
HELD_STATUSES = ("received", "stored", "in_use", "in_transit", "lost")
NEVER_RECEIVED_STATUSES = ("expected", "not_received")


class Medium(BaseModel):
    id = peewee.CharField(primary_key=True)  # KG26-00042-Q
    contract = peewee.ForeignKeyField(Contract, backref="media")
    kind = peewee.CharField(choices=[(kind, kind) for kind in MEDIUM_KINDS])
    title = peewee.CharField()  # name of the document or data set
    description = peewee.TextField(default="")
    pi_items = JSONField(default=list)  # personal-information items, e.g. ["氏名", "住所"]
    record_count = peewee.IntegerField(default=0)  # number of records (persons)
    quantity = peewee.IntegerField(default=1)  # sheets, discs... under this one label
    manufacturer = peewee.CharField(default="")
    model = peewee.CharField(default="")
    serial_number = peewee.CharField(default="")
    encrypted = peewee.BooleanField(default=False)
    encryption = peewee.CharField(default="")  # how, e.g. "AES-256 (BitLocker To Go)"
    seal_number = peewee.CharField(default="")
    parent = peewee.ForeignKeyField("self", null=True, backref="copies")
    status = peewee.CharField(choices=[(status, status) for status in STATUSES])
    location = peewee.ForeignKeyField(Location, null=True, backref="media")
    custodian = peewee.ForeignKeyField(User, null=True, backref="media_held")
    purpose = peewee.CharField(default="")  # why it is out, when in use
    due_back = peewee.CharField(null=True)  # expected return when taken out
    registered_at = peewee.CharField()
    updated_at = peewee.CharField()
    labels_printed = peewee.IntegerField(default=0)
    last_checked_at = peewee.CharField(null=True)  # last storage check that found it (Art. 6(2))
    is_backup = peewee.BooleanField(default=False)  # a backup medium: storage checks list them apart

    ledger_fields = (
        "contract", "kind", "title", "description", "pi_items", "record_count", "quantity",
        "manufacturer", "model", "serial_number", "encrypted", "encryption", "seal_number",
        "parent", "status", "location", "custodian", "purpose", "due_back", "registered_at",
        "updated_at", "labels_printed", "last_checked_at", "is_backup",
    )

    @property
    def is_electronic(self) -> bool:
        return self.kind in ELECTRONIC_KINDS

    class Meta:
        # What the lists ask: a contract's media by status (dashboard, register, inspection), a
        # place's stored media (checks), overdue by due date, and the start of a title or number
        # (a search too short for the text index, see tracker/search.py).
        indexes = (
            (("contract", "status", "id"), False),
            (("location", "status"), False),
            (("status", "due_back"), False),
            (("title",), False),
            (("serial_number",), False),
            (("seal_number",), False),
        )


# ---- projection: custody papers ----------------------------------------------------------------

HANDOVER_DIRECTIONS = ("receive", "return")
# open: items being scanned; signed: the contractor signed, waiting for the city; confirmed: both.
HANDOVER_STATUSES = ("open", "signed", "confirmed")


class Handover(BaseModel):
    """One handover between the city and the contractor: receiving (預り証, Art. 16) or return
    (返還受領書, Art. 17(1)). Its number is the receipt number printed on the paper."""

    number = peewee.CharField(primary_key=True)  # KG26-H0001
    contract = peewee.ForeignKeyField(Contract, backref="handovers")
    direction = peewee.CharField(choices=[(d, d) for d in HANDOVER_DIRECTIONS])
    status = peewee.CharField(choices=[(s, s) for s in HANDOVER_STATUSES])
    handover_at = peewee.CharField()  # date and time designated by the city, UTC ISO
    place = peewee.CharField()
    means = peewee.CharField()  # e.g. 手渡し（施錠ケース）
    city_official = peewee.CharField()  # name of who releases (or receives) for the city
    storage_plan = peewee.CharField(default="")  # 保管予定場所
    disposition_plan = peewee.CharField(default="")  # 返還・廃棄の予定
    list_name = peewee.CharField(default="")  # the imported handover list's file name
    list_sha256 = peewee.CharField(default="")  # of the file as uploaded (kept as an attachment)
    list_sheet = peewee.CharField(default="")  # the worksheet the list was read from; "" for CSV
    created_by = peewee.CharField()
    created_at = peewee.CharField()
    signed_by = peewee.CharField(null=True)  # contractor side
    signed_at = peewee.CharField(null=True)
    confirmed_by = peewee.CharField(null=True)  # city side: a municipality login
    confirmed_at = peewee.CharField(null=True)

    ledger_fields = (
        "contract", "direction", "status", "handover_at", "place", "means", "city_official",
        "storage_plan", "disposition_plan", "list_name", "list_sha256", "created_by", "created_at",
        "signed_by", "signed_at", "confirmed_by", "confirmed_at", "list_sheet",
    )


class HandoverItem(BaseModel):
    """A medium in a handover: on the city's list (``line``) and/or scanned at the handover."""

    key = peewee.CharField(primary_key=True)  # "<handover>/<medium>"
    handover = peewee.ForeignKeyField(Handover, backref="items")
    medium = peewee.ForeignKeyField(Medium, backref="handover_items")
    line = peewee.IntegerField(null=True)  # line of the imported list; null when not on it
    reference = peewee.CharField(default="")  # the city's own number for the item, from its list
    scanned_at = peewee.CharField(null=True)
    scanned_by = peewee.CharField(null=True)
    identified_by = peewee.CharField(null=True)  # how the scan arrived: camera, station, wedge, photo, label, typed

    ledger_fields = ("handover", "medium", "line", "reference", "scanned_at", "scanned_by", "identified_by")

    @property
    def listed(self) -> bool:
        return self.line is not None


class ListColumnMapping(BaseModel):
    """What a column name in a contract's handover lists means, as a person mapped it once when a
    list was imported (the synonyms in ``workflows/list_columns.py`` did not know it): the next
    list of the same layout imports in one step. In the ledger because it decides how the city's
    list becomes media: an inspector can see who said 「品目」 is the title, and when."""

    key = peewee.CharField(primary_key=True)  # "<contract>/<column name as compared>"
    contract = peewee.ForeignKeyField(Contract, backref="list_columns")
    name = peewee.CharField()  # the column name as compared (list_columns.header_key: NFKC, lower case)
    field = peewee.CharField()  # a list field (title, kind, …) or "ignore"
    saved_by = peewee.CharField()
    saved_at = peewee.CharField()

    ledger_fields = ("contract", "name", "field", "saved_by", "saved_at")


TRANSFER_STATUSES = ("preparing", "departed", "arrived")


class Transfer(BaseModel):
    """Transport of media between sites (移送, Art. 7(4)): custodians, means, route, seal."""

    number = peewee.CharField(primary_key=True)  # KG26-T0001
    contract = peewee.ForeignKeyField(Contract, backref="transfers")
    status = peewee.CharField(choices=[(s, s) for s in TRANSFER_STATUSES])
    purpose = peewee.CharField()
    approval_reference = peewee.CharField(default="")  # the city's approval, where needed
    origin = peewee.CharField()  # 発送元
    destination = peewee.ForeignKeyField(Location, backref="incoming_transfers")  # storage place on arrival
    means = peewee.CharField()
    route = peewee.CharField(default="")
    custodians = JSONField(default=list)  # names of the people carrying
    seal_number = peewee.CharField(default="")
    locked_case = peewee.BooleanField(default=True)
    created_by = peewee.CharField()
    created_at = peewee.CharField()
    departed_by = peewee.CharField(null=True)
    departed_at = peewee.CharField(null=True)
    arrived_by = peewee.CharField(null=True)
    arrived_at = peewee.CharField(null=True)
    seal_intact = peewee.BooleanField(null=True)
    exceptions = peewee.TextField(default="")

    ledger_fields = (
        "contract", "status", "purpose", "approval_reference", "origin", "destination", "means",
        "route", "custodians", "seal_number", "locked_case", "created_by", "created_at",
        "departed_by", "departed_at", "arrived_by", "arrived_at", "seal_intact", "exceptions",
    )


class TransferItem(BaseModel):
    """A medium scanned at departure and/or arrival of a transfer."""

    key = peewee.CharField(primary_key=True)  # "<transfer>/<medium>"
    transfer = peewee.ForeignKeyField(Transfer, backref="items")
    medium = peewee.ForeignKeyField(Medium, backref="transfer_items")
    sent_at = peewee.CharField(null=True)  # null: scanned at arrival but never sent
    sent_by = peewee.CharField(null=True)
    arrived_at = peewee.CharField(null=True)
    arrived_by = peewee.CharField(null=True)

    ledger_fields = ("transfer", "medium", "sent_at", "sent_by", "arrived_at", "arrived_by")


APPROVAL_STATUSES = ("requested", "approved", "rejected", "used")


class CopyRequest(BaseModel):
    """A request to copy a medium and the city's decision on it (Art. 5, 7(3))."""

    number = peewee.CharField(primary_key=True)  # KG26-C0001, also the approval number
    contract = peewee.ForeignKeyField(Contract, backref="copy_requests")
    medium = peewee.ForeignKeyField(Medium, backref="copy_requests")
    copies = peewee.IntegerField()
    copy_kind = peewee.CharField()  # the kind of medium the copy is made on
    purpose = peewee.CharField()
    status = peewee.CharField(choices=[(s, s) for s in APPROVAL_STATUSES])
    requested_by = peewee.CharField()
    requested_at = peewee.CharField()
    decided_by = peewee.CharField(null=True)
    decided_at = peewee.CharField(null=True)
    decision_note = peewee.CharField(default="")  # conditions or the reason for a rejection
    copies_made = peewee.IntegerField(default=0)

    ledger_fields = (
        "contract", "medium", "copies", "copy_kind", "purpose", "status", "requested_by",
        "requested_at", "decided_by", "decided_at", "decision_note", "copies_made",
    )


# ---- the ledger --------------------------------------------------------------------------------


class Event(BaseModel):
    seq = peewee.AutoField()
    at = peewee.CharField(index=True)  # UTC ISO
    actor = peewee.CharField(null=True, index=True)  # login; null for the system itself
    kind = peewee.CharField(index=True)
    contract = peewee.CharField(null=True, index=True)
    data = peewee.TextField()  # canonical JSON: what was said and done
    changes = peewee.TextField()  # canonical JSON: {table: {key: {field: value}}}
    prev_hash = peewee.CharField(max_length=64, unique=True)  # unique: the chain cannot fork
    hash = peewee.CharField(max_length=64, unique=True)

    @property
    def data_dict(self) -> dict:
        return json.loads(self.data)

    @property
    def changes_dict(self) -> dict:
        return json.loads(self.changes)


class EventMedium(BaseModel):
    """Which media an event concerns: each medium's timeline is a join, not a text search."""

    event = peewee.ForeignKeyField(Event, backref="media_links", on_delete="RESTRICT")
    medium = peewee.CharField(index=True)

    class Meta:
        indexes = ((("event", "medium"), True),)


# ---- operational tables outside the ledger -----------------------------------------------------


TOKEN_ID_LENGTH = 12


class ApiToken(BaseModel):
    """A bearer token for a scanning station or integration; only its SHA-256 is kept. Issued
    and revoked by ledger events (``token.issued``, ``token.revoked``), so a token inserted or
    un-revoked in the database is caught by verify; the SHA-256 of 32 random bytes gives
    nobody the token."""

    token_sha256 = peewee.CharField(primary_key=True, max_length=64)
    user = peewee.ForeignKeyField(User, backref="tokens")
    name = peewee.CharField()
    created_at = peewee.CharField()
    expires_at = peewee.CharField(null=True)
    revoked = peewee.BooleanField(default=False)

    ledger_fields = ("user", "name", "created_at", "expires_at", "revoked")

    @property
    def short_id(self) -> str:
        """What lists show and ``token revoke`` takes: the first 12 hex digits of the SHA-256."""
        return self.token_sha256[:TOKEN_ID_LENGTH]


class ScanReceipt(BaseModel):
    """The answer given to a scan, by idempotency key: a resent scan gets it again, unrecorded."""

    idempotency_key = peewee.CharField(primary_key=True, max_length=80)  # sha256(login, key); the raw key in older receipts
    user = peewee.ForeignKeyField(User)
    status = peewee.IntegerField()
    response = peewee.TextField()
    created_at = peewee.CharField()
    fingerprint = peewee.CharField(max_length=64, null=True)  # sha256 of what was asked (scans.request_fingerprint)
    event_seq = peewee.IntegerField(null=True)  # the last event the scan wrote; null: it wrote none


class Meta(BaseModel):
    key = peewee.CharField(primary_key=True)
    value = peewee.TextField()


# Order matters: a row may refer only to rows of tables earlier in this list.
# ---- projection: destruction (Art. 17) --------------------------------------------------------

DESTRUCTION_STATUSES = ("applied", "approved", "rejected", "withdrawn", "completed")
SANITIZATION_CATEGORIES = ("clear", "purge", "destroy")  # NIST SP 800-88


class DestructionApplication(BaseModel):
    """消去・廃棄申請書 (Art. 17(2)) and what became of it: the city's decision, the execution."""

    number = peewee.CharField(primary_key=True)  # KG26-A0001, the application number
    contract = peewee.ForeignKeyField(Contract, backref="destruction_applications")
    status = peewee.CharField(choices=[(s, s) for s in DESTRUCTION_STATUSES])
    reason = peewee.CharField()
    scheduled_at = peewee.CharField()  # UTC ISO; execution is refused before this day (JST)
    place = peewee.CharField()
    witness_requested = peewee.BooleanField(default=False)
    copies_statement = peewee.TextField(default="")  # how copies and backups are covered
    verification_plan = peewee.TextField(default="")
    applied_by = peewee.CharField()
    applied_at = peewee.CharField()
    decided_by = peewee.CharField(null=True)  # a municipality login, never a contractor's
    decided_at = peewee.CharField(null=True)
    decision_note = peewee.TextField(default="")  # conditions, or the reason for a rejection / withdrawal
    approval_number = peewee.CharField(default="")
    started_at = peewee.CharField(null=True)
    completed_at = peewee.CharField(null=True)
    operator = peewee.CharField(null=True)  # who did it (login)
    verifier = peewee.CharField(null=True)  # who verified (login)
    witness = peewee.CharField(null=True)  # a municipality login, when the witness used their own
    witness_name = peewee.CharField(default="")  # or the name typed with a drawn signature
    witness_signature = peewee.CharField(null=True)  # attachment sha256 of the drawn signature
    witnessed_at = peewee.CharField(null=True)

    ledger_fields = (
        "contract", "status", "reason", "scheduled_at", "place", "witness_requested", "copies_statement",
        "verification_plan", "applied_by", "applied_at", "decided_by", "decided_at", "decision_note",
        "approval_number", "started_at", "completed_at", "operator", "verifier", "witness", "witness_name",
        "witness_signature", "witnessed_at",
    )


class DestructionItem(BaseModel):
    """One medium on an application: the method applied for, and what was done."""

    key = peewee.CharField(primary_key=True)  # "<application>/<medium>"
    application = peewee.ForeignKeyField(DestructionApplication, backref="items")
    medium = peewee.ForeignKeyField(Medium, backref="destruction_items")
    category = peewee.CharField(choices=[(c, c) for c in SANITIZATION_CATEGORIES])
    technique = peewee.CharField()  # overwrite, nvme_sanitize, crypto_erase, degauss, shred...
    level = peewee.CharField(default="")  # DIN 66399 / ISO 21964, e.g. "H-5", "P-4"
    tool = peewee.CharField(default="")
    tool_version = peewee.CharField(default="")
    subcontractor = peewee.CharField(default="")  # Art. 14: who, when someone else does it
    scanned_at = peewee.CharField(null=True)  # scanned at the destruction station
    identified_by = peewee.CharField(null=True)  # how: camera, station, wedge, photo, label, typed (confirmed)
    destroyed_at = peewee.CharField(null=True)
    destroyed_by = peewee.CharField(null=True)
    verification_method = peewee.CharField(default="")
    verification_result = peewee.CharField(default="")
    destination = peewee.CharField(default="")  # where the remains went

    ledger_fields = (
        "application", "medium", "category", "technique", "level", "tool", "tool_version", "subcontractor",
        "scanned_at", "destroyed_at", "destroyed_by", "verification_method", "verification_result", "destination",
        "identified_by",
    )


EVIDENCE_STAGES = ("before", "during", "after", "report", "signature")


class Evidence(BaseModel):
    """A photo or erasure report kept as proof: its hash is in the ledger the moment it is stored."""

    key = peewee.CharField(primary_key=True)  # "<paper>/<sha256>"
    paper = peewee.CharField(index=True)  # the application (or check, incident) number it belongs to
    medium = peewee.CharField(null=True)  # null: for the whole batch
    stage = peewee.CharField(choices=[(s, s) for s in EVIDENCE_STAGES])
    attachment = peewee.ForeignKeyField(Attachment)
    taken_at = peewee.CharField(null=True)  # from EXIF, UTC ISO; null when the photo has none
    clock_skew_seconds = peewee.IntegerField(null=True)  # taken_at minus the server's receipt time
    uploaded_by = peewee.CharField()
    uploaded_at = peewee.CharField()

    ledger_fields = ("paper", "medium", "stage", "attachment", "taken_at", "clock_skew_seconds", "uploaded_by", "uploaded_at")


# ---- projection: storage checks and incidents (Art. 6(2), 19) ----------------------------------

CHECK_STATUSES = ("open", "completed", "signed_off", "abandoned")


class StorageCheck(BaseModel):
    """保管状況点検 (Art. 6(2)) of one storage place: what was expected there, what was found."""

    number = peewee.CharField(primary_key=True)  # CHK-00001
    location = peewee.ForeignKeyField(Location, backref="checks")
    status = peewee.CharField(choices=[(s, s) for s in CHECK_STATUSES])
    expected = JSONField(default=list)  # medium IDs recorded at this place when the check began
    participants = JSONField(default=list)  # logins of the people taking part
    started_by = peewee.CharField()
    started_at = peewee.CharField()
    accuracy_method = peewee.TextField(default="")  # data-accuracy check: how
    accuracy_result = peewee.TextField(default="")  # and what it showed
    anomalies = peewee.TextField(default="")
    corrective_actions = peewee.TextField(default="")
    completed_by = peewee.CharField(null=True)
    completed_at = peewee.CharField(null=True)
    signed_off_by = peewee.CharField(null=True)  # the responsible person
    signed_off_at = peewee.CharField(null=True)
    # Phones and stations scanning into the check, by device ID: {"name", "by", "pending",
    # "reported_at", "released_by", "release_reason"}; completion waits while any has pending > 0.
    devices = JSONField(default=dict)
    # Each contract's part of a place holding several contracts' media, completed and signed off
    # by its own people: {contract: {"completed_by", "completed_at", "signed_off_by", "signed_off_at"}}.
    parts = JSONField(default=dict)
    # A check that could not be finished, ended by the responsible person or an admin, saying why.
    abandoned_by = peewee.CharField(null=True)
    abandoned_at = peewee.CharField(null=True)
    abandon_reason = peewee.TextField(default="")

    ledger_fields = (
        "location", "status", "expected", "participants", "started_by", "started_at", "accuracy_method",
        "accuracy_result", "anomalies", "corrective_actions", "completed_by", "completed_at",
        "signed_off_by", "signed_off_at", "devices", "parts", "abandoned_by", "abandoned_at", "abandon_reason",
    )


class CheckScan(BaseModel):
    key = peewee.CharField(primary_key=True)  # "<check>/<medium>"
    check = peewee.ForeignKeyField(StorageCheck, backref="scans")
    medium = peewee.CharField()  # not a foreign key: an unknown label is recorded too
    scanned_at = peewee.CharField()
    scanned_by = peewee.CharField()
    seal_intact = peewee.BooleanField(null=True)
    note = peewee.CharField(default="")
    # What the scan showed, fixed when it was made (the medium may move later): found (expected
    # here), unexpected (a medium of ours recorded elsewhere, or gone) or unknown (not our label).
    finding = peewee.CharField(default="found")
    recorded_status = peewee.CharField(null=True)  # the medium's status in the ledger at the scan
    recorded_location = peewee.CharField(null=True)  # and where the ledger had it
    identified_by = peewee.CharField(null=True)  # how: camera, station, wedge, photo, label, typed (confirmed)

    ledger_fields = ("check", "medium", "scanned_at", "scanned_by", "seal_intact", "note", "finding",
                     "recorded_status", "recorded_location", "identified_by")


class CheckExpected(BaseModel):
    """One row per medium a storage check expects: an index of ``StorageCheck.expected`` (the
    list the ledger records), so that a scan asks one primary-key question and reconciliation is
    a join, whatever the place holds. Outside the ledger, derived from it: ``checks`` rebuilds a
    check's rows from the recorded list when they are missing (a check begun by an older version)."""

    check = peewee.CharField(max_length=40)
    medium = peewee.CharField()
    contract = peewee.CharField()  # the medium's contract when the check began

    class Meta:
        indexes = ((("check", "medium"), True), (("check", "contract"), False))


INCIDENT_STATUSES = ("draft", "preliminary", "final", "closed")
INCIDENT_KINDS = ("lost", "leaked", "misdelivered", "damaged", "tampered", "seal_broken", "missing_in_transit", "other")


class Incident(BaseModel):
    """事故報告 (Art. 19): what is known, what is being done, preliminary then final report."""

    number = peewee.CharField(primary_key=True)  # KG26-I0001
    contract = peewee.ForeignKeyField(Contract, backref="incidents")
    status = peewee.CharField(choices=[(s, s) for s in INCIDENT_STATUSES])
    media = JSONField(default=list)  # medium IDs concerned
    source = peewee.CharField(default="")  # e.g. the storage check or transfer that found it
    summary = peewee.TextField(default="")
    pi_items = JSONField(default=list)
    record_count = peewee.IntegerField(default=0)
    encrypted = peewee.BooleanField(null=True)
    place = peewee.CharField(default="")
    last_seen = peewee.TextField(default="")  # where and by whom, from the ledger
    occurred_at = peewee.CharField(null=True)
    discovered_at = peewee.CharField()
    circumstances = peewee.TextField(default="")
    cause = peewee.TextField(default="")
    response_steps = JSONField(default=list)  # [{"action", "owner", "deadline", "done_at"}]
    secondary_harm = peewee.TextField(default="")
    prevention = peewee.TextField(default="")
    persons_response = peewee.TextField(default="")  # 本人への対応 (PPC report item)
    publication = peewee.TextField(default="")  # 公表 (PPC report item; Art. 19(3))
    found = JSONField(default=list)  # media found again: [{"medium", "found_at", "found_by", "where"}]
    opened_by = peewee.CharField()
    opened_at = peewee.CharField()
    preliminary_at = peewee.CharField(null=True)
    final_at = peewee.CharField(null=True)
    closed_at = peewee.CharField(null=True)
    kind = peewee.CharField(default="lost")  # INCIDENT_KINDS
    report_due_at = peewee.CharField(null=True)  # the first written report's limit, from the profile
    city_told_at = peewee.CharField(null=True)  # when the city was first told (its notice was delivered)
    plan = peewee.CharField(default="")  # the emergency response plan in force when it opened (ResponsePlan key)

    ledger_fields = (
        "kind", "report_due_at", "city_told_at", "plan",
        "contract", "status", "media", "source", "summary", "pi_items", "record_count", "encrypted", "place",
        "last_seen", "occurred_at", "discovered_at", "circumstances", "cause", "response_steps",
        "secondary_harm", "prevention", "persons_response", "publication", "found", "opened_by", "opened_at",
        "preliminary_at", "final_at", "closed_at",
    )


class Document(BaseModel):
    """A PDF as issued: its serial never reused, the ledger head it was made from, and its bytes
    kept as an attachment (so ``verify()`` re-hashes it and the same file can be downloaded again)."""

    serial = peewee.CharField(primary_key=True)  # KG26-D00001
    contract = peewee.ForeignKeyField(Contract, backref="documents")
    kind = peewee.CharField()  # see vocabulary.DOCUMENTS
    subject = peewee.CharField(default="")  # the handover, transfer... number it is about
    head_seq = peewee.IntegerField()
    head_hash = peewee.CharField(max_length=64)
    attachment = peewee.ForeignKeyField(Attachment)
    issued_by = peewee.CharField()
    issued_at = peewee.CharField()

    ledger_fields = ("contract", "kind", "subject", "head_seq", "head_hash", "attachment", "issued_by", "issued_at")


class ResponsePlan(BaseModel):
    """緊急時対応計画 (Art. 19(2)): a contract's plan for accidents, made beforehand and kept as
    numbered versions — an incident names the version that was in force when it opened."""

    key = peewee.CharField(primary_key=True)  # "<contract>/v<n>"
    contract = peewee.ForeignKeyField(Contract, backref="response_plans")
    version = peewee.IntegerField()
    contacts = peewee.TextField()  # who is called, in which order, how
    steps = peewee.TextField()  # what is done first
    decides = peewee.TextField()  # who decides (stopping work, telling the persons, publication)
    recorded_by = peewee.CharField()
    recorded_at = peewee.CharField()

    ledger_fields = ("contract", "version", "contacts", "steps", "decides", "recorded_by", "recorded_at")


class Instruction(BaseModel):
    """The city's instruction on an incident (Art. 19(1)): each needs the contractor's response."""

    key = peewee.CharField(primary_key=True)  # "<incident>/<n>"
    incident = peewee.ForeignKeyField(Incident, backref="instructions")
    text = peewee.TextField()
    given_by = peewee.CharField()  # a municipality login
    given_at = peewee.CharField()
    response = peewee.TextField(default="")
    responded_by = peewee.CharField(null=True)
    responded_at = peewee.CharField(null=True)

    ledger_fields = ("incident", "text", "given_by", "given_at", "response", "responded_by", "responded_at")


SUBCONTRACT_STATUSES = ("applied", "approved", "rejected")


class Subcontract(BaseModel):
    """再委託 (Art. 14): the register of subcontractors of a contract, each row an application with
    the items of Art. 14(2) and the city's decision. Work by a subcontractor — a destruction line
    naming it, custody by its people — is refused unless its row is approved."""

    number = peewee.CharField(primary_key=True)  # KG26-S0001
    contract = peewee.ForeignKeyField(Contract, backref="subcontracts")
    status = peewee.CharField(choices=[(s, s) for s in SUBCONTRACT_STATUSES])
    name = peewee.CharField()  # 再委託先の名称
    address = peewee.CharField()  # 所在地
    reason = peewee.TextField()  # 再委託の理由
    work = peewee.TextField()  # 再委託する業務の内容
    personal_information = peewee.TextField()  # 取り扱う個人情報
    safety_measures = peewee.TextField()  # 安全管理措置
    supervision = peewee.TextField()  # 監督の方法
    applied_by = peewee.CharField()
    applied_at = peewee.CharField()
    decided_by = peewee.CharField(null=True)  # a municipality login
    decided_at = peewee.CharField(null=True)
    decision_note = peewee.TextField(default="")
    approval_number = peewee.CharField(default="")

    ledger_fields = ("contract", "status", "name", "address", "reason", "work", "personal_information", "safety_measures",
                     "supervision", "applied_by", "applied_at", "decided_by", "decided_at", "decision_note", "approval_number")


class SupervisionReport(BaseModel):
    """How the contractor supervised an approved subcontractor (Art. 14(5)), shown to the city."""

    key = peewee.CharField(primary_key=True)  # "<subcontract>/<n>"
    subcontract = peewee.ForeignKeyField(Subcontract, backref="supervision_reports")
    supervised_on = peewee.CharField()  # ISO date
    method = peewee.TextField()  # on-site inspection, report received...
    findings = peewee.TextField()
    reported_by = peewee.CharField()
    reported_at = peewee.CharField()

    ledger_fields = ("subcontract", "supervised_on", "method", "findings", "reported_by", "reported_at")


CLOSEOUT_DESIGNATIONS = ("return", "destroy")


class Closeout(BaseModel):
    """The contract's end (Art. 17(1)): what the city designated for each medium (returned or
    destroyed), and the contractor's completion report once nothing is held."""

    key = peewee.CharField(primary_key=True)  # the contract's code
    designations = JSONField(default=dict)  # {medium ID: "return" | "destroy"}
    designated_by = peewee.CharField(null=True)  # a municipality login
    designated_at = peewee.CharField(null=True)
    completed_by = peewee.CharField(null=True)
    completed_at = peewee.CharField(null=True)
    note = peewee.TextField(default="")

    ledger_fields = ("designations", "designated_by", "designated_at", "completed_by", "completed_at", "note")


ELECTRONIC_NOTICE_KINDS = ("usb", "hdd", "ssd", "optical", "tape", "other", "work_pc", "transmission")
ELECTRONIC_NOTICE_STATUSES = ("submitted", "consented", "refused")
KEY_DELIVERY = ("separate", "together", "none")


class ElectronicNotice(BaseModel):
    """電磁的記録媒体 届出 (Art. 6): before the contractor records the contract's personal
    information on an electronic medium or a work PC, or sends it electronically, it tells the
    city what, where, why and how it is encrypted, and waits for the city's consent."""

    number = peewee.CharField(primary_key=True)  # KG26-E0001
    contract = peewee.ForeignKeyField(Contract, backref="electronic_notices")
    status = peewee.CharField(choices=[(s, s) for s in ELECTRONIC_NOTICE_STATUSES])
    kinds = JSONField(default=list)  # what it covers: medium kinds, "work_pc", "transmission"
    description = peewee.TextField()  # the devices (model, serial) or the transmission route
    place = peewee.CharField()  # where they are used / kept
    purpose = peewee.TextField()  # why
    encryption = peewee.CharField()  # the method
    key_delivery = peewee.CharField(default="none")  # KEY_DELIVERY: how the key travels
    submitted_by = peewee.CharField()
    submitted_at = peewee.CharField()
    decided_by = peewee.CharField(null=True)  # a municipality login
    decided_at = peewee.CharField(null=True)
    decision_note = peewee.TextField(default="")

    ledger_fields = ("contract", "status", "kinds", "description", "place", "purpose", "encryption", "key_delivery",
                     "submitted_by", "submitted_at", "decided_by", "decided_at", "decision_note")


class Transmission(BaseModel):
    """One sending of the contract's personal information by electronic means (Art. 6(5)),
    under a notice the city consented to."""

    number = peewee.CharField(primary_key=True)  # KG26-X0001
    contract = peewee.ForeignKeyField(Contract, backref="transmissions")
    notice = peewee.ForeignKeyField(ElectronicNotice, backref="transmissions")
    sent_at = peewee.CharField()
    recipient = peewee.CharField()
    content = peewee.TextField()  # what was sent (files, records)
    means = peewee.CharField()  # e.g. LGWAN メール, SFTP
    encryption = peewee.CharField()
    key_delivery = peewee.CharField(default="none")
    recorded_by = peewee.CharField()
    recorded_at = peewee.CharField()

    ledger_fields = ("contract", "notice", "sent_at", "recipient", "content", "means", "encryption", "key_delivery",
                     "recorded_by", "recorded_at")


CONCERN_KINDS = ("complaint", "improvement")
CONCERN_STATUSES = ("open", "answered", "closed")


class Concern(BaseModel):
    """One register for a complaint received (Art. 18: reported to the city at once, its
    progress, its closure) and the city's improvement instruction after an inspection (Art.
    12(2)(3): entered by the city with a deadline, the contractor's response, closed by the city)."""

    number = peewee.CharField(primary_key=True)  # KG26-C0001
    contract = peewee.ForeignKeyField(Contract, backref="concerns")
    kind = peewee.CharField(choices=[(k, k) for k in CONCERN_KINDS])
    status = peewee.CharField(choices=[(s, s) for s in CONCERN_STATUSES])
    title = peewee.CharField()
    detail = peewee.TextField()
    source = peewee.CharField(default="")  # who complained / which inspection
    received_at = peewee.CharField()  # when received (complaint) or given (instruction)
    entered_by = peewee.CharField()
    due = peewee.CharField(null=True)  # the instruction's deadline (ISO date)
    progress = JSONField(default=list)  # [{"at", "by", "text"}]
    response = peewee.TextField(default="")
    responded_by = peewee.CharField(null=True)
    responded_at = peewee.CharField(null=True)
    closed_by = peewee.CharField(null=True)
    closed_at = peewee.CharField(null=True)
    closing_note = peewee.TextField(default="")

    ledger_fields = ("contract", "kind", "status", "title", "detail", "source", "received_at", "entered_by", "due",
                     "progress", "response", "responded_by", "responded_at", "closed_by", "closed_at", "closing_note")


NOTICE_STATUSES = ("pending", "sent")


class Notice(BaseModel):
    """An email telling the city something at once (an incident). Recorded before it is sent, so
    a mail server that is down loses nothing: it stays ``pending``, each failed attempt noted,
    and is retried until delivered."""

    number = peewee.CharField(primary_key=True)  # KG26-N0001
    contract = peewee.ForeignKeyField(Contract, backref="notices")
    subject = peewee.CharField(default="")  # what it is about: the incident number
    recipient = peewee.CharField(default="")
    title = peewee.CharField()
    body = peewee.TextField()
    status = peewee.CharField(choices=[(s, s) for s in NOTICE_STATUSES])
    attempts = peewee.IntegerField(default=0)
    last_error = peewee.CharField(default="")
    last_attempt_at = peewee.CharField(null=True)
    sent_at = peewee.CharField(null=True)
    created_at = peewee.CharField()

    ledger_fields = ("contract", "subject", "recipient", "title", "body", "status", "attempts", "last_error",
                     "last_attempt_at", "sent_at", "created_at")


class LoginThrottle(BaseModel):
    """Failed password attempts for one account or one client address (``account:sato``,
    ``address:192.0.2.7``) in the current window, and until when it is locked. Projected from
    the ``login.failed`` / ``login.locked`` events, so a lockout cannot be lifted by editing it."""

    key = peewee.CharField(primary_key=True)
    failures = peewee.IntegerField(default=0)
    window_start = peewee.CharField(null=True)
    locked_until = peewee.CharField(null=True)

    ledger_fields = ("failures", "window_start", "locked_until")


PROJECTED_MODELS = (
    User, ApiToken, ProvisionProfile, Contract, Location, WorkPlace, IdBadge, RosterEntry, RosterApplication, Pledge, TrainingSession,
    SupervisionCheck, Attachment, Medium,
    Handover, HandoverItem, ListColumnMapping, Transfer, TransferItem, CopyRequest,
    DestructionApplication, DestructionItem, Evidence, StorageCheck, CheckScan, Incident, Document,
    ResponsePlan, Instruction, Notice, LoginThrottle, Subcontract, SupervisionReport, Closeout, ElectronicNotice, Transmission, Concern,
)
PROJECTED_BY_TABLE = {model._meta.table_name: model for model in PROJECTED_MODELS}
ALL_MODELS = PROJECTED_MODELS + (Event, EventMedium, ScanReceipt, Meta, CheckExpected)
# Set in a database whose passwords and tokens are all in the ledger (every new one; an older one
# once ``adoption.record_secrets_kept_outside`` has recorded what it held).
SECRETS_IN_LEDGER = "secrets_in_ledger"
SCHEMA_VERSION = "1"


def create_schema() -> None:
    """Create what is missing: new tables, and new columns of existing tables.

    Columns are only ever added (each with its model default), never changed or dropped, so a
    data folder made by an older version opens with a newer one; replaying the ledger gives new
    columns the same defaults, so ``verify()`` agrees with the added values.
    """
    with database.atomic():
        fresh = Event._meta.table_name not in database.get_tables()
        # Columns first, then tables and indexes: an index on a column an older table lacks
        # would fail before the column could be added.
        _add_missing_columns()
        database.create_tables(ALL_MODELS, safe=True)
        from tracker import search  # imports this module

        search.create_index()
        Meta.insert(key="schema_version", value=SCHEMA_VERSION).on_conflict_ignore().execute()
        if fresh:
            Meta.insert(key=SECRETS_IN_LEDGER, value="1").on_conflict_ignore().execute()


def _add_missing_columns() -> None:
    from playhouse.migrate import SchemaMigrator, migrate

    real = database.obj
    migrator = None
    existing = set(real.get_tables())
    for model in ALL_MODELS:
        table = model._meta.table_name
        if table not in existing:
            continue  # created whole by create_tables
        present = {column.name for column in real.get_columns(table)}
        for field in model._meta.sorted_fields:
            if field.column_name in present:
                continue
            migrator = migrator or SchemaMigrator.from_database(real)
            if isinstance(real, peewee.SqliteDatabase) and not field.null:
                # SQLite can only make a column NOT NULL by rebuilding its table, and rebuilding a
                # table that others' foreign keys point at fails once rows point at it. Added
                # nullable and filled with the default instead: the app never writes NULL there.
                loose = field.clone()
                loose.null = True
                migrate(migrator.add_column(table, field.column_name, loose), migrator.apply_default(table, field.column_name, field))
            else:
                migrate(migrator.add_column(table, field.column_name, field))

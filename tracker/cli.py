"""The front door: ``mediatrail [--data DIR] COMMAND``.

Every refusal prints its reason in Japanese and English on stderr and exits non-zero; nothing is
half-written because every change goes through one ledger transaction.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from tracker import config, db, ledger, network, serving
from tracker.errors import DomainError
from tracker.models import ROLES, create_schema

EXIT_REFUSED = 1
EXIT_TAMPERED = 3
EXIT_UNBALANCED = 4


def main() -> None:
    cli(prog_name="mediatrail")


@click.group()
@click.option("--data", "data_option", envvar="MEDIATRAIL_DATA", metavar="DIR",
              help="Data folder (default ./data, or $MEDIATRAIL_DATA). データフォルダ")
@click.pass_context
def cli(context: click.Context, data_option: str | None) -> None:
    """mediatrail — 個人情報を記録した媒体の管理台帳 / chain of custody for record media."""
    context.obj = config.data_dir_from(data_option)


def refusals_are_messages(command):
    """Show a DomainError as its bilingual message instead of a traceback."""

    @functools.wraps(command)
    def guarded(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            click.echo(f"エラー: {error.message_ja}\nerror: {error.message_en}", err=True)
            sys.exit(EXIT_REFUSED)

    return guarded


def open_database(data_dir) -> config.Settings:
    from tracker.workflows import adoption

    settings = config.load(data_dir)
    db.connect(settings.database_url)
    create_schema()
    adoption.record_secrets_kept_outside()
    return settings


@cli.command()
@click.option("--base-url", help="URL printed in labels, e.g. http://192.168.1.10:8000 (ラベルに印刷するURL)")
@click.pass_obj
@refusals_are_messages
def init(data_dir, base_url):
    """Create a new data folder and database. 新しいデータフォルダを作成."""
    settings = config.initialise(data_dir, base_url)
    db.connect(settings.database_url)
    create_schema()
    click.echo(f"初期化しました / initialised: {data_dir}")
    click.echo("次に管理者を登録 / next, add an administrator: mediatrail user add admin --name 管理者 --role admin")


def tls_options(command):
    """--tls, --cert/--key and --http-port, shared by ``serve`` and ``demo``."""
    for option in reversed((
        click.option("--tls", is_flag=True,
                     help="HTTPS with a local certificate authority kept in the data folder (phones need HTTPS for the camera). HTTPS で起動"),
        click.option("--cert", "cert_file", type=click.Path(dir_okay=False),
                     help="Your company's certificate (PEM, chain included) instead of the local CA; implies --tls."),
        click.option("--key", "key_file", type=click.Path(dir_okay=False), help="The private key of --cert (PEM, not password-protected)."),
        click.option("--http-port", type=click.IntRange(0, 65535), default=config.DEFAULT_PORT, show_default=True,
                     help="With --tls: plain HTTP here redirects to HTTPS (labels printed with http:// keep opening); 0 for none."),
    )):
        command = option(command)
    return command


@cli.command()
@click.option("--no-serve", is_flag=True, help="Seed only, do not start the web server.")
@click.option("--media", "media_count", default=40, show_default=True, type=click.IntRange(1, 100_000),
              help="About this many media (at least 21: the whole story; two destroyed ones come on top).")
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 for phones on the LAN (labels then carry this machine's LAN address).")
@click.option("--port", type=click.IntRange(1, 65535), help=f"Default {config.DEFAULT_PORT}, or {serving.DEFAULT_HTTPS_PORT} with --tls.")
@click.option("--base-url", help="URL printed in labels (default: from --host and --port). ラベルに印刷するURL")
@tls_options
@click.pass_obj
@refusals_are_messages
def demo(data_dir, no_serve, media_count, host, port, base_url, tls, cert_file, key_file, http_port):
    """Seed a realistic demo (then serve it). デモデータを作成して起動."""
    from tracker import demo as demo_data

    plan = None
    if not no_serve:  # every port checked before anything is written: no dead URL in config.json
        plan = _server_plan(data_dir, host, port, 8, tls, cert_file, key_file, http_port)
    if not config.is_initialised(data_dir):
        scheme = "https" if tls or cert_file else "http"
        chosen_port = port or (serving.DEFAULT_HTTPS_PORT if scheme == "https" else config.DEFAULT_PORT)
        config.initialise(data_dir, base_url or network.url(scheme, network.preferred_host(host), chosen_port))
    elif base_url:
        click.echo("データフォルダは初期化済みのため --base-url は使いません（変更は mediatrail config set-base-url） / "
                   "the data folder exists, so --base-url is not used (change it with mediatrail config set-base-url)")
    settings = open_database(data_dir)
    result = demo_data.seed(media_count, settings)
    if result["seeded"]:
        click.echo(f"デモデータを作成しました（媒体 {result['media']} 件）/ demo seeded with {result['media']} media")
    else:
        click.echo("既にデータがあるため、デモデータは追加しません / data exists; demo not seeded again")
    click.echo(f"ラベルのURL / labels point to: {settings.base_url}")
    click.echo(f"ログイン / logins: admin, yamada（取扱責任者）, sato, suzuki（従事者）, takahashi（小金井市）, kobayashi（三鷹市） — password: {demo_data.DEMO_PASSWORD}")
    if plan:
        _run_server(data_dir, plan)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 to accept phones on the LAN.")
@click.option("--port", type=click.IntRange(1, 65535), help=f"Default {config.DEFAULT_PORT}, or {serving.DEFAULT_HTTPS_PORT} with --tls.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
@tls_options
@click.pass_obj
@refusals_are_messages
def serve(data_dir, host, port, threads, tls, cert_file, key_file, http_port):
    """Run the web app: waitress for HTTP, cheroot for HTTPS (--tls). Webアプリを起動.

    \b
    Exit codes / 終了コード:
      1  refused, e.g. a port in use or a certificate that does not match its key
    """
    config.load(data_dir)  # an uninitialised folder is refused before any certificate is made
    _run_server(data_dir, _server_plan(data_dir, host, port, threads, tls, cert_file, key_file, http_port))


def _server_plan(data_dir, host, port, threads, tls, cert_file, key_file, http_port) -> "serving.Plan":
    """Where to listen, with every port checked and the certificate ready (made, renewed, or the
    company's checked against its key). A port in use is one bilingual line and exit 1."""
    from tracker import tls as certificates
    from tracker.errors import InvalidInput

    if bool(cert_file) != bool(key_file):
        raise InvalidInput("--cert と --key は両方指定してください", "give both --cert and --key")
    secure = bool(tls or cert_file)
    port = port or (serving.DEFAULT_HTTPS_PORT if secure else config.DEFAULT_PORT)
    redirect_port = (http_port or None) if secure else None
    if redirect_port == port:
        raise InvalidInput(f"--http-port と --port が同じ番号（{port}）です", f"--http-port and --port are the same ({port})")
    plan = serving.Plan(host, port, None, redirect_port, threads)
    try:
        serving.check_ports(plan)
    except network.CannotListen as error:
        click.echo(error.one_line(), err=True)
        sys.exit(EXIT_REFUSED)
    if not secure:
        return plan
    if cert_file:
        files = certificates.company_certificate(cert_file, key_file)
    else:
        files = certificates.ensure_local_certificates(data_dir, network.certificate_names(host))
    return serving.Plan(host, port, files, redirect_port, threads)


def _run_server(data_dir, plan: "serving.Plan") -> None:
    try:
        serving.serve(config.load(data_dir), plan, click.echo)
    except network.CannotListen as error:  # taken between the check and the start
        click.echo(error.one_line(), err=True)
        sys.exit(EXIT_REFUSED)
    except KeyboardInterrupt:
        click.echo("停止しました / stopped")


@cli.group("config")
def config_group():
    """Settings kept in the data folder. 設定."""


@config_group.command("show")
@click.pass_obj
@refusals_are_messages
def config_show(data_dir):
    """Show the data folder's settings."""
    settings = config.load(data_dir)
    click.echo(f"data: {settings.data_dir}")
    click.echo(f"base_url: {settings.base_url}")
    click.echo(f"database: {'PostgreSQL' if settings.database_url.startswith('postgres') else settings.database_url}")


@config_group.command("set-base-url")
@click.argument("url")
@click.pass_obj
@refusals_are_messages
def config_set_base_url(data_dir, url):
    """Change the URL printed into labels and papers from now on. ラベルのURLを変更.

    Labels printed before stay valid: their signature covers the medium's ID, not the host.
    """
    import os

    old, new = config.set_base_url(data_dir, url)
    click.echo(f"ラベルのURLを変更しました / label URL changed: {old} -> {new}")
    click.echo("印刷済みのラベルはそのまま有効です（署名が守るのは媒体IDで、ホスト名は含みません）。アプリ内のスキャンと"
               "スキャンステーションは新旧どちらのラベルも読み取ります。古いラベルをスマートフォンのカメラアプリで開くと"
               "古いアドレスが開くため、古いアドレスでも待ち受けるか、必要ならラベルを印刷し直してください / "
               "labels already printed stay valid (the signature covers the medium's ID, not the host): scanning in the app "
               "or at a station reads old and new labels alike. A phone's own camera app opens an old label at the old "
               "address, so keep answering there or reprint those labels if needed.")
    if os.environ.get("MEDIATRAIL_BASE_URL"):
        click.echo(f"注意: 環境変数 MEDIATRAIL_BASE_URL（{os.environ['MEDIATRAIL_BASE_URL']}）が設定されているため、そちらが優先されます / "
                   "note: MEDIATRAIL_BASE_URL is set and takes precedence over config.json")


@cli.command()
@click.option("--checkpoint", "checkpoint_files", multiple=True, type=click.Path(dir_okay=False),
              help="A checkpoint kept from earlier (repeatable): the ledger must still extend it. 保管していたチェックポイント")
@click.option("--export", "export_dir", type=click.Path(file_okay=False),
              help="Verify an audit export folder instead, without the database. 監査用エクスポートを検証")
@click.pass_obj
@refusals_are_messages
def verify(data_dir, checkpoint_files, export_dir):
    """Recompute the hash chain and current state; exit 0 only if all match. 台帳の検証.

    \b
    Exit codes / 終了コード:
      0  everything matches / すべて一致
      1  refused, e.g. not a checkpoint file / 実行できません（チェックポイントでないファイル等）
      3  verification failed / 検証失敗（改ざん・削除・書き換えの疑い）
    """
    from tracker import audit_export, checkpoints
    from tracker.workflows import corrections

    if export_dir:
        report = audit_export.verify_export(export_dir, list(checkpoint_files))
        if report.ok:
            click.echo(f"OK: エクスポートの {report.events} 件のイベント、署名、添付ファイル {report.files_checked} 件はすべて一致 / "
                       f"all {report.events} events, signatures and {report.files_checked} files of the export match")
            click.echo(f"{report.origin} head {report.head_hash}")
            _say_checkpoints_extended(report.checkpoints_checked)
            return
        _fail(report.problems)
    from tracker import verification

    settings = open_database(data_dir)
    kept = [checkpoints.read_file_format(path) for path in checkpoint_files]  # the wrong kind of file: refused
    report = _verify_with_progress(settings)
    trusted = checkpoints.signer(settings.data_dir).verifier
    report.problems.extend(checkpoints.check_recorded(settings))
    report.problems.extend(corrections.check_signatures(settings))
    verification.record_full(report)  # the inspection page shows it, and extends it event by event
    _say_corrections(report.notes)
    for path, note in zip(checkpoint_files, kept):
        label_ja, label_en = f"保管していたチェックポイント（{path}）", f"the checkpoint you kept ({path})"
        try:
            found = checkpoints.compare_with_database(checkpoints.parse(note, trusted))
        except checkpoints.CheckpointRejected as error:
            found = [ledger.Problem(None, error.message_ja, error.message_en)]
        report.problems.extend(ledger.Problem(problem.event_seq, f"{label_ja}: {problem.message_ja}", f"{label_en}: {problem.message_en}")
                               for problem in found)
    if report.ok:
        click.echo(f"OK: {report.events} 件のイベントと現在の状態はすべて一致 / all {report.events} events and the current state match")
        click.echo(f"head {report.head_hash}")
        _say_checkpoints_extended(len(checkpoint_files))
        return
    _fail(report.problems)


def _verify_with_progress(settings):
    """``ledger.verify``, with a progress bar when a person watches it on a terminal."""
    if not sys.stderr.isatty():
        return ledger.verify(settings.attachments_dir)
    total = ledger.head()[0]
    with click.progressbar(length=total, label="検証中 / verifying", file=sys.stderr, show_pos=True) as bar:
        done = [0]

        def advance(seq):
            bar.update(seq - done[0])
            done[0] = seq

        report = ledger.verify(settings.attachments_dir, progress=advance)
        bar.update(total - done[0])
    return report


def _say_corrections(notes) -> None:
    """Corrections pass verification but are always listed: one recorded to cover an edit stays in view."""
    if notes:
        click.echo(f"訂正 {len(notes)} 件（管理者が記録し署名済み） / {len(notes)} correction(s) recorded and signed by an administrator:")
    for note in notes:
        click.echo(f"  訂正 / corrected: {note}")


def _say_checkpoints_extended(count: int) -> None:
    if count:
        click.echo(f"保管していたチェックポイント {count} 件を含んでいます（交付後の書き換えなし） / "
                   f"extends the {count} checkpoint(s) you kept (no rewrite since they were handed out)")


def _fail(problems) -> None:
    for problem in problems:
        click.echo(f"NG {problem}", err=True)
    first = problems[0]
    where = f"イベント #{first.event_seq} / event #{first.event_seq}" if first.event_seq else "現在の状態 / current state"
    click.echo(f"検証失敗 / verification FAILED at {where}", err=True)
    sys.exit(EXIT_TAMPERED)


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also write it to this file (never overwritten).")
@click.option("--to", "recipient", default="", help="Who receives it, recorded with it (e.g. 小金井市 市民税課).")
@click.pass_obj
@refusals_are_messages
def checkpoint(data_dir, output, recipient):
    """Sign the ledger's current head and print it for the city to keep. チェックポイントの発行.

    The checkpoint (C2SP tlog-checkpoint text) is recorded as a checkpoint.issued event. Later,
    `mediatrail verify --checkpoint FILE` proves the ledger still extends it.
    """
    from tracker import checkpoints

    settings = open_database(data_dir)
    if output:
        _refuse_existing(output)
    issued = checkpoints.issue(None, settings, "cli", recipient=recipient)
    if output:
        _write_whole(output, issued.note.encode())
        click.echo(f"書き出しました / wrote {output}", err=True)
    click.echo(issued.note, nl=False)


@cli.command("export")
@click.option("--audit", "audit_dir", required=True, type=click.Path(file_okay=False),
              help="A new (or empty) folder for the auditor's export. 監査用エクスポートの出力先")
@click.option("--no-files", is_flag=True, help="Leave out the attachment files (their hashes stay).")
@click.pass_obj
@refusals_are_messages
def export_command(data_dir, audit_dir, no_files):
    """Write the ledger for an auditor: events, attachments' hashes, checkpoints, public key.
    監査用エクスポート（データベースなしで検証可能）."""

    from tracker import audit_export

    settings = open_database(data_dir)
    exported = audit_export.export(settings, Path(audit_dir), with_files=not no_files)
    click.echo(f"書き出しました / exported {exported.events} events, {exported.files} files: {exported.folder}")
    click.echo(f"検証 / verify: mediatrail verify --export {exported.folder}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--medium", "medium_id", help="The backup medium it is written to (registered with the backup flag). バックアップ媒体")
@click.pass_obj
@refusals_are_messages
def backup(data_dir, file, medium_id):
    """Encrypted snapshot of the database and data folder, taken while the server runs. バックアップ.

    The passphrase is asked twice on the terminal, or read from $MEDIATRAIL_BACKUP_PASSPHRASE.
    Recorded as a backup.made event. FILE is never overwritten.
    """
    from tracker import backup as backups

    settings = open_database(data_dir)
    made = backups.make(settings, Path(file), _passphrase(confirm=True), medium_id)
    click.echo(f"バックアップしました / backed up {made.events} events in {made.files} files ({made.source}): {made.path}")
    click.echo(f"sha256 {made.sha256}  {made.size_bytes:,} bytes")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--test", "trial", is_flag=True,
              help="Restore into a temporary folder, verify, delete it, and record backup.restore_tested on this installation.")
@click.option("--medium", "medium_id", help="With --test: the backup medium the file was read from. バックアップ媒体")
@click.pass_obj
@refusals_are_messages
def restore(data_dir, file, trial, medium_id):
    """Restore a backup into an empty data folder (and empty DATABASE_URL), verified first. 復元.

    \b
    mediatrail --data NEW restore FILE      NEW must be new or empty; nothing is kept unless the
                                            manifest, every file's hash and the ledger verify
    mediatrail restore --test FILE          a restore test, recorded on this installation (Art. 6(2))
    """
    from tracker import backup as backups

    if trial:
        settings = open_database(data_dir)
        tested = backups.trial_restore(settings, Path(file), _passphrase(confirm=False), medium_id)
        click.echo(f"復元テスト成功 / restore test passed: {tested.events} events, {tested.files} files, head {tested.head_hash}")
        return
    if medium_id:
        from tracker.errors import InvalidInput

        raise InvalidInput("--medium は --test と一緒に指定してください", "--medium goes with --test")
    restored = backups.restore(Path(file), data_dir, _passphrase(confirm=False))
    click.echo(f"復元しました（検証済み） / restored and verified: {restored.events} events, {restored.files} files: {restored.data_dir}")
    click.echo(f"head {restored.head_hash}")


def _passphrase(confirm: bool) -> str:
    import os

    from tracker.backup import PASSPHRASE_ENVIRONMENT

    return os.environ.get(PASSPHRASE_ENVIRONMENT) or click.prompt(
        "パスフレーズ / passphrase", hide_input=True, confirmation_prompt=confirm and "確認 / repeat", err=True)


def _refuse_existing(path: str) -> None:
    import os

    from tracker.errors import AlreadyExists

    if os.path.exists(path):
        raise AlreadyExists(f"{path} は既にあります。上書きしません", f"{path} exists; it is not overwritten")


# ---- people and places -------------------------------------------------------------------------


@cli.group()
def user():
    """Users and API tokens. 利用者とAPIトークン."""


@user.command("add")
@click.argument("login")
@click.option("--name", required=True, help="氏名")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--organisation", default="", help="会社名・課名")
@click.option("--title", default="", help="役職")
@click.password_option(help="8 characters or more")
@click.pass_obj
@refusals_are_messages
def user_add(data_dir, login, name, role, organisation, title, password):
    """Add a user (run on the server: acts as the installation)."""
    from tracker.workflows import people

    open_database(data_dir)
    created = people.create_user(None, login, name, role, password, organisation=organisation, title=title)
    click.echo(f"登録しました / added: {created.login} ({created.role})")


@user.command("list")
@click.pass_obj
@refusals_are_messages
def user_list(data_dir):
    from tracker.models import User

    open_database(data_dir)
    for person in User.select().order_by(User.login):
        click.echo(f"{person.login}\t{person.role}\t{person.name}\t{'active' if person.active else 'disabled'}")


@user.command("password")
@click.argument("login")
@click.password_option()
@click.pass_obj
@refusals_are_messages
def user_password(data_dir, login, password):
    """Set a user's password (recorded in the ledger; the user's sessions end)."""
    from tracker.workflows import people

    open_database(data_dir)
    people.change_password(None, login, password)
    click.echo("変更しました。この利用者のログインはすべて終了します / changed; every session of this user ends")


@user.command("deactivate")
@click.argument("login")
@click.pass_obj
@refusals_are_messages
def user_deactivate(data_dir, login):
    """Disable an account: no login, its sessions and API tokens stop at once (recorded)."""
    from tracker.workflows import people

    open_database(data_dir)
    people.set_active(None, login, False)
    click.echo(f"無効にしました / disabled: {login}")


@user.command("activate")
@click.argument("login")
@click.pass_obj
@refusals_are_messages
def user_activate(data_dir, login):
    """Enable a disabled account again (recorded)."""
    from tracker.workflows import people

    open_database(data_dir)
    people.set_active(None, login, True)
    click.echo(f"有効にしました / enabled: {login}")


@user.command("token")
@click.argument("login")
@click.option("--name", default="station", show_default=True, help="What the token is for, e.g. the station's name.")
@click.option("--days", default=90, show_default=True, type=int, help="Valid for this many days (0: no expiry).")
@click.pass_obj
@refusals_are_messages
def user_token(data_dir, login, name, days):
    """Create an API token for a scanning station or integration (shown once)."""
    from tracker.workflows import access, tokens

    open_database(data_dir)
    click.echo(tokens.create_token(access.get_user(login), name, days or None))


@cli.group("ledger")
def ledger_group():
    """Ledger repairs that stay on the record. 台帳の訂正."""


@ledger_group.command("correct")
@click.argument("table")
@click.argument("key")
@click.argument("fields", nargs=-1)
@click.option("--reason", required=True, help="Why the stored value is right (recorded). 訂正の理由")
@click.option("--by", "admin_login", required=True, help="The administrator recording it (asked for their password).")
@click.option("--password", prompt=True, hide_input=True, help="The administrator's password.")
@click.pass_obj
@refusals_are_messages
def ledger_correct(data_dir, table, key, fields, reason, admin_login, password):
    """Record that FIELDS (all that differ, when none are named) of TABLE row KEY are right as stored:
    a signed ledger.corrected event that verify accepts and always lists. Only a field that differs
    from the ledger can be corrected, and only to its stored value."""
    from tracker.workflows import corrections, people

    settings = open_database(data_dir)
    admin = people.check_password(admin_login, password, purpose="correction")
    event = corrections.correct(admin, settings, table, key, list(fields), reason)
    for name, values in event.data_dict["fields"].items():
        click.echo(f"{table} {key} {name}: {values['ledger']!r} -> {values['stored']!r}")
    click.echo(f"訂正を記録しました（イベント #{event.seq}） / correction recorded (event #{event.seq})")


@cli.group()
def token():
    """API tokens: list and revoke (issue with `user token`). APIトークンの一覧と取消し."""


@token.command("list")
@click.option("--user", "login", default=None, help="Only this user's tokens.")
@click.pass_obj
@refusals_are_messages
def token_list(data_dir, login):
    """Every API token: ID, user, name, issued, expires, state (never the token itself)."""
    from tracker.timeutil import format_jst, now_iso
    from tracker.workflows import access, tokens

    open_database(data_dir)
    now = now_iso()
    for found in tokens.tokens(access.get_user(login) if login else None):
        if found.revoked:
            state = "revoked"
        elif found.expires_at and found.expires_at < now:
            state = "expired"
        else:
            state = "active"
        click.echo("\t".join((found.short_id, found.user_id, found.name, format_jst(found.created_at),
                              format_jst(found.expires_at) or "-", state)))


@token.command("revoke")
@click.argument("token_id")
@click.option("--reason", default="", help="Why (recorded).")
@click.pass_obj
@refusals_are_messages
def token_revoke(data_dir, token_id, reason):
    """Revoke the token with this ID (as `token list` shows it); recorded in the ledger."""
    from tracker.workflows import tokens

    open_database(data_dir)
    revoked = tokens.revoke(None, token_id, reason)
    click.echo(f"取り消しました / revoked: {revoked.short_id} ({revoked.user_id}, {revoked.name})")


@cli.group()
def contract():
    """Contracts. 契約."""


@contract.command("add")
@click.argument("code")
@click.option("--title", required=True, help="件名")
@click.option("--client", required=True, help="委託者, e.g. 小金井市")
@click.option("--contractor", default="", help="受託者")
@click.option("--period-start", default="", help="YYYY-MM-DD")
@click.option("--period-end", default="", help="YYYY-MM-DD")
@click.option("--profile", "profile_name", default="koganei", show_default=True,
              help="The city's provisions it runs under: koganei, generic, or a registered key (mediatrail profile list). 特記事項のプロファイル")
@click.pass_obj
@refusals_are_messages
def contract_add(data_dir, code, title, client, contractor, period_start, period_end, profile_name):
    """Register a contract; CODE is also the prefix of its media IDs (e.g. KG26)."""
    from tracker.workflows import people

    open_database(data_dir)
    created = people.create_contract(None, code, title, client, contractor=contractor, period_start=period_start,
                                     period_end=period_end, profile=profile_name)
    click.echo(f"登録しました / added: {created.code} {created.title}（{created.profile}）")


@contract.command("set")
@click.argument("code")
@click.option("--contractor", default=None, help="受託者（会社名）")
@click.option("--address", default=None, help="受託者の所在地 / the contractor's address")
@click.option("--representative-title", default=None, help="代表者の役職, e.g. 代表取締役")
@click.option("--representative", default=None, help="代表者の氏名 / the representative's name")
@click.option("--contract-number", default=None, help="契約番号")
@click.option("--section", default=None, help="担当課 / the city's section")
@click.pass_obj
@refusals_are_messages
def contract_set(data_dir, code, contractor, address, representative_title, representative, contract_number, section):
    """Change contract CODE's details that papers print (the contractor's block). 契約情報の変更."""
    from tracker.workflows import contracts

    open_database(data_dir)
    given = {"contractor": contractor, "contractor_address": address, "contractor_representative_title": representative_title,
             "contractor_representative": representative, "contract_number": contract_number, "client_section": section}
    changed = contracts.update_contract(None, code, **{field: value for field, value in given.items() if value is not None})
    click.echo(f"変更しました / changed: {changed.code} {changed.contractor} {changed.contractor_representative_title} {changed.contractor_representative}")


@contract.command("profile")
@click.argument("code")
@click.argument("profile_name")
@click.option("--reason", required=True, help="なぜ変えるか / why")
@click.pass_obj
@refusals_are_messages
def contract_profile(data_dir, code, profile_name, reason):
    """Ask to run contract CODE under another profile; a city official approves it in the web app.
    プロファイル変更の申請（市の承認が必要）"""
    from tracker.workflows import profiles

    open_database(data_dir)
    changed = profiles.request_change(None, code, profile_name, reason)
    click.echo(f"申請しました（市の承認待ち） / requested, waiting for the city: {changed.code} → {changed.profile_requested}")


@cli.group()
def roster():
    """The roster of handlers (Art. 8). 取扱者名簿."""


@roster.command("add")
@click.argument("contract_code")
@click.argument("login")
@click.option("--role", type=click.Choice(["responsible", "worker"]), default="worker", show_default=True)
@click.option("--employer", default="", help="所属（雇用主）。省略時は契約の受託者 / employer (default: the contractor)")
@click.option("--employment-type", default="regular", show_default=True,
              help="正社員 / 派遣 / 契約社員 / パート / 再委託先 (regular, dispatched, fixed_term, part_time, subcontractor)")
@click.option("--from", "effective_from", default="", help="従事開始日 YYYY-MM-DD / from (date)")
@click.option("--reason", default="", help="理由 / why")
@click.pass_obj
@refusals_are_messages
def roster_add(data_dir, contract_code, login, role, employer, employment_type, effective_from, reason):
    """Apply to put a person on the roster; the city approves it on the roster page (Art. 8)."""
    from tracker.workflows import roster as roster_changes

    open_database(data_dir)
    application = roster_changes.apply_add(None, contract_code, login, role, employer=employer,
                                           employment_type=employment_type, effective_from=effective_from, reason=reason)
    if application.status == "pending":
        click.echo(f"申請しました（市の承認待ち） / applied, waiting for the city's approval: {application.number} {login} ({role})")
    else:
        click.echo(f"名簿に追加し、市に届け出ました / added and notified to the city: {application.number} {login} ({role})")


@roster.command("remove")
@click.argument("contract_code")
@click.argument("login")
@click.option("--reason", default="")
@click.pass_obj
@refusals_are_messages
def roster_remove(data_dir, contract_code, login, reason):
    """Take a person off the roster at once; the removal is reported to the city."""
    from tracker.workflows import roster as roster_changes

    open_database(data_dir)
    application = roster_changes.remove(None, contract_code, login, reason)
    click.echo(f"名簿から外し、市に報告しました / removed and reported to the city: {application.number} {login}")


@roster.command("list")
@click.argument("contract_code")
@click.pass_obj
@refusals_are_messages
def roster_list(data_dir, contract_code):
    """The roster and the changes waiting for the city."""
    from tracker import vocabulary
    from tracker.workflows import roster as roster_changes

    open_database(data_dir)
    for entry in roster_changes.entries(contract_code):
        click.echo(f"{entry.user.login}\t{entry.user.name}\t{vocabulary.CONTRACT_ROLES[entry.role][0]}\t{entry.employer}\t"
                   f"{vocabulary.EMPLOYMENT_TYPES.get(entry.employment_type, ('—',))[0]}\t"
                   f"{roster_changes.approval_number(entry.approval) if entry.approval else '—'}")
    for application in roster_changes.waiting(contract_code):
        click.echo(f"{application.number}\t{vocabulary.ROSTER_CHANGES[application.change][0]}\t{application.user_id}\t"
                   f"{vocabulary.ROSTER_APPLICATION_STATUSES[application.status][0]}")


@cli.group()
def location():
    """Storage and work places. 保管場所・作業場所."""


@location.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(["cabinet", "safe", "room", "work_place"]), required=True)
@click.option("--purpose", type=click.Choice(["storage", "work"]), required=True)
@click.option("--site", default="")
@click.option("--room", default="")
@click.option("--check-every", "check_interval_days", type=int, default=None, help="Storage check interval in days.")
@click.pass_obj
@refusals_are_messages
def location_add(data_dir, name, kind, purpose, site, room, check_interval_days):
    from tracker.workflows import places

    open_database(data_dir)
    created = places.create_location(None, name, kind, purpose, site=site, room=room, check_interval_days=check_interval_days)
    click.echo(f"登録しました / added: {created.code} {created.name}")


# ---- scanning ----------------------------------------------------------------------------------


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--1d", "one_d", is_flag=True, help="Also read Code 128 and other 1D codes.")
@click.pass_obj
@refusals_are_messages
def decode(data_dir, files, one_d):
    """Decode labels in image files; one JSON line per code found. 画像からラベルを読み取る."""
    import json

    from labels import payload
    from scanner.resolve import decode_files
    from tracker.workflows import scans

    settings = open_database(data_dir)
    formats = ("qr", "code128") if one_d else ("qr",)
    for found in decode_files(files, settings.secret, known=scans.is_known, formats=formats):
        click.echo(payload.escape_invisible(json.dumps(found, ensure_ascii=False)))  # U+202E cannot garble the line


class StationActions(click.Choice):
    """The scanning station's actions (``scanner.station.ACTIONS``), read only when needed:
    importing the scanner loads OpenCV, which every other command can do without."""

    def __init__(self):
        super().__init__(())

    @property
    def choices(self):
        from scanner.station import ACTIONS

        return tuple(ACTIONS)

    @choices.setter
    def choices(self, _value):
        pass  # always the registered actions


@cli.command()
@click.option("--camera", type=int, help="Camera number (0 = first webcam).")
@click.option("--video", type=click.Path(exists=True, dir_okay=False), help="A recorded video file.")
@click.option("--images", type=click.Path(exists=True, file_okay=False), help="A folder of photos.")
@click.option("--action", type=StationActions(), default="lookup", show_default=True,
              help="lookup: show each medium. store: scan a location label, then the media put there. "
                   "receive / return: media handed over in a handover (--context). "
                   "send / arrive: media leaving or arriving on a transfer (--context). "
                   "destroy: media destroyed under an approved application (--context). "
                   "check: a storage check — scan the place's label, then every medium found there.")
@click.option("--context", "context", metavar="NUMBER",
              help="The handover number for receive/return (e.g. KG26-H0001), the transfer number for send/arrive "
                   "(e.g. KG26-T0001), the application number for destroy (e.g. KG26-A0001). 引渡し番号・移送番号・廃棄申請番号")
@click.option("--user", "login", help="Act as this user on the local database.")
@click.option("--server", help="Send scans to this mediatrail server instead (with --token).")
@click.option("--token", envvar="MEDIATRAIL_TOKEN", help="Station token from `mediatrail user token` ($MEDIATRAIL_TOKEN).")
@click.option("--repeat-seconds", default=3.0, show_default=True, help="Ignore the same code again within this time.")
@click.pass_obj
@refusals_are_messages
def scan(data_dir, camera, video, images, action, context, login, server, token, repeat_seconds):
    """Scanning station: webcam, video or photo folder. スキャンステーション."""
    from scanner.outbox import RemoteSink
    from scanner.station import ACTIONS, Station, open_source
    from tracker.errors import InvalidInput
    from tracker.workflows import access, scans

    sources = [source for source in (camera, video, images) if source is not None]
    if len(sources) != 1:
        raise InvalidInput("--camera / --video / --images のいずれか1つを指定してください", "give exactly one of --camera, --video, --images")
    context = (context or "").strip() or None
    paper = ACTIONS[action].needs_paper
    if paper and not context:
        paper_ja, paper_en, example = _STATION_PAPERS[paper]
        raise InvalidInput(
            f"{ACTIONS[action].label_ja}（{action}）には{paper_ja}を --context で指定してください（例: --context {example}）",
            f"{action} needs the {paper_en} it works on: give --context (e.g. --context {example})",
        )
    if server:
        if not token:
            raise InvalidInput("--server には --token が必要です", "--server needs --token")
        settings = config.load(data_dir)
        sink = RemoteSink(server, token, settings.outbox_dir)
        known = None
    else:
        if not login:
            raise InvalidInput("ローカルで記録するには --user を指定してください", "give --user to record on the local database")
        settings = open_database(data_dir)
        sink = scans.LocalSink(access.get_user(login), settings.secret)
        known = scans.is_known
    station = Station(sink, settings.secret, action=action, context=context, known=known, repeat_seconds=repeat_seconds)
    station.run(open_source(sources[0]))


# What a station working on one paper needs to be told: (Japanese, English, example number).
_STATION_PAPERS = {
    "handover": ("引渡し番号", "handover number", "KG26-H0001"),
    "transfer": ("移送番号", "transfer number", "KG26-T0001"),
    "application": ("廃棄申請番号", "destruction application number", "KG26-A0001"),
}


# ---- labels ------------------------------------------------------------------------------------


@cli.command()
@click.argument("medium_ids", nargs=-1)
@click.option("--all", "all_media", is_flag=True, help="Every medium not destroyed or returned.")
@click.option("--location", "location_codes", multiple=True, help="A place's ID (LOC-...); repeat for more.")
@click.option("--layout", default="a4-24", show_default=True, help="Preset (see --list-layouts) or custom:COLSxROWS:WxH[...].")
@click.option("--start", "start_position", default=1, show_default=True, type=int, help="First free slot on a half-used sheet.")
@click.option("--barcode", is_flag=True, help="Add a Code 128 of the ID for handheld 1D scanners.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="PDF file to write.")
@click.option("--printer", help="Send the PDF to this CUPS printer with lp.")
@click.option("--user", "login", help="Record the print as this user (default: the installation).")
@click.option("--list-layouts", is_flag=True, help="Show the layout presets and exit.")
@click.pass_obj
@refusals_are_messages
def labels(data_dir, medium_ids, all_media, location_codes, layout, start_position, barcode, output, printer, login, list_layouts):
    """Print QR labels for media and places. ラベル印刷."""
    import os
    import tempfile

    from labels import presets, printing
    from tracker.errors import InvalidInput
    from tracker.workflows import access, labelling

    if list_layouts:
        for preset in presets.list_presets():
            click.echo(f"{preset.name:10} {preset.kind:6} {preset.label_w:g}x{preset.label_h:g} mm  {preset.description_ja} / {preset.description_en}")
        return
    if not output and not printer:
        raise InvalidInput("-o FILE か --printer NAME を指定してください", "give -o FILE or --printer NAME")
    settings = open_database(data_dir)
    actor = access.get_user(login) if login else None
    wanted = list(medium_ids) + (labelling.all_printable_media(actor) if all_media else [])
    document = labelling.label_sheet(actor, settings, wanted, list(location_codes), layout, start_position, barcode)
    target = output or os.path.join(tempfile.mkdtemp(prefix="mediatrail-labels-"), "labels.pdf")
    temporary = f"{target}.part"
    with open(temporary, "wb") as handle:  # whole file or nothing: no half-written PDF
        handle.write(document)
    os.replace(temporary, target)
    count = len(dict.fromkeys(wanted)) + len(set(location_codes))
    click.echo(f"{count} 枚のラベルを書き出しました / wrote {count} labels: {target}")
    if printer:
        try:
            job = printing.print_file(target, printer)
        except printing.PrintError as error:
            raise InvalidInput(error.message_ja, error.message_en) from error
        click.echo(f"印刷を送信しました / sent to {printer}: {job}")


# ---- for the inspection -------------------------------------------------------------------------


@cli.command("register")
@click.option("--contract", "contract_code", required=True, help="Contract code, e.g. KG26. 契約")
@click.option("--csv", "register_path", type=click.Path(dir_okay=False), help="Write the media register (台帳) CSV here.")
@click.option("--custody-csv", "custody_path", type=click.Path(dir_okay=False),
              help="Write the chain of custody CSV (one line per event and medium) here.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True, help="Column names and wording.")
@click.pass_obj
@refusals_are_messages
def register_command(data_dir, contract_code, register_path, custody_path, lang):
    """Write the media register and the chain of custody as CSV files (UTF-8 with BOM, for Excel).
    台帳・取扱履歴のCSV出力.

    \b
    Exit codes / 終了コード:
      0  written / 書き出しました
      1  refused, e.g. unknown contract or no file given / 実行できません
    """
    from tracker import register
    from tracker.errors import InvalidInput
    from tracker.workflows import access

    if not register_path and not custody_path:
        raise InvalidInput("--csv FILE か --custody-csv FILE を指定してください", "give --csv FILE or --custody-csv FILE (or both)")
    open_database(data_dir)
    contract = access.get_contract(contract_code)
    if register_path:
        _write_whole(register_path, register.register_csv([contract.code], lang))
        click.echo(f"台帳を書き出しました / wrote the register: {register_path}")
    if custody_path:
        _write_whole(custody_path, register.custody_csv([contract.code], lang))
        click.echo(f"取扱履歴を書き出しました / wrote the chain of custody: {custody_path}")


@cli.command()
@click.option("--contract", "contract_code", required=True, help="Contract code, e.g. KG26. 契約")
@click.pass_obj
@refusals_are_messages
def balance(data_dir, contract_code):
    """Close-out balance: received + copies = returned + destroyed + held. 終了時の媒体の収支.

    \b
    Exit codes / 終了コード:
      0  balanced / 一致
      1  refused, e.g. unknown contract / 実行できません（契約がない等）
      4  does not balance / 一致しません
    """
    from tracker import register

    open_database(data_dir)
    result = register.closeout_balance(contract_code)
    lines = (
        ("受領（原本）", "received (originals)", result.received),
        ("複製", "copies made", result.copies),
        ("返還", "returned", result.returned),
        ("廃棄", "destroyed", result.destroyed),
        ("保管中（所在不明を含む）", "held (missing included)", result.held),
        ("未受領（収支の対象外）", "never received (not counted)", result.never_received),
    )
    click.echo(f"{result.contract} 終了時の収支 / close-out balance")
    for name_ja, name_en, count in lines:
        click.echo(f"  {name_ja} / {name_en}: {count}")
    click.echo(f"  受領＋複製 {result.came_in} / came in {result.came_in}; "
               f"返還＋廃棄＋保管中 {result.went_out_or_held} / went out or held {result.went_out_or_held}")
    if result.balanced:
        click.echo("一致 / balanced")
        return
    for row in result.unaccounted_media:
        click.echo(f"NG {row.id}: 状態「{row.status}」は収支に含められません / status {row.status!r} fits nowhere in the balance", err=True)
    click.echo(f"一致しません / does NOT balance ({result.came_in} != {result.went_out_or_held})", err=True)
    sys.exit(EXIT_UNBALANCED)


@cli.group()
def profile():
    """Each city's special provisions as data (tracker/profiles/*.toml). 特記事項のプロファイル."""


@profile.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def profile_check(path):
    """Check a profile file: unknown keys, missing duties, values out of range. ファイルの検査

    \b
    Exit codes / 終了コード:
      0  usable / 使用できます
      1  refused, every problem listed / 誤りがあります（すべて表示）
    """
    from tracker import provisions

    try:
        text = open(path, encoding="utf-8").read()
    except UnicodeDecodeError:
        click.echo("エラー: UTF-8 のテキストではありません\nerror: not UTF-8 text", err=True)
        sys.exit(EXIT_REFUSED)
    try:
        checked = provisions.parse(text)
    except provisions.ProfileError as error:
        for ja, en in error.problems:
            click.echo(f"NG {ja}\n   {en}", err=True)
        click.echo(f"使用できません（{len(error.problems)} 件） / not usable ({len(error.problems)} problems)", err=True)
        sys.exit(EXIT_REFUSED)
    click.echo(f"OK {checked.key}: {checked.profile.title}")


@profile.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
@refusals_are_messages
def profile_add(data_dir, path):
    """Record a checked profile file in the ledger, so contracts can run under it. 台帳に登録"""
    from tracker.workflows import profiles

    open_database(data_dir)
    row = profiles.register(None, open(path, encoding="utf-8").read())
    click.echo(f"登録しました / registered: {row.key} {row.title}")


@profile.command("list")
@click.pass_obj
@refusals_are_messages
def profile_list(data_dir):
    """Profiles shipped with mediatrail and those recorded in the ledger. 一覧"""
    from tracker import provisions
    from tracker.workflows import profiles

    open_database(data_dir)
    recorded = {row.key: row for row in profiles.registered()}
    for key in sorted(set(provisions.builtin_texts()) | set(recorded)):
        where = "台帳に登録済み / in the ledger" if key in recorded else "同梱 / shipped"
        click.echo(f"{key}\t{where}")


@profile.command("show")
@click.argument("what")
@click.pass_obj
@refusals_are_messages
def profile_show(data_dir, what):
    """What a contract (code) or a profile (key) requires, duty by duty. 義務ごとの内容"""
    from tracker import provisions
    from tracker.models import Contract
    from tracker.workflows import profiles

    open_database(data_dir)
    contract = Contract.get_or_none(Contract.code == what)
    if contract is not None:
        shown = profiles.for_contract(contract)
        click.echo(f"契約 {contract.code} のプロファイル / contract {contract.code} runs under: {shown.key}")
    else:
        shown = profiles.lookup(what)
    click.echo(f"{shown.profile.title}\n{shown.profile.title_en}\n")
    for duty in provisions.duties(shown):
        click.echo(f"[{duty.article}] {duty.name_ja} / {duty.name_en}\n    {duty.rule_ja}\n    {duty.rule_en}\n    → {duty.enforced_ja} / {duty.enforced_en}")


def _write_whole(target: str, content: bytes) -> None:
    """The whole file or nothing: a half-written register must not be handed to an inspector."""
    import os

    temporary = f"{target}.part"
    with open(temporary, "wb") as handle:
        handle.write(content)
    os.replace(temporary, target)


from tracker import cli_oversight  # noqa: E402,F401  (attaches its commands to the groups above)

if __name__ == "__main__":
    main()

"""Commands for the city's oversight (Art. 14, 17(1), 19), attached to the main ``mediatrail``
group by ``tracker.cli`` (kept apart so that module does not keep growing)."""

from __future__ import annotations

import click

from tracker import config
from tracker.cli import cli, config_group, contract, open_database, refusals_are_messages

EXIT_NOT_SENT = 5  # some notice could not be sent yet (it waits, recorded): for cron to alert on


@config_group.command("set-smtp")
@click.argument("host", default="")
@click.option("--port", default=25, show_default=True, type=click.IntRange(1, 65535))
@click.option("--sender", default="mediatrail@localhost", show_default=True, help="差出人のアドレス / From address")
@click.option("--security", type=click.Choice(config.SMTP_SECURITY), default="none", show_default=True)
@click.option("--username", default="", help="The password is read from MEDIATRAIL_SMTP_PASSWORD, never stored.")
@click.pass_obj
@refusals_are_messages
def config_set_smtp(data_dir, host, port, sender, security, username):
    """The mail server that tells the city of an incident at once; no HOST removes it. 通知用メールサーバー"""
    smtp = config.set_smtp(data_dir, host, port, sender, security, username)
    click.echo(f"SMTP: {smtp.host}:{smtp.port} ({smtp.security}) from {smtp.sender}" if smtp else "SMTP: 未設定 / none")


@contract.command("notify-email")
@click.argument("code")
@click.argument("address")
@click.pass_obj
@refusals_are_messages
def contract_notify_email(data_dir, code, address):
    """Where the city of contract CODE is told of an incident at once. 事故の通知先"""
    from tracker.workflows import notices

    open_database(data_dir)
    changed = notices.set_recipient(None, code, address)
    click.echo(f"設定しました / set: {changed.code} → {changed.notify_email}")


@cli.group()
def notices():
    """Notices to the city (Art. 19). 市への通知."""


@notices.command("send")
@click.pass_obj
@refusals_are_messages
def notices_send(data_dir):
    """Send every notice not yet sent (run it from cron: nothing is lost while the server is down).
    Exit 5 while any is still not sent."""
    from tracker.workflows import notices as workflow

    settings = open_database(data_dir)
    sent, failed = workflow.deliver(settings)
    click.echo(f"送信 {sent} 件、未送信 {failed} 件 / sent {sent}, not yet sent {failed}")
    for notice in workflow.pending():
        click.echo(f"  {notice.number} {notice.title} — {notice.last_error}")
    raise SystemExit(EXIT_NOT_SENT if failed else 0)

"""``flask lms outbox``: deliver the xAPI outbox (the standalone default worker)."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext


@click.group("outbox")
def outbox_cli() -> None:
    """The xAPI statements waiting for the Learning Record Store."""


@outbox_cli.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def run_command(once: bool, interval: float) -> None:
    """Deliver pending statements in batches, retrying with back-off."""
    from lms.interop.outbox import deliver_due, enabled

    if not enabled():
        raise click.ClickException("LMS_XAPI_ENDPOINT is not set.")
    while True:
        report = deliver_due()
        if report.handled or once:
            click.echo(f"delivered {report.delivered}, failed {report.failed}")
        if once:
            return
        time.sleep(interval)


@outbox_cli.command("status")
@with_appcontext
def status_command() -> None:
    """Print how many statements wait for delivery."""
    from lms.interop.outbox import pending_count

    click.echo(f"pending {pending_count()}")


@outbox_cli.command("worker")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(interval: float, burst: bool) -> None:
    """Run the outbox (xAPI statements when LMS_XAPI_ENDPOINT is set, LTI scores
    always) as a periodic RQ job on LMS_REDIS_URL (an RQ worker)."""
    from lms.interop.worker import run_worker

    try:
        run_worker(interval, burst=burst)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error


@click.group("lti")
def lti_cli() -> None:
    """The LTI 1.3 tool: scores waiting for the platforms' gradebooks."""


@lti_cli.command("scores")
@click.option("--once", is_flag=True, help="Post what is due now, then stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def scores_command(once: bool, interval: float) -> None:
    """Post graded quiz scores to the platforms, retrying with back-off (the
    RQ worker of ``flask lms outbox worker`` does the same in its rounds)."""
    from lms.interop.lti_grades import deliver_scores, pending_scores

    while True:
        report = deliver_scores()
        if report.delivered or report.failed or once:
            click.echo(
                f"scores delivered {report.delivered}, failed {report.failed}, "
                f"pending {pending_scores()}"
            )
        if once:
            return
        time.sleep(interval)

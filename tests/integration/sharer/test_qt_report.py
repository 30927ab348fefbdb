""" "Report this session" in the Qt app, against the real service: offered on the sharing bar
and after the session in the first window; the reason reaches the administrators' abuse log."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtWidgets import QApplication

from quickassist.sharer.client import SessionClient
from quickassist.sharer.tls_trust import TrustSettings, parse_fingerprint
from quickassist.sharer.ui.qt_app import REPORT_QUESTION, QtSharer
from tests.fixtures.session_clients import signed_in_helper
from tests.timeouts import WAIT


async def test_a_report_from_the_app_reaches_the_abuse_log(
    qapp: Any, inprocess_service_factory
) -> None:
    service = inprocess_service_factory()
    trust = TrustSettings(fingerprint=parse_fingerprint(service.fingerprint))
    client = SessionClient(service.base_url, trust=trust)
    sharer = QtSharer(client, media=None)  # type: ignore[arg-type]
    try:
        assert sharer.bar.report_button.text() == "Report"
        async with signed_in_helper(service) as helper:
            created = await helper.create_session()
            ticket = await client.join(created["code"])
            sharer.reported_session_id = ticket.session_id
            # After a session the first window offers the report too.
            sharer._finished("Your helper ended the session.")
            assert sharer.code_window.report_button.isVisibleTo(sharer.code_window)
            sharer.code_window.report_button.click()
            dialog = sharer.report_dialog
            assert dialog is not None and dialog.labelText() == REPORT_QUESTION
            dialog.setTextValue("He called me saying my computer had a virus.")
            dialog.accept()
            async with asyncio.timeout(WAIT):
                while "Thank you" not in sharer.code_window.message_label.text():
                    QApplication.processEvents()
                    await asyncio.sleep(0.02)  # Qt delivers on its own queue: poll it
    finally:
        sharer.loop_thread.stop()
        sharer.code_window.close()
    assert service.config is not None
    from quickassist.service.admin_records import AdminRecords
    from quickassist.service.database import create_engine, session_factory

    engine = create_engine(service.config.database_url)
    try:
        reports = await AdminRecords(session_factory(engine), clock=service.clock).reports()
    finally:
        await engine.dispose()
    assert [(r.session_id, r.reason) for r in reports] == [
        (ticket.session_id, "He called me saying my computer had a virus.")
    ]

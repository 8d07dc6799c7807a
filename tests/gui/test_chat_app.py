"""Chat, raised hands and reactions in the app, with bots."""

from __future__ import annotations

from PySide6.QtGui import QTextDocument

from app_support import join_from_lobby
from desktop.ui.call_window import SELF
from support import LIGHT_SMALL, RunningBot, Server, eventually

QUIET = dict(LIGHT_SMALL, camera="none", mic="none")
MARKUP = "<img src=x onerror=alert(1)> <b>bold?</b> <a href='http://evil'>click</a> see https://example.org/a?b=1."


def shown_text(label) -> str:
    """What a person sees in a rich-text label: the document's plain text (less the zero-width
    spaces where a long web address may wrap: invisible, and never copied)."""
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText().replace("\u200b", "")


async def test_chat_is_plain_text_with_links_unread_badge_and_private_messages(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), say="hi from Grace", **QUIET)
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    call = flow.call
    # history: Grace spoke before Ada came; the chat is closed, so it counts as unread
    await eventually(lambda: len(call.chat.bubbles) == 1, what="history shown")
    assert call.bar.unread == 1 and call.bar.unread_badge.isVisibleTo(call) and call.bar.unread_badge.text() == "1"
    call.bar.chat_button.click()
    assert call.chat.isVisible() and call.bar.unread == 0 and not call.bar.unread_badge.isVisibleTo(call)

    # markup typed by a sender is shown as the characters it is; only the web address is a link
    await grace.session.send_chat(MARKUP)
    await eventually(lambda: len(call.chat.bubbles) == 2, what="Grace's markup")
    bubble = call.chat.bubbles[-1]
    assert MARKUP in shown_text(bubble)
    assert "<img" not in bubble.text() and "&lt;img" in bubble.text()
    # the two web addresses in it are links we made (http://evil is shown, not its markup)
    assert bubble.text().count("<a href=") == 2 and '<a href="https://example.org/a?b=1">' in bubble.text()
    assert bubble.openExternalLinks()

    # a private message from Ada to Grace
    call.chat.recipient.setCurrentIndex(call.chat.recipient.findData(grace.report.attendee_id))
    call.chat.input.setText("just for you")
    call.chat.send_button.click()
    await eventually(lambda: any(c["text"] == "just for you" and c["private"] for c in grace.report.chat_received),
                     what="Grace got it privately")
    assert "(private)" in shown_text(call.chat.bubbles[-1])
    await grace.finish()


async def test_hands_in_order_in_the_roster_and_reactions_on_tiles(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada", role="host"), "Ada")
    call = flow.call
    linus = RunningBot(await server.join_url(meeting["id"], "Linus"), **QUIET)
    grace = RunningBot(await server.join_url(meeting["id"], "Grace"), **QUIET)
    await eventually(lambda: grace.report.attendee_id in call.roster.rows and linus.report.attendee_id in call.roster.rows,
                     what="both in the roster")
    await grace.session.raise_hand(True)
    await eventually(lambda: call.roster.order()[0] == grace.report.attendee_id, what="Grace first")
    await linus.session.raise_hand(True)
    await eventually(lambda: call.roster.order()[:2] == [grace.report.attendee_id, linus.report.attendee_id],
                     what="hands in the order they went up")
    assert call.grid.tile(grace.report.attendee_id).hand_raised
    # Ada raises hers from the button; the host lowers Grace's from the roster
    call.bar.hand_button.click()
    await eventually(lambda: flow.session.hand_raised and call.grid.tile(SELF).hand_raised, what="Ada's hand up")
    assert call.roster.order()[2] == flow.session.me.attendee_id and call.bar.hand_button.isChecked()
    assert call.roster.rows[flow.session.me.attendee_id].hand.isVisibleTo(call.roster.rows[flow.session.me.attendee_id])
    call.roster.rows[grace.report.attendee_id].lower_hand_action.trigger()
    await eventually(lambda: not grace.session.hand_raised, what="Grace's hand lowered by the host")
    await eventually(lambda: call.roster.order()[0] == linus.report.attendee_id, what="Linus first now")

    await linus.session.react("👏")
    await eventually(lambda: call.grid.tile(linus.report.attendee_id).reaction == "👏", what="reaction on his tile")
    assert "👏 1" in call.bar.reaction_strip.text()
    call.bar.reaction_bar.buttons[0].click()  # Ada reacts too
    await eventually(lambda: call.grid.tile(SELF).reaction == "👍", what="my reaction on my tile")
    for bot in (linus, grace):
        await bot.finish()

"""The People panel's menu for one person: Pin for everyone; for hosts, what their capabilities
allow (mute, allow to unmute, lower hand, stop their screen share, make host, remove).

"Spotlight for everyone" puts them on everyone's stage ("Remove spotlight" takes them off;
``moderate spotlight``/``unspotlight``, needing ``mute-others``), themselves included.
"Make host" gives them the host's own role (the server's ``moderate make_host``, which needs
``update-call-settings``); it is offered only for someone whose role is not already mine.
Its texts are in the ``RosterPanel`` translation context, like the rest of the panel."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMenu

from ..session import CONTENT_SUFFIX, Capability, ModerationAction


def add_menu(panel: Any, row: Any) -> None:
    """Give ``row`` (a ``RosterRow``) its menu, replacing the one it had, as ``panel``'s (the
    ``RosterPanel``'s) capabilities allow. Not imported from there: no import circle."""
    menu = QMenu(row)
    key = row.attendee_id
    mine = panel.capabilities

    def moderate(action: ModerationAction, who: str = key) -> None:
        panel.moderate_requested.emit(who, action)

    row.pin_action = menu.addAction(QCoreApplication.translate("RosterPanel", "Pin to the stage"),
                                    lambda: panel.pin_requested.emit(None if panel.is_pinned(key) else key))
    row.mute_action = row.allow_unmute_action = row.lower_hand_action = row.stop_share_action = None
    row.make_host_action = row.remove_action = row.spotlight_action = None
    row.host_role = panel.my_role()
    others = key != panel.me
    if others and Capability.MUTE_OTHERS in mine:
        menu.addSeparator()
        row.mute_action = menu.addAction(
            QCoreApplication.translate("RosterPanel", "Mute"),
            lambda: moderate(ModerationAction.MUTE))
        row.allow_unmute_action = menu.addAction(QCoreApplication.translate("RosterPanel", "Allow to unmute"),
                                                 lambda: moderate(ModerationAction.ALLOW_UNMUTE))
        row.lower_hand_action = menu.addAction(
            QCoreApplication.translate("RosterPanel", "Lower hand"),
            lambda: moderate(ModerationAction.LOWER_HAND))
    if ModerationAction.SPOTLIGHT.capability in mine:
        row.spotlight_action = menu.addAction(
            QCoreApplication.translate("RosterPanel", "Spotlight for everyone"),
            lambda: moderate(ModerationAction.UNSPOTLIGHT if panel.spotlighted == key else ModerationAction.SPOTLIGHT))
        menu.aboutToShow.connect(lambda: sync_spotlight(panel, row))
        sync_spotlight(panel, row)
    if others and Capability.REMOVE_PARTICIPANT in mine:
        row.stop_share_action = menu.addAction(QCoreApplication.translate("RosterPanel", "Stop their screen share"),
                                               lambda: moderate(ModerationAction.REMOVE, key + CONTENT_SUFFIX))
    if others and ModerationAction.MAKE_HOST.capability in mine:
        menu.addSeparator()
        row.make_host_action = menu.addAction(
            QCoreApplication.translate("RosterPanel", "Make host"),
            lambda: moderate(ModerationAction.MAKE_HOST))
    if others and Capability.REMOVE_PARTICIPANT in mine:
        menu.addSeparator()
        row.remove_action = menu.addAction(
            QCoreApplication.translate("RosterPanel", "Remove from the meeting"),
            lambda: moderate(ModerationAction.REMOVE))
    menu.aboutToShow.connect(lambda: row.sync_menu(pinned=panel.is_pinned(key)))
    row.sync_menu(pinned=panel.is_pinned(key))
    old = row.more.menu()
    row.more.setMenu(menu)
    if old is not None:
        old.deleteLater()
    name = row.info.name
    row.more.setAccessibleName(QCoreApplication.translate("RosterPanel", "Host controls for {name}").format(name=name)
                               if panel.host_controls(row)
                               else QCoreApplication.translate("RosterPanel", "More options for {name}")
                               .format(name=name))
    row.more.setVisible(True)


def sync_spotlight(panel: Any, row: Any) -> None:
    """Offer "Remove spotlight" on whoever is in the spotlight, "Spotlight for everyone" on others."""
    if row.spotlight_action is not None:
        row.spotlight_action.setText(QCoreApplication.translate("RosterPanel", "Remove spotlight")
                                     if panel.spotlighted == row.attendee_id
                                     else QCoreApplication.translate("RosterPanel", "Spotlight for everyone"))

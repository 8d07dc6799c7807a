<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>CallController</name>
    <message numerus="yes">
        <location filename="../../desktop/ui/call_controller.py" line="+425"/>
        <source>The meeting was extended by %n minutes.</source>
        <translation>
            <numerusform>The meeting was extended by %n minute.</numerusform>
            <numerusform>The meeting was extended by %n minutes.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CallWindow</name>
    <message numerus="yes">
        <location filename="../../desktop/ui/call_window.py" line="+130"/>
        <source>People (%n)</source>
        <translation type="unfinished">
            <numerusform>People (%n)</numerusform>
            <numerusform>People (%n)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+110"/>
        <source>Parley — Meeting (%n)</source>
        <translation>
            <numerusform>Parley — Meeting (%n)</numerusform>
            <numerusform>Parley — Meeting (%n)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ControlBar</name>
    <message numerus="yes">
        <location filename="../../desktop/ui/control_bar.py" line="+382"/>
        <source>Chat (%n unread)</source>
        <translation>
            <numerusform>Chat (%n unread)</numerusform>
            <numerusform>Chat (%n unread)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+10"/>
        <source>%n in the meeting</source>
        <translation>
            <numerusform>%n in the meeting</numerusform>
            <numerusform>%n in the meeting</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CountdownBox</name>
    <message numerus="yes">
        <location filename="../../desktop/ui/bar_parts.py" line="+202"/>
        <source>Add %n minutes</source>
        <translation type="unfinished">
            <numerusform>Add %n minute</numerusform>
            <numerusform>Add %n minutes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>IdleDialog</name>
    <message numerus="yes">
        <location filename="../../desktop/ui/idle_dialog.py" line="+85"/>
        <source>Nobody has used this computer for a while. You will leave the meeting in %n seconds unless you answer.</source>
        <translation>
            <numerusform>Nobody has used this computer for a while. You will leave the meeting in %n second unless you answer.</numerusform>
            <numerusform>Nobody has used this computer for a while. You will leave the meeting in %n seconds unless you answer.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RosterPanel</name>
    <message numerus="yes">
        <location filename="../../desktop/ui/roster_panel.py" line="+379"/>
        <source>People (%n)</source>
        <translation>
            <numerusform>People (%n)</numerusform>
            <numerusform>People (%n)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TileGrid</name>
    <message numerus="yes">
        <location filename="../../desktop/ui/tile_grid.py" line="+329"/>
        <source>%n more</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
</TS>

<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
<context>
    <name>AboutDialog</name>
    <message>
        <location filename="../../desktop/ui/about_dialog.py" line="+88"/>
        <source>About Parley</source>
        <translation>Über Parley</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Parley logo</source>
        <translation>Parley-Logo</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Parley</source>
        <translation>Parley</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Open video meetings, and the server they run on.</source>
        <translation>Offene Videokonferenzen und der Server, auf dem sie laufen.</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Parley is free software under the MIT licence. It includes the MediaPipe selfie segmentation model (Apache 2.0) and Qt (LGPL 3).</source>
        <translation>Parley ist freie Software unter der MIT-Lizenz. Es enthält das MediaPipe-Modell zur Personensegmentierung (Apache 2.0) und Qt (LGPL 3).</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+1"/>
        <source>Copy diagnostics</source>
        <translation>Diagnose kopieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy versions, platform, devices and the recent log, for a bug report</source>
        <translation>Versionen, Plattform, Geräte und das aktuelle Protokoll für einen Fehlerbericht kopieren</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+1"/>
        <source>Open log folder</source>
        <translation>Protokollordner öffnen</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Copied.</source>
        <translation>Kopiert.</translation>
    </message>
</context>
<context>
    <name>AloneNotice</name>
    <message>
        <location filename="../../desktop/ui/alone_notice.py" line="+17"/>
        <source>You&apos;re the only one here</source>
        <translation>Außer Ihnen ist noch niemand hier</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy invite link</source>
        <translation>Einladungslink kopieren</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy the invite link</source>
        <translation>Den Einladungslink kopieren</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Invite people: anyone with the link can join.</source>
        <translation>Laden Sie andere ein: Jeder mit dem Link kann teilnehmen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Others appear here as they join.</source>
        <translation>Andere erscheinen hier, sobald sie teilnehmen.</translation>
    </message>
</context>
<context>
    <name>AppFlow</name>
    <message>
        <location filename="../../desktop/ui/flow.py" line="+184"/>
        <location line="+186"/>
        <source>Guest</source>
        <extracomment>First-run window sizes (after that, each window comes back where the user left it). Starts a meeting on this computer: (the host&apos;s name, ``reach=``) -&gt; (the host&apos;s join link, an invite link).</extracomment>
        <translation>Gast</translation>
    </message>
    <message>
        <location line="-92"/>
        <source>Starting a meeting on this computer…</source>
        <translation>Besprechung auf diesem Computer wird gestartet…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Host</source>
        <translation>Gastgeber</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Could not start a meeting here: {error}</source>
        <translation>Die Besprechung konnte hier nicht gestartet werden: {error}</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>That meeting link cannot be opened: {why}</source>
        <translation>Dieser Besprechungslink lässt sich nicht öffnen: {why}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/leave_prompt.py" line="+57"/>
        <source>Join another meeting?</source>
        <translation>An einer anderen Besprechung teilnehmen?</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>You are in a meeting. Leave it and go to the other meeting?</source>
        <translation>Sie sind in einer Besprechung. Möchten Sie sie verlassen und zur anderen Besprechung wechseln?</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Leave and join</source>
        <translation>Verlassen und teilnehmen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stay here</source>
        <translation>Hierbleiben</translation>
    </message>
    <message>
        <source>{reason} ({message})</source>
        <translation type="vanished">{reason} ({message})</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/flow.py" line="+135"/>
        <source>Joining…</source>
        <translation>Beitreten…</translation>
    </message>
</context>
<context>
    <name>Background</name>
    <message>
        <location filename="../../desktop/media/background/effect.py" line="+23"/>
        <source>Your computer is busy, so the background effect updates less often. Your camera is not affected.</source>
        <translation>Ihr Computer ist ausgelastet, deshalb wird der Hintergrundeffekt seltener aktualisiert. Ihre Kamera ist davon nicht betroffen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The background effect stopped working; your camera is sent without it.</source>
        <translation>Der Hintergrundeffekt funktioniert nicht mehr; Ihre Kamera wird ohne ihn gesendet.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The background picture could not be read; your background is blurred instead.</source>
        <translation>Das Hintergrundbild konnte nicht gelesen werden; Ihr Hintergrund wird stattdessen weichgezeichnet.</translation>
    </message>
</context>
<context>
    <name>BackgroundGallery</name>
    <message>
        <location filename="../../desktop/ui/background_gallery.py" line="+153"/>
        <source>Choose a picture…</source>
        <translation>Bild auswählen…</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Choose a background picture</source>
        <translation>Hintergrundbild auswählen</translation>
    </message>
</context>
<context>
    <name>Backgrounds</name>
    <message>
        <location filename="../../desktop/ui/backgrounds.py" line="+16"/>
        <source>Pictures (*.jpg *.jpeg *.png *.webp *.bmp)</source>
        <translation>Bilder (*.jpg *.jpeg *.png *.webp *.bmp)</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>None</source>
        <translation>Keiner</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Light blur</source>
        <translation>Leichte Unschärfe</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Strong blur</source>
        <translation>Starke Unschärfe</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Background effects are not available on this computer.</source>
        <translation>Hintergrundeffekte sind auf diesem Computer nicht verfügbar.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Background</source>
        <translation>Hintergrund</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Choose a picture…</source>
        <translation>Bild auswählen…</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Choose a background picture</source>
        <translation>Hintergrundbild auswählen</translation>
    </message>
</context>
<context>
    <name>CallController</name>
    <message>
        <location filename="../../desktop/ui/call_controller.py" line="+126"/>
        <source>Less than 5 minutes remaining.</source>
        <translation>Weniger als 5 Minuten verbleibend.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The time has run out.</source>
        <translation>Die Zeit ist abgelaufen.</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Reconnected after {seconds} s.</source>
        <translation>Nach {seconds} s wieder verbunden.</translation>
    </message>
    <message>
        <location line="+121"/>
        <source>A host muted you. You can unmute once they allow it.</source>
        <translation>Ein Gastgeber hat Sie stummgeschaltet. Sie können die Stummschaltung aufheben, sobald es erlaubt wird.</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>Could not mute them: {error}</source>
        <translation>Stummschalten nicht möglich: {error}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not allow them to unmute: {error}</source>
        <translation>Aufheben der Stummschaltung konnte nicht erlaubt werden: {error}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not lower their hand: {error}</source>
        <translation>Die Hand konnte nicht gesenkt werden: {error}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not make them a host: {error}</source>
        <translation>Die Person konnte nicht zum Gastgeber gemacht werden: {error}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not spotlight them: {error}</source>
        <translation>Die Person konnte nicht ins Spotlight gestellt werden: {error}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not remove the spotlight: {error}</source>
        <translation>Das Spotlight konnte nicht entfernt werden: {error}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not stop their screen share: {error}</source>
        <translation>Die Bildschirmfreigabe konnte nicht beendet werden: {error}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not remove them from the meeting: {error}</source>
        <translation>Die Person konnte nicht aus der Besprechung entfernt werden: {error}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not do that: {error}</source>
        <translation>Das war nicht möglich: {error}</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>There is no camera to turn on.</source>
        <translation>Es ist keine Kamera zum Einschalten vorhanden.</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>all 16 video slots are in use; it turns on when one frees</source>
        <translation>alle 16 Videoplätze sind belegt; es schaltet sich ein, sobald einer frei wird</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Video unavailable: {reason}</source>
        <translation>Video nicht verfügbar: {reason}</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>Not sent: {error}</source>
        <translation>Nicht gesendet: {error}</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Could not extend the meeting: {error}</source>
        <translation>Die Besprechung konnte nicht verlängert werden: {error}</translation>
    </message>
    <message numerus="yes">
        <location line="+9"/>
        <source>The meeting was extended by %n minutes.</source>
        <translation>
            <numerusform>Die Besprechung wurde um %n Minute verlängert.</numerusform>
            <numerusform>Die Besprechung wurde um %n Minuten verlängert.</numerusform>
        </translation>
    </message>
    <message>
        <source>The meeting was extended by {time}.</source>
        <translation type="vanished">Die Besprechung wurde um {time} verlängert.</translation>
    </message>
</context>
<context>
    <name>CallWindow</name>
    <message>
        <location filename="../../desktop/ui/call_window.py" line="+62"/>
        <source>Parley — Meeting</source>
        <translation>Parley — Besprechung</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Turn off video</source>
        <translation>Video ausschalten</translation>
    </message>
    <message numerus="yes">
        <location line="+46"/>
        <source>People (%n)</source>
        <translation>
            <numerusform>Personen (%n)</numerusform>
            <numerusform>Personen (%n)</numerusform>
        </translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Dismiss</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dismiss this notice</source>
        <translation>Diesen Hinweis schließen</translation>
    </message>
    <message numerus="yes">
        <location line="+90"/>
        <source>Parley — Meeting (%n)</source>
        <translation>
            <numerusform>Parley — Besprechung (%n)</numerusform>
            <numerusform>Parley — Besprechung (%n)</numerusform>
        </translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Reconnecting{dots}  Your meeting is still here.</source>
        <translation>Verbindung wird wiederhergestellt{dots}  Ihre Besprechung bleibt erhalten.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Your connection is poor. Turning off your video may help others hear you.</source>
        <translation>Ihre Verbindung ist schlecht. Wenn Sie Ihr Video ausschalten, hören andere Sie vielleicht besser.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Your connection is poor. Others may not hear you well.</source>
        <translation>Ihre Verbindung ist schlecht. Andere hören Sie vielleicht nicht gut.</translation>
    </message>
    <message>
        <location line="+38"/>
        <source>You&apos;re muted. Unmute with {keys}, or hold {space} to talk.</source>
        <translation>Sie sind stummgeschaltet. Heben Sie die Stummschaltung mit {keys} auf, oder halten Sie {space} gedrückt, um zu sprechen.</translation>
    </message>
    <message>
        <location line="+130"/>
        <source>Invite link copied. Anyone with it can join.</source>
        <translation>Einladungslink kopiert. Jeder mit diesem Link kann teilnehmen.</translation>
    </message>
</context>
<context>
    <name>Certificates</name>
    <message>
        <location filename="../../desktop/signalling/tls.py" line="+136"/>
        <source>the certificate is not valid yet</source>
        <extracomment>How long reading a refused server&apos;s certificate (to show its fingerprint) may take. OpenSSL&apos;s X509_V_ERR_* codes, in words (translated by the UI, context &quot;Certificates&quot;).</extracomment>
        <translation>das Zertifikat ist noch nicht gültig</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the certificate has expired</source>
        <translation>das Zertifikat ist abgelaufen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the certificate is self-signed</source>
        <translation>das Zertifikat ist selbstsigniert</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <location line="+1"/>
        <source>the certificate is signed by an authority this computer does not know</source>
        <translation>das Zertifikat ist von einer Stelle signiert, die dieser Computer nicht kennt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the certificate has been revoked</source>
        <translation>das Zertifikat wurde widerrufen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the certificate is for another server name</source>
        <translation>das Zertifikat gilt für einen anderen Servernamen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the certificate is for another address</source>
        <translation>das Zertifikat gilt für eine andere Adresse</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the certificate could not be verified</source>
        <translation>das Zertifikat konnte nicht überprüft werden</translation>
    </message>
</context>
<context>
    <name>ChatBubble</name>
    <message>
        <location filename="../../desktop/ui/chat_panel.py" line="+81"/>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy message</source>
        <translation>Nachricht kopieren</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Copy link</source>
        <translation>Link kopieren</translation>
    </message>
</context>
<context>
    <name>ChatPanel</name>
    <message>
        <location line="+15"/>
        <source>Chat</source>
        <translation>Chat</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Send to</source>
        <translation>Senden an</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send to everyone, or privately to one person</source>
        <translation>An alle senden oder privat an eine Person</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+59"/>
        <source>Message everyone</source>
        <translation>Nachricht an alle</translation>
    </message>
    <message>
        <location line="-58"/>
        <source>Chat message</source>
        <translation>Chatnachricht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send</source>
        <translation>Senden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send the message</source>
        <translation>Nachricht senden</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>Everyone</source>
        <translation>Alle</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{name} (privately)</source>
        <translation>{name} (privat)</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Message {name} privately</source>
        <translation>Private Nachricht an {name}</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+19"/>
        <source>them</source>
        <translation>die Person</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>You</source>
        <translation>Sie</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{sender} → {name} (private)</source>
        <translation>{sender} → {name} (privat)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{sender} → you (private)</source>
        <translation>{sender} → Sie (privat)</translation>
    </message>
</context>
<context>
    <name>ConnectionPanel</name>
    <message>
        <location filename="../../desktop/ui/connection_panel.py" line="+29"/>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Sending</source>
        <translation>Senden</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Lost on the way out</source>
        <translation>Verlust beim Senden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Receiving</source>
        <translation>Empfangen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Lost on the way in</source>
        <translation>Verlust beim Empfangen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Round trip</source>
        <translation>Umlaufzeit</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Estimated bandwidth in</source>
        <translation>Geschätzte Bandbreite eingehend</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Your video aims at</source>
        <translation>Ihr Video zielt auf</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Your signal</source>
        <translation>Ihr Signal</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Video received (frames a second)</source>
        <translation>Empfangenes Video (Bilder pro Sekunde)</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{value} %</source>
        <translation>{value} %</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{kbps} kbit/s, {packets} packets/s</source>
        <translation>{kbps} kbit/s, {packets} Pakete/s</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{kbps} kbit/s</source>
        <translation>{kbps} kbit/s</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>(paused: poor connection)</source>
        <translation>(angehalten: schlechte Verbindung)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>(paused: your computer is busy)</source>
        <translation>(angehalten: Ihr Computer ist ausgelastet)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>(paused)</source>
        <translation>(angehalten)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>(small picture)</source>
        <translation>(kleines Bild)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>(whole picture)</source>
        <translation>(volles Bild)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>({withheld} damaged pictures withheld, {skipped} frames skipped)</source>
        <translation>({withheld} beschädigte Bilder zurückgehalten, {skipped} Bilder übersprungen)</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{loss} (audio {audio_loss})</source>
        <translation>{loss} (Audio {audio_loss})</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{ms} ms</source>
        <translation>{ms} ms</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Good</source>
        <translation>Gut</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Fair</source>
        <translation>Mittel</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Poor</source>
        <translation>Schlecht</translation>
    </message>
    <message>
        <location line="-27"/>
        <source>{name}: {fps}</source>
        <translation>{name}: {fps}</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>none</source>
        <translation>keines</translation>
    </message>
</context>
<context>
    <name>ControlBar</name>
    <message>
        <location filename="../../desktop/ui/control_bar.py" line="+56"/>
        <location line="+8"/>
        <location line="+16"/>
        <source>Microphone</source>
        <translation>Mikrofon</translation>
    </message>
    <message>
        <location line="-24"/>
        <location line="+80"/>
        <location line="+147"/>
        <source>Mute</source>
        <translation>Stummschalten</translation>
    </message>
    <message>
        <location line="-226"/>
        <location line="+9"/>
        <location line="+16"/>
        <source>Camera</source>
        <translation>Kamera</translation>
    </message>
    <message>
        <location line="-25"/>
        <location line="+80"/>
        <location line="+159"/>
        <source>Stop video</source>
        <translation>Video beenden</translation>
    </message>
    <message>
        <location line="-238"/>
        <source>Devices and settings</source>
        <translation>Geräte und Einstellungen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Microphone, speaker, camera, keyboard shortcuts and settings</source>
        <translation>Mikrofon, Lautsprecher, Kamera, Tastenkürzel und Einstellungen</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+15"/>
        <source>Speaker</source>
        <translation>Lautsprecher</translation>
    </message>
    <message>
        <location line="-8"/>
        <source>Keyboard shortcuts</source>
        <translation>Tastenkürzel</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Connection…</source>
        <translation>Verbindung…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Settings…</source>
        <translation>Einstellungen…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>About Parley</source>
        <translation>Über Parley</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Choose the microphone and speaker</source>
        <translation>Mikrofon und Lautsprecher auswählen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Choose the camera and background</source>
        <translation>Kamera und Hintergrund auswählen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Share screen</source>
        <translation>Bildschirm teilen</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+55"/>
        <location line="+187"/>
        <source>Share</source>
        <translation>Teilen</translation>
    </message>
    <message>
        <location line="-241"/>
        <source>Layout</source>
        <translation>Ansicht</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Grid: everyone the same size</source>
        <translation>Raster: alle gleich groß</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Speaker: whoever talks is large</source>
        <translation>Sprecher: wer spricht, ist groß</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Chat</source>
        <translation>Chat</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Raise hand</source>
        <translation>Hand heben</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+36"/>
        <location line="+229"/>
        <source>Raise</source>
        <translation>Hand heben</translation>
    </message>
    <message>
        <location line="-264"/>
        <source>React</source>
        <translation>Reagieren</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Send a reaction</source>
        <translation>Eine Reaktion senden</translation>
    </message>
    <message>
        <location line="+30"/>
        <location line="+147"/>
        <source>Unmute</source>
        <translation>Stummschaltung aufheben</translation>
    </message>
    <message>
        <location line="-146"/>
        <location line="+159"/>
        <source>Start video</source>
        <translation>Video starten</translation>
    </message>
    <message>
        <location line="-158"/>
        <location line="+187"/>
        <source>Stop</source>
        <translation>Beenden</translation>
    </message>
    <message>
        <location line="-186"/>
        <location line="+229"/>
        <source>Lower</source>
        <translation>Hand senken</translation>
    </message>
    <message>
        <location line="-228"/>
        <location line="+248"/>
        <source>Grid</source>
        <translation>Raster</translation>
    </message>
    <message>
        <location line="-248"/>
        <location line="+248"/>
        <source>Speaker</source>
        <comment>layout</comment>
        <translation>Sprecher</translation>
    </message>
    <message>
        <source>Reactions in this meeting</source>
        <translation type="vanished">Reaktionen in dieser Besprechung</translation>
    </message>
    <message>
        <location line="-275"/>
        <source>People</source>
        <translation>Personen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show everyone in the meeting</source>
        <translation>Alle in der Besprechung anzeigen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy invite link</source>
        <translation>Einladungslink kopieren</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Invite</source>
        <translation>Einladen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy the invite link</source>
        <translation>Den Einladungslink kopieren</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Leave</source>
        <translation>Verlassen</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Leave the meeting</source>
        <translation>Besprechung verlassen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Leave meeting</source>
        <translation>Besprechung verlassen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>End meeting for everyone</source>
        <translation>Besprechung für alle beenden</translation>
    </message>
    <message>
        <source>Time left in the meeting</source>
        <translation type="vanished">Verbleibende Zeit der Besprechung</translation>
    </message>
    <message>
        <source>Extend</source>
        <translation type="vanished">Verlängern</translation>
    </message>
    <message>
        <source>Extend the meeting</source>
        <translation type="vanished">Besprechung verlängern</translation>
    </message>
    <message>
        <source>Add 30 minutes to the meeting for everyone</source>
        <translation type="vanished">Die Besprechung für alle um 30 Minuten verlängern</translation>
    </message>
    <message numerus="yes">
        <source>Add %n minutes</source>
        <translation type="vanished">
            <numerusform>%n Minute hinzufügen</numerusform>
            <numerusform>%n Minuten hinzufügen</numerusform>
        </translation>
    </message>
    <message>
        <location line="+155"/>
        <source>Mute the microphone</source>
        <translation>Mikrofon stummschalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unmute the microphone</source>
        <translation>Stummschaltung aufheben</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Video unavailable: {reason}</source>
        <translation>Video nicht verfügbar: {reason}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Turn the camera off</source>
        <translation>Kamera ausschalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Turn the camera on</source>
        <translation>Kamera einschalten</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>Stop sharing your screen</source>
        <translation>Bildschirmfreigabe beenden</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Screen sharing unavailable: {reason}</source>
        <translation>Bildschirmfreigabe nicht verfügbar: {reason}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Share your screen or a window</source>
        <translation>Bildschirm oder Fenster teilen</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Lower your hand</source>
        <translation>Hand senken</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Raise your hand</source>
        <translation>Hand heben</translation>
    </message>
    <message numerus="yes">
        <location line="+16"/>
        <source>Chat (%n unread)</source>
        <translation>
            <numerusform>Chat (%n ungelesen)</numerusform>
            <numerusform>Chat (%n ungelesen)</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Chat with everyone or one person</source>
        <translation>Mit allen oder einer Person chatten</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Layout: grid</source>
        <translation>Ansicht: Raster</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Layout: speaker</source>
        <translation>Ansicht: Sprecher</translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>%n in the meeting</source>
        <translation>
            <numerusform>%n in der Besprechung</numerusform>
            <numerusform>%n in der Besprechung</numerusform>
        </translation>
    </message>
    <message>
        <location line="+13"/>
        <source>None found</source>
        <translation>Keine gefunden</translation>
    </message>
    <message>
        <source>{time} left</source>
        <translation type="vanished">noch {time}</translation>
    </message>
    <message>
        <source>The meeting ends automatically when the time runs out</source>
        <translation type="vanished">Die Besprechung endet automatisch, wenn die Zeit abgelaufen ist</translation>
    </message>
</context>
<context>
    <name>CountdownBox</name>
    <message>
        <location filename="../../desktop/ui/bar_parts.py" line="+194"/>
        <source>Time left in the meeting</source>
        <translation>Verbleibende Zeit der Besprechung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Extend</source>
        <translation>Verlängern</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Extend the meeting</source>
        <translation>Besprechung verlängern</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add 30 minutes to the meeting for everyone</source>
        <translation>Die Besprechung für alle um 30 Minuten verlängern</translation>
    </message>
    <message numerus="yes">
        <location line="+5"/>
        <source>Add %n minutes</source>
        <translation>
            <numerusform>%n Minute hinzufügen</numerusform>
            <numerusform>%n Minuten hinzufügen</numerusform>
        </translation>
    </message>
    <message>
        <location line="+19"/>
        <location line="+6"/>
        <source>{time} left</source>
        <translation>noch {time}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The meeting ends automatically when the time runs out</source>
        <translation>Die Besprechung endet automatisch, wenn die Zeit abgelaufen ist</translation>
    </message>
</context>
<context>
    <name>DeviceController</name>
    <message>
        <location filename="../../desktop/ui/device_controller.py" line="+94"/>
        <source>Could not open {device}: {error}</source>
        <extracomment>the settings that steer the voice processing (Settings → Join)</extracomment>
        <translation>{device}: Öffnen fehlgeschlagen ({error})</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>the camera</source>
        <translation>Kamera</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>the microphone</source>
        <translation>Mikrofon</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the speaker</source>
        <translation>Lautsprecher</translation>
    </message>
    <message>
        <location line="+91"/>
        <source>{device} stopped working; switched to {fallback}.</source>
        <translation>{device} funktioniert nicht mehr; jetzt wird {fallback} verwendet.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{device} stopped working, and there is no other camera to use.</source>
        <translation>{device} funktioniert nicht mehr, und es ist keine andere Kamera verfügbar.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{device} stopped working, and there is no other microphone to use.</source>
        <translation>{device} funktioniert nicht mehr, und es ist kein anderes Mikrofon verfügbar.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{device} stopped working, and there is no other speaker to use.</source>
        <translation>{device} funktioniert nicht mehr, und es ist kein anderer Lautsprecher verfügbar.</translation>
    </message>
</context>
<context>
    <name>FileShare</name>
    <message>
        <location filename="../../desktop/session/sharing.py" line="+110"/>
        <source>this file has no picture to share</source>
        <extracomment>share_screen&apos;s and share_file&apos;s result when the share runs (else the refusal code) share_file&apos;s result when the file cannot be shared (``Sharing.file_error`` says why) A share that ended for one of these reasons is shared again once the session is back in.</extracomment>
        <translation>diese Datei enthält kein Bild zum Teilen</translation>
    </message>
</context>
<context>
    <name>HostingPrompt</name>
    <message>
        <location filename="../../desktop/ui/hosting_prompt.py" line="+24"/>
        <source>Accept people from this network?</source>
        <translation>Personen aus diesem Netzwerk zulassen?</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>People on the same network as this computer (the same Wi-Fi or office) will be able to join with the invite link. The link will not work from anywhere else.</source>
        <translation>Personen im selben Netzwerk wie dieser Computer (im selben WLAN oder Büro) können dann mit dem Einladungslink teilnehmen. Von anderswo funktioniert der Link nicht.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Accept people from this network</source>
        <translation>Personen aus diesem Netzwerk zulassen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Only this computer</source>
        <translation>Nur dieser Computer</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Invite link (works only on this network)</source>
        <translation>Einladungslink (funktioniert nur in diesem Netzwerk)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Invite link (works only on this computer)</source>
        <translation>Einladungslink (funktioniert nur auf diesem Computer)</translation>
    </message>
</context>
<context>
    <name>IdleDialog</name>
    <message>
        <location filename="../../desktop/ui/idle_dialog.py" line="+28"/>
        <location line="+7"/>
        <source>Are you still there?</source>
        <translation>Sind Sie noch da?</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Seconds left</source>
        <translation>Verbleibende Sekunden</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Time left before leaving</source>
        <translation>Verbleibende Zeit bis zum Verlassen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>I&apos;m here</source>
        <translation>Ich bin da</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>I&apos;m here: stay in the meeting</source>
        <translation>Ich bin da: in der Besprechung bleiben</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Leave</source>
        <translation>Verlassen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Leave the meeting</source>
        <translation>Besprechung verlassen</translation>
    </message>
    <message numerus="yes">
        <location line="+33"/>
        <source>Nobody has used this computer for a while. You will leave the meeting in %n seconds unless you answer.</source>
        <translation>
            <numerusform>Niemand hat diesen Computer eine Weile benutzt. Sie verlassen die Besprechung in %n Sekunde, wenn Sie nicht antworten.</numerusform>
            <numerusform>Niemand hat diesen Computer eine Weile benutzt. Sie verlassen die Besprechung in %n Sekunden, wenn Sie nicht antworten.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LeavePrompt</name>
    <message>
        <location filename="../../desktop/ui/leave_prompt.py" line="-30"/>
        <source>Leave the meeting?</source>
        <translation>Die Besprechung verlassen?</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Closing this window takes you out of the meeting.</source>
        <translation>Wenn Sie dieses Fenster schließen, verlassen Sie die Besprechung.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Leave</source>
        <translation>Verlassen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stay</source>
        <translation>Bleiben</translation>
    </message>
</context>
<context>
    <name>LobbyWindow</name>
    <message>
        <location filename="../../desktop/ui/lobby_window.py" line="+46"/>
        <source>Parley — Ready to join?</source>
        <translation>Parley — Bereit zur Teilnahme?</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Microphone level</source>
        <translation>Mikrofonpegel</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+55"/>
        <source>Camera</source>
        <translation>Kamera</translation>
    </message>
    <message>
        <location line="-53"/>
        <location line="+53"/>
        <source>Microphone</source>
        <translation>Mikrofon</translation>
    </message>
    <message>
        <location line="-49"/>
        <source>Background effects</source>
        <translation>Hintergrundeffekte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Blur or replace your background</source>
        <translation>Hintergrund weichzeichnen oder ersetzen</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Ready to join?</source>
        <translation>Bereit zur Teilnahme?</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+1"/>
        <source>Your name</source>
        <translation>Ihr Name</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+141"/>
        <source>The name others see in the meeting</source>
        <translation>Der Name, den andere in der Besprechung sehen</translation>
    </message>
    <message>
        <location line="-139"/>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Speaker</source>
        <translation>Lautsprecher</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Test speaker</source>
        <translation>Lautsprecher testen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Test the speaker</source>
        <translation>Den Lautsprecher testen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Play a short sound on the chosen speaker</source>
        <translation>Einen kurzen Ton auf dem gewählten Lautsprecher abspielen</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Invite link</source>
        <translation>Einladungslink</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy the invite link</source>
        <translation>Den Einladungslink kopieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy the invite link: anyone with it can join</source>
        <translation>Den Einladungslink kopieren: Jeder mit diesem Link kann teilnehmen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Invite others</source>
        <translation>Andere einladen</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+126"/>
        <source>Join now</source>
        <translation>Jetzt teilnehmen</translation>
    </message>
    <message>
        <location line="-124"/>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Back to the start</source>
        <translation>Zurück zum Start</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Back to the start, without joining</source>
        <translation>Zurück zum Start, ohne teilzunehmen</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>{name} (default)</source>
        <translation>{name} (Standard)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No camera found</source>
        <translation>Keine Kamera gefunden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No microphone found</source>
        <translation>Kein Mikrofon gefunden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No speaker found</source>
        <translation>Kein Lautsprecher gefunden</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>No camera or microphone found: you can still join, and others will hear or see you once one is connected.</source>
        <translation>Keine Kamera und kein Mikrofon gefunden: Sie können trotzdem teilnehmen; andere hören oder sehen Sie, sobald eines angeschlossen ist.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No camera found: you can still join, and others will see you once one is connected.</source>
        <translation>Keine Kamera gefunden: Sie können trotzdem teilnehmen; andere sehen Sie, sobald eine angeschlossen ist.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No microphone found: you can still join, and others will hear you once one is connected.</source>
        <translation>Kein Mikrofon gefunden: Sie können trotzdem teilnehmen; andere hören Sie, sobald eines angeschlossen ist.</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>Your name in this meeting, given when you were invited</source>
        <translation>Ihr Name in dieser Besprechung, festgelegt bei der Einladung</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Joining…</source>
        <translation>Beitreten…</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>Turn the camera off</source>
        <translation>Kamera ausschalten</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Turn the camera on</source>
        <translation>Kamera einschalten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Mute the microphone</source>
        <translation>Mikrofon stummschalten</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Unmute the microphone</source>
        <translation>Stummschaltung aufheben</translation>
    </message>
    <message>
        <source>You</source>
        <translation type="vanished">Sie</translation>
    </message>
</context>
<context>
    <name>MediaNotices</name>
    <message>
        <location filename="../../desktop/ui/media_notices.py" line="+38"/>
        <source>Your computer is busy, so Parley shows fewer videos.</source>
        <translation>Ihr Computer ist ausgelastet, daher zeigt Parley weniger Videos.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Your computer keeps up again: every video is back.</source>
        <translation>Ihr Computer kommt wieder mit: Alle Videos sind zurück.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Still nothing from the others: reconnecting to get their video and sound back…</source>
        <translation>Weiterhin nichts von den anderen: Parley verbindet neu, um Bild und Ton zurückzuholen…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Video and sound from the others stopped arriving. Parley is repairing it…</source>
        <translation>Bild und Ton der anderen kommen nicht mehr an. Parley behebt das…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Video and sound from the others are back.</source>
        <translation>Bild und Ton der anderen sind zurück.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Your connection is poor. Others may not see your video well.</source>
        <translation>Ihre Verbindung ist schlecht. Andere sehen Ihr Video möglicherweise nicht gut.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Your connection is poor. Others&apos; videos may freeze or look blurry.</source>
        <translation>Ihre Verbindung ist schlecht. Die Videos der anderen können stocken oder unscharf wirken.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Your computer is busy, so others&apos; videos may freeze or look blurry.</source>
        <translation>Ihr Computer ist ausgelastet, daher können die Videos der anderen stocken oder unscharf wirken.</translation>
    </message>
</context>
<context>
    <name>Preferences</name>
    <message>
        <location filename="../../desktop/ui/preferences.py" line="+28"/>
        <source>General</source>
        <translation>Allgemein</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Audio and video</source>
        <translation>Audio und Video</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Notifications</source>
        <translation>Benachrichtigungen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Inactivity</source>
        <translation>Inaktivität</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Write a server as host or host:port, e.g. meet.example.org:8750</source>
        <translation>Geben Sie einen Server als Host oder Host:Port an, z. B. meet.example.org:8750</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A port is a number from 1 to 65535</source>
        <translation>Ein Port ist eine Zahl von 1 bis 65535</translation>
    </message>
    <message>
        <location line="+49"/>
        <source>Your name</source>
        <extracomment>CHOICE: (value, label) pairs; when empty, the dialog asks its providers[key] for them INT: stored as shown value × scale (minutes shown, seconds stored) TEXT: why a value is refused (None when fine)</extracomment>
        <translation>Ihr Name</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>How others see you in meetings</source>
        <translation>So sehen andere Sie in Besprechungen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Default server</source>
        <translation>Standardserver</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Filled in when you join with a server address and a token.</source>
        <translation>Wird eingetragen, wenn Sie mit einer Serveradresse und einem Token teilnehmen.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Theme</source>
        <translation>Design</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Same as the system</source>
        <translation>Wie das System</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Light</source>
        <translation>Hell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dark</source>
        <translation>Dunkel</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Layout of a call</source>
        <translation>Ansicht in einer Besprechung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Grid: everyone the same size</source>
        <translation>Raster: alle gleich groß</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Speaker: whoever talks is large</source>
        <translation>Sprecher: wer spricht, ist groß</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The layout you last chose in a call is kept here.</source>
        <translation>Hier bleibt die Ansicht gespeichert, die Sie zuletzt in einer Besprechung gewählt haben.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Microphone</source>
        <translation>Mikrofon</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Speaker</source>
        <translation>Lautsprecher</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Camera</source>
        <translation>Kamera</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Background</source>
        <translation>Hintergrund</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cancel echo (what your speakers play)</source>
        <translation>Echo unterdrücken (was Ihre Lautsprecher abspielen)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Suppress background noise</source>
        <translation>Hintergrundgeräusche unterdrücken</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Turn both off to send music as it is.</source>
        <translation>Schalten Sie beides aus, um Musik unverändert zu senden.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Adjust the microphone&apos;s volume automatically</source>
        <translation>Mikrofonlautstärke automatisch anpassen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quiet voices are raised and loud ones lowered.</source>
        <translation>Leise Stimmen werden angehoben, laute abgesenkt.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Join with the microphone on</source>
        <translation>Mit eingeschaltetem Mikrofon teilnehmen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Join with the camera on</source>
        <translation>Mit eingeschalteter Kamera teilnehmen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Play a sound when someone joins or leaves</source>
        <translation>Einen Ton abspielen, wenn jemand beitritt oder geht</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Play a sound for a chat message while the chat is closed</source>
        <translation>Einen Ton für Chatnachrichten abspielen, während der Chat geschlossen ist</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Play a sound when someone raises their hand</source>
        <translation>Einen Ton abspielen, wenn jemand die Hand hebt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Ask “Are you still there?” after</source>
        <translation>„Sind Sie noch da?“ fragen nach</translation>
    </message>
    <message>
        <location line="+1"/>
        <source> min</source>
        <translation> Min.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Leave if nobody answers within</source>
        <translation>Verlassen, wenn niemand antwortet innerhalb von</translation>
    </message>
    <message>
        <location line="+1"/>
        <source> s</source>
        <translation> s</translation>
    </message>
</context>
<context>
    <name>ReactionBar</name>
    <message>
        <location filename="../../desktop/ui/bar_parts.py" line="-117"/>
        <source>React with {emoji}</source>
        <translation>Mit {emoji} reagieren</translation>
    </message>
</context>
<context>
    <name>Reasons</name>
    <message>
        <location filename="../../desktop/session/reasons.py" line="+37"/>
        <source>You left the meeting.</source>
        <translation>Sie haben die Besprechung verlassen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>You left because you were inactive.</source>
        <translation>Sie haben die Besprechung verlassen, weil Sie inaktiv waren.</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>The meeting was ended.</source>
        <translation>Die Besprechung wurde beendet.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>You were removed from the meeting.</source>
        <translation>Sie wurden aus der Besprechung entfernt.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The host ended the meeting.</source>
        <translation>Der Gastgeber hat die Besprechung beendet.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>You ended the meeting for everyone.</source>
        <translation>Sie haben die Besprechung für alle beendet.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The connection to the meeting was lost.</source>
        <translation>Die Verbindung zur Besprechung wurde unterbrochen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Your network seems to block calls: Parley reached the meeting, but no sound or video could get through. Try another network, or ask the meeting&apos;s organiser about a TURN server.</source>
        <translation>Ihr Netzwerk scheint Anrufe zu blockieren: Parley hat die Besprechung erreicht, aber weder Ton noch Video kamen durch. Versuchen Sie es in einem anderen Netzwerk oder fragen Sie die Person, die die Besprechung organisiert, nach einem TURN-Server.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>You joined this meeting from another window or device.</source>
        <translation>Sie haben an dieser Besprechung in einem anderen Fenster oder auf einem anderen Gerät teilgenommen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The meeting server shut down.</source>
        <translation>Der Besprechungsserver wurde heruntergefahren.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The time has run out.</source>
        <translation>Die Zeit ist abgelaufen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The meeting reached the longest a meeting may run on this server.</source>
        <translation>Die Besprechung hat die Höchstdauer erreicht, die dieser Server erlaubt.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The meeting ended because nobody was in it.</source>
        <translation>Die Besprechung wurde beendet, weil niemand teilnahm.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The meeting ended because you were alone in it for a long time.</source>
        <translation>Die Besprechung wurde beendet, weil Sie lange allein darin waren.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>This meeting link is not valid.</source>
        <translation>Dieser Besprechungslink ist ungültig.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>This meeting link has expired. Ask for a new one.</source>
        <translation>Dieser Besprechungslink ist abgelaufen. Bitten Sie um einen neuen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>This meeting has already ended.</source>
        <translation>Diese Besprechung ist bereits beendet.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>There is no such meeting on this server.</source>
        <translation>Diese Besprechung gibt es auf diesem Server nicht.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>This meeting is full.</source>
        <translation>Diese Besprechung ist voll.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>You are not allowed to join this meeting.</source>
        <translation>Sie dürfen an dieser Besprechung nicht teilnehmen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not reach the meeting server.</source>
        <translation>Der Besprechungsserver ist nicht erreichbar.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Parley did not connect: the meeting server&apos;s certificate is not trusted.</source>
        <translation>Parley hat keine Verbindung hergestellt: Dem Zertifikat des Besprechungsservers wird nicht vertraut.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>You stopped sharing.</source>
        <extracomment>Why my screen share stopped or did not start.</extracomment>
        <translation>Sie haben die Freigabe beendet.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sharing stopped: the screen or window you shared is gone.</source>
        <translation>Freigabe beendet: Der geteilte Bildschirm oder das geteilte Fenster ist nicht mehr vorhanden.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A host stopped your screen share.</source>
        <translation>Ein Gastgeber hat Ihre Bildschirmfreigabe beendet.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Two people are sharing already. You can share when one of them stops.</source>
        <translation>Zwei Personen teilen bereits. Sie können teilen, sobald eine von ihnen aufhört.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Your role in this meeting may not share its screen.</source>
        <translation>Ihre Rolle in dieser Besprechung darf den Bildschirm nicht teilen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not reach the meeting server to share.</source>
        <translation>Der Besprechungsserver war zum Teilen nicht erreichbar.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sharing stopped: the connection was lost.</source>
        <translation>Freigabe beendet: Die Verbindung wurde unterbrochen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Join the meeting before sharing.</source>
        <translation>Nehmen Sie an der Besprechung teil, bevor Sie teilen.</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+5"/>
        <source>Ask whoever invited you for a new link.</source>
        <extracomment>What to do about a join that failed, said after its reason (the details go to the log).</extracomment>
        <translation>Bitten Sie die Person, die Sie eingeladen hat, um einen neuen Link.</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>Ask whoever invited you for a new meeting link.</source>
        <translation>Bitten Sie die Person, die Sie eingeladen hat, um einen neuen Besprechungslink.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Check the link, or ask for a new one.</source>
        <translation>Prüfen Sie den Link oder bitten Sie um einen neuen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Try again when someone leaves.</source>
        <translation>Versuchen Sie es erneut, wenn jemand gegangen ist.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Check your network connection and the link, then try again.</source>
        <translation>Prüfen Sie Ihre Netzwerkverbindung und den Link und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Try again, or ask whoever invited you for a new link.</source>
        <translation>Versuchen Sie es erneut oder bitten Sie die Person, die Sie eingeladen hat, um einen neuen Link.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The call ended.</source>
        <translation>Die Besprechung ist beendet.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The call ended ({reason}).</source>
        <translation>Die Besprechung ist beendet ({reason}).</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sharing stopped ({reason}).</source>
        <translation>Freigabe beendet ({reason}).</translation>
    </message>
    <message>
        <location line="-5"/>
        <source>Parley could not join the meeting.</source>
        <translation>Parley konnte der Besprechung nicht beitreten.</translation>
    </message>
</context>
<context>
    <name>RosterPanel</name>
    <message>
        <location filename="../../desktop/ui/roster_panel.py" line="+36"/>
        <source>host</source>
        <extracomment>The server&apos;s role names, in words (an unknown role shows as it is).</extracomment>
        <translation>Gastgeber</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>participant</source>
        <translation>Teilnehmer</translation>
    </message>
    <message>
        <location line="+190"/>
        <source>Find someone</source>
        <translation>Person suchen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Find someone in the meeting</source>
        <translation>Jemanden in der Besprechung suchen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Mute all</source>
        <translation>Alle stummschalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mute everyone but you; they can unmute once you allow it</source>
        <translation>Alle außer Ihnen stummschalten; die Stummschaltung können sie erst aufheben, wenn Sie es erlauben</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Lower all hands</source>
        <translation>Alle Hände senken</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Nobody by that name</source>
        <translation>Niemand mit diesem Namen</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/roster_menu.py" line="+30"/>
        <source>Pin to the stage</source>
        <translation>Auf der Bühne anheften</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Mute</source>
        <translation>Stummschalten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Allow to unmute</source>
        <translation>Aufheben der Stummschaltung erlauben</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Lower hand</source>
        <translation>Hand senken</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+36"/>
        <source>Spotlight for everyone</source>
        <translation>Spotlight für alle</translation>
    </message>
    <message>
        <location line="-26"/>
        <source>Make host</source>
        <translation>Zum Gastgeber machen</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Remove from the meeting</source>
        <translation>Aus der Besprechung entfernen</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Remove spotlight</source>
        <translation>Spotlight entfernen</translation>
    </message>
    <message>
        <location line="-29"/>
        <source>Stop their screen share</source>
        <translation>Bildschirmfreigabe beenden</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Host controls for {name}</source>
        <translation>Gastgeber-Steuerung für {name}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>More options for {name}</source>
        <translation>Weitere Optionen für {name}</translation>
    </message>
    <message numerus="yes">
        <location filename="../../desktop/ui/roster_panel.py" line="+139"/>
        <source>People (%n)</source>
        <translation>
            <numerusform>Personen (%n)</numerusform>
            <numerusform>Personen (%n)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RosterRow</name>
    <message>
        <location line="-284"/>
        <source>Sharing their screen</source>
        <translation>Teilt den Bildschirm</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Hand raised</source>
        <translation>Hand gehoben</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Volume</source>
        <translation>Lautstärke</translation>
    </message>
    <message>
        <source>Host controls</source>
        <translation type="vanished">Gastgeber-Steuerung</translation>
    </message>
    <message>
        <source>Host controls: mute, lower hand, remove</source>
        <translation type="vanished">Gastgeber-Steuerung: stummschalten, Hand senken, entfernen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>More options</source>
        <translation>Weitere Optionen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pin, and host controls where your role allows them</source>
        <translation>Anheften und, sofern Ihre Rolle es erlaubt, Gastgeber-Steuerung</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>{name} (you)</source>
        <translation>{name} (Sie)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{role} · connecting…</source>
        <translation>{role} · wird verbunden…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{role} · muted by a host</source>
        <translation>{role} · von einem Gastgeber stummgeschaltet</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Unpin</source>
        <translation>Lösen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Pin to the stage</source>
        <translation>Auf der Bühne anheften</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>muted</source>
        <translation>stummgeschaltet</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>unmuted</source>
        <translation>nicht stummgeschaltet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>camera on</source>
        <translation>Kamera an</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>camera off</source>
        <translation>Kamera aus</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>sharing their screen</source>
        <translation>teilt den Bildschirm</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>hand raised</source>
        <translation>Hand gehoben</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>connecting</source>
        <translation>wird verbunden</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Connecting…</source>
        <translation>Verbindung wird hergestellt…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Good connection</source>
        <translation>Gute Verbindung</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Some packet loss</source>
        <translation>Etwas Paketverlust</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Poor connection</source>
        <translation>Schlechte Verbindung</translation>
    </message>
</context>
<context>
    <name>ScreenPicker</name>
    <message>
        <location filename="../../desktop/ui/screen_picker.py" line="+57"/>
        <source>Share your screen</source>
        <translation>Bildschirm teilen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Choose what to share. Everyone in the meeting will see it.</source>
        <translation>Wählen Sie aus, was Sie teilen möchten. Alle in der Besprechung sehen es.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Screens and windows</source>
        <translation>Bildschirme und Fenster</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Share</source>
        <translation>Teilen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Share the chosen screen or window</source>
        <translation>Den gewählten Bildschirm oder das Fenster teilen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Share a video file…</source>
        <translation>Videodatei teilen…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Share a video file&apos;s picture and sound instead</source>
        <translation>Stattdessen Bild und Ton einer Videodatei teilen</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>There is no screen or window to share.</source>
        <translation>Es gibt keinen Bildschirm und kein Fenster zum Teilen.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{name}
(entire screen)</source>
        <translation>{name}
(ganzer Bildschirm)</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>Share a video file</source>
        <translation>Videodatei teilen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Videos ({patterns})</source>
        <translation>Videos ({patterns})</translation>
    </message>
</context>
<context>
    <name>ScreenSharing</name>
    <message>
        <location filename="../../desktop/media/qt/screen_access.py" line="+37"/>
        <source>There is no screen to share: Parley is not running on a display.</source>
        <extracomment>The D-Bus name of the XDG desktop portal, which screen capture needs on Wayland. Qt platforms that have no real screen behind them.</extracomment>
        <translation>Es gibt keinen Bildschirm zum Teilen: Parley läuft nicht auf einem Bildschirm.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Screen sharing is not available on this desktop: on Wayland it needs the desktop portal (xdg-desktop-portal with PipeWire), which is not running.</source>
        <translation>Bildschirmfreigabe ist auf diesem Desktop nicht verfügbar: Unter Wayland wird das Desktop-Portal (xdg-desktop-portal mit PipeWire) benötigt, das nicht läuft.</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../desktop/ui/settings_dialog.py" line="+34"/>
        <source>Keyboard shortcuts</source>
        <translation>Tastenkürzel</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Inactivity cannot be detected on this computer: Parley will not ask.</source>
        <extracomment>(value, label) pairs for a CHOICE or DEVICE preference whose options are only known at run time</extracomment>
        <translation>Inaktivität kann auf diesem Computer nicht erkannt werden: Parley fragt nicht nach.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Inactivity is detected across all apps ({how}).</source>
        <translation>Inaktivität wird in allen Apps erkannt ({how}).</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{how}: only input in Parley&apos;s own windows is seen on this computer, so working in another app counts as inactive.</source>
        <translation>{how}: Auf diesem Computer werden nur Eingaben in Parleys eigenen Fenstern erkannt; Arbeit in einer anderen App zählt daher als inaktiv.</translation>
    </message>
    <message>
        <location line="+16"/>
        <location line="+1"/>
        <source>Parley settings</source>
        <translation>Parley-Einstellungen</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Sections</source>
        <translation>Bereiche</translation>
    </message>
    <message>
        <location line="+109"/>
        <source>System default ({device})</source>
        <translation>Systemstandard ({device})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>System default</source>
        <translation>Systemstandard</translation>
    </message>
</context>
<context>
    <name>ShareController</name>
    <message>
        <location filename="../../desktop/ui/share_controller.py" line="+72"/>
        <source>There is no screen to share here.</source>
        <extracomment>share outcomes the user caused or expects, said nothing about</extracomment>
        <translation>Hier gibt es keinen Bildschirm zum Teilen.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Could not share {name}: {error}</source>
        <translation>„{name}“ konnte nicht geteilt werden: {error}</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Cannot share {name}: {error}</source>
        <translation>„{name}“ kann nicht geteilt werden: {error}</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{first} and {second} are sharing; you can share when one stops</source>
        <translation>{first} und {second} teilen bereits; Sie können teilen, sobald eine Freigabe endet</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Two people are sharing; you can share when one stops</source>
        <translation>Zwei Personen teilen bereits; Sie können teilen, sobald eine Freigabe endet</translation>
    </message>
</context>
<context>
    <name>SharingBar</name>
    <message>
        <location filename="../../desktop/ui/sharing_bar.py" line="+27"/>
        <location line="+24"/>
        <source>You are sharing your screen</source>
        <translation>Sie teilen Ihren Bildschirm</translation>
    </message>
    <message>
        <location line="-23"/>
        <source>Stop sharing</source>
        <translation>Freigabe beenden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop sharing your screen</source>
        <translation>Bildschirmfreigabe beenden</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+14"/>
        <location line="+10"/>
        <source>Pause</source>
        <translation>Pausieren</translation>
    </message>
    <message>
        <location line="-23"/>
        <source>Pause or resume the video you share</source>
        <translation>Das geteilte Video pausieren oder fortsetzen</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Resume</source>
        <translation>Fortsetzen</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>You are sharing “{name}”</source>
        <translation>Sie teilen „{name}“</translation>
    </message>
</context>
<context>
    <name>Shortcuts</name>
    <message>
        <location filename="../../desktop/ui/shortcuts.py" line="+38"/>
        <source>Mute or unmute the microphone</source>
        <translation>Mikrofon stummschalten oder Stummschaltung aufheben</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Turn the camera on or off</source>
        <translation>Kamera ein- oder ausschalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Share your screen or stop sharing</source>
        <translation>Bildschirm teilen oder Freigabe beenden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Raise or lower your hand</source>
        <translation>Hand heben oder senken</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show or hide the chat</source>
        <translation>Chat ein- oder ausblenden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show or hide the people in the meeting</source>
        <translation>Personen in der Besprechung ein- oder ausblenden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Leave the meeting</source>
        <translation>Besprechung verlassen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hold to talk while muted</source>
        <translation>Gedrückt halten, um trotz Stummschaltung zu sprechen</translation>
    </message>
    <message>
        <location line="+8"/>
        <location filename="../../desktop/ui/start_window.py" line="+97"/>
        <source>{action} ({keys})</source>
        <translation>{action} ({keys})</translation>
    </message>
</context>
<context>
    <name>SidePanel</name>
    <message>
        <location filename="../../desktop/ui/side_panel.py" line="+34"/>
        <source>People</source>
        <translation>Personen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Chat</source>
        <translation>Chat</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Close the panel</source>
        <translation>Bereich schließen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
</context>
<context>
    <name>SpotlightBadge</name>
    <message>
        <location filename="../../desktop/ui/spotlight.py" line="+21"/>
        <source>Spotlight</source>
        <translation>Spotlight</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>In the spotlight for everyone</source>
        <translation>Für alle im Spotlight</translation>
    </message>
</context>
<context>
    <name>Stage</name>
    <message>
        <location filename="../../desktop/ui/stage.py" line="+63"/>
        <source>{name} (screen)</source>
        <translation>{name} (Bildschirm)</translation>
    </message>
    <message>
        <location line="+64"/>
        <source>Unpin</source>
        <translation>Lösen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pin to the stage</source>
        <translation>Auf der Bühne anheften</translation>
    </message>
</context>
<context>
    <name>StartWindow</name>
    <message>
        <location filename="../../desktop/ui/start_window.py" line="-46"/>
        <source>Open video meetings. Paste a meeting link to join.</source>
        <translation>Offene Videobesprechungen. Fügen Sie einen Besprechungslink ein, um teilzunehmen.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Meeting link</source>
        <translation>Besprechungslink</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A meeting link looks like parley://server:8750/m/…?token=…</source>
        <translation>Ein Besprechungslink sieht so aus: parley://server:8750/m/…?token=…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Join</source>
        <translation>Teilnehmen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Join the meeting</source>
        <translation>An der Besprechung teilnehmen</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Join with a server address and a token</source>
        <translation>Mit Serveradresse und Token teilnehmen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Show fields for a server address, a meeting id and a join token</source>
        <translation>Felder für Serveradresse, Besprechungs-ID und Teilnahme-Token anzeigen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Server, e.g. {example}</source>
        <translation>Server, z. B. {example}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Server address</source>
        <translation>Serveradresse</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Meeting id</source>
        <translation>Besprechungs-ID</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Join token</source>
        <translation>Teilnahme-Token</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>or</source>
        <translation>oder</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+1"/>
        <source>Start a meeting on this computer</source>
        <translation>Besprechung auf diesem Computer starten</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Start a meeting here and invite others with a link</source>
        <translation>Hier eine Besprechung starten und andere mit einem Link einladen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Accept people from this network (same Wi-Fi or office)</source>
        <translation>Personen aus diesem Netzwerk zulassen (selbes WLAN oder Büro)</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+1"/>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>About</source>
        <translation>Über</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>About Parley</source>
        <translation>Über Parley</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Rejoin</source>
        <translation>Erneut teilnehmen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rejoin the meeting</source>
        <translation>Erneut an der Besprechung teilnehmen</translation>
    </message>
    <message>
        <location line="+57"/>
        <source>This is not a Parley meeting link. A link looks like {example}.</source>
        <translation>Das ist kein Parley-Besprechungslink. Ein Link sieht so aus: {example}.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Paste a meeting link first.</source>
        <translation>Fügen Sie zuerst einen Besprechungslink ein.</translation>
    </message>
</context>
<context>
    <name>TileGrid</name>
    <message>
        <location filename="../../desktop/ui/tile_grid.py" line="+184"/>
        <source>Previous people</source>
        <extracomment>The filmstrip beside the stage takes this share of the window, its thumbnails at least STRIP_MIN pixels wide (16:9): a name pill and a face stay readable with 16 people. The room the filmstrip&apos;s page arrows take at each end. after each layout: key -&gt; (width, height) each tile has on screen, in device pixels (what the server needs to send no more than is shown)</extracomment>
        <translation>Vorherige Personen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>More people</source>
        <translation>Weitere Personen</translation>
    </message>
    <message numerus="yes">
        <location line="+144"/>
        <source>%n more</source>
        <translation>
            <numerusform>%n weitere</numerusform>
            <numerusform>%n weitere</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TrustDialog</name>
    <message>
        <location filename="../../desktop/ui/trust_dialog.py" line="+50"/>
        <source>Untrusted server certificate</source>
        <translation>Nicht vertrauenswürdiges Serverzertifikat</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>This server&apos;s certificate has changed</source>
        <translation>Das Zertifikat dieses Servers hat sich geändert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Parley cannot verify this server</source>
        <translation>Parley kann diesen Server nicht überprüfen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The certificate could not be verified</source>
        <translation>Das Zertifikat konnte nicht überprüft werden</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The server {server} presented a different certificate from the one you trusted for it before.</source>
        <translation>Der Server {server} hat ein anderes Zertifikat vorgelegt als das, dem Sie zuvor für ihn vertraut haben.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The server may have a new certificate, or someone may be impersonating it. Trust it only if the server&apos;s administrator confirms the new fingerprint below.</source>
        <translation>Vielleicht hat der Server ein neues Zertifikat, oder jemand gibt sich als dieser Server aus. Vertrauen Sie ihm nur, wenn die Administration des Servers den neuen Fingerabdruck unten bestätigt.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The server {server} presented a certificate that this computer does not trust. {reason}.</source>
        <translation>Der Server {server} hat ein Zertifikat vorgelegt, dem dieser Computer nicht vertraut. {reason}.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Compare the SHA-256 fingerprint below with the one the server&apos;s administrator gave you (parley-server prints it when it starts). Trust this server only if they are the same; otherwise someone may be impersonating it.</source>
        <translation>Vergleichen Sie den SHA-256-Fingerabdruck unten mit dem, den Ihnen die Administration des Servers genannt hat (parley-server gibt ihn beim Start aus). Vertrauen Sie diesem Server nur, wenn beide gleich sind; andernfalls gibt sich womöglich jemand als dieser Server aus.</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+10"/>
        <source>SHA-256 fingerprint</source>
        <translation>SHA-256-Fingerabdruck</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy the fingerprint</source>
        <translation>Fingerabdruck kopieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy the fingerprint (on one line)</source>
        <translation>Fingerabdruck kopieren (in einer Zeile)</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Trust this server</source>
        <translation>Diesem Server vertrauen</translation>
    </message>
</context>
<context>
    <name>VideoTile</name>
    <message>
        <location filename="../../desktop/ui/video_tile.py" line="+255"/>
        <source>Video paused: your computer is busy</source>
        <translation>Video angehalten: Ihr Computer ist ausgelastet</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Video paused because of a poor connection</source>
        <translation>Video wegen schlechter Verbindung angehalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Video paused</source>
        <translation>Video angehalten</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>{name} · connecting…</source>
        <translation>{name} · wird verbunden…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>You</source>
        <translation>Sie</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{name} (you)</source>
        <translation>{name} (Sie)</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>you</source>
        <translation>Sie</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>muted</source>
        <translation>stummgeschaltet</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>camera off</source>
        <translation>Kamera aus</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>speaking</source>
        <translation>spricht</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>pinned</source>
        <translation>angeheftet</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>hand raised</source>
        <translation>Hand gehoben</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>connecting</source>
        <translation>wird verbunden</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>poor connection</source>
        <translation>schlechte Verbindung</translation>
    </message>
</context>
</TS>

"""Voice processing (desktop/media/voice.py): what WebRTC's audio processing costs and delays.

    python bench/voice.py [--seconds 30] [--delay-ms 80]
    python bench/voice.py --call [--call-seconds 15] [--delays 40,80,120]

Runs ``--seconds`` of synthetic speech with a simulated echo (the far end played back into the
microphone ``--delay-ms`` later at -6 dB, a near-end talker on top in the middle third) through
``VoiceProcessor`` as the devices would drive it: each 20 ms, the speaker's block to ``far_end``,
then the microphone's frame to ``process``. No real time: it runs as fast as it can.

Prints, per 10 ms block: the cost of ``process`` (the module's capture side plus the far-end
blocks handed to it, plus our copies) as mean and p99, for each setting; the ERLE reached; and
the added latency: the lag of the best cross-correlation between the input and the output of the
near end alone, for echo cancellation off and on (the module's own algorithmic delay).

``--call``: the same end to end, in real time, through a real server: for each echo delay, with
echo cancellation on and off, two ``parley-bot --room`` processes talk — Ada in a headset, Grace
on a laptop whose speaker comes back into her microphone at -6 dB (desktop/media/synthetic/acoustic.py) —
and each reports how strongly its own voice came back in what the other sent
(``own_voice_echo``: spectro-temporal correlation, median of 2 s windows, 0..1; about 0.1 is
chance). Ada's figure is the one echo cancellation must keep low; Grace's (Ada wears a headset)
is the reference for "not there".
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from harness import REPO, Api, bot_command, bot_env, start_server, stop_process

from desktop.media.synthetic.echo import FRAME, FS, echo_path, energy_db, s16, talker
from desktop.media.voice import VoiceProcessor


def timed_run(processor: VoiceProcessor, far: np.ndarray | None, mic: np.ndarray):
    out = np.zeros_like(mic)
    costs = []
    for start in range(0, len(mic), FRAME):
        t0 = time.perf_counter()
        if far is not None:
            processor.far_end(np.repeat(far[start : start + FRAME, None], 2, axis=1))
        out[start : start + FRAME] = processor.process(mic[start : start + FRAME])
        costs.append((time.perf_counter() - t0) / 2)  # per 10 ms block
    return out, np.array(costs) * 1000


def lag_ms(inp: np.ndarray, out: np.ndarray, max_ms: float = 50) -> float:
    """Lag (ms) at which ``out`` best matches ``inp`` (positive: out is later)."""
    a = inp.astype(np.float64)
    b = out.astype(np.float64)
    n = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    corr = np.fft.irfft(np.fft.rfft(b, n) * np.conj(np.fft.rfft(a, n)), n)
    m = int(max_ms * FS / 1000)
    lags = np.concatenate((np.arange(0, m), np.arange(-m, 0)))
    values = np.concatenate((corr[:m], corr[-m:]))
    return float(lags[int(np.argmax(values))]) * 1000 / FS


def call(seconds: float, delays: list[int]) -> dict:
    """Ada (headset) and Grace (laptop, echo at -6 dB) in a real call, per delay, AEC on/off."""
    key = secrets.token_urlsafe(16)
    rows = []
    env = bot_env()
    with tempfile.TemporaryDirectory(prefix="parley-bench-voice-") as tmp_name:
        tmp = Path(tmp_name)
        server, base, _ = start_server(tmp, key, timeout=30)
        try:
            api = Api(base, key)
            for delay in delays:
                for cancel in (True, False):
                    meeting = api.create_meeting()
                    procs = []
                    for name, room, stay in (("Ada", "headphones", seconds + 2),
                                             ("Grace", f"echo:{delay}", seconds)):
                        _, url = api.add_attendee(meeting, f"u-{name}", name)
                        command = bot_command(url, "--camera", "none", "--room", room,
                                              "--voice-seed", "11" if name == "Ada" else "22",
                                              "--duration", str(stay), "--json")
                        if name == "Grace" and not cancel:
                            command.append("--no-echo-cancellation")
                        procs.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                                      stderr=subprocess.DEVNULL, text=True))
                        time.sleep(1.0)  # Ada first, as the far end already in the call
                    reports = []
                    for proc in procs:
                        out, _ = proc.communicate(timeout=seconds + 60)
                        lines = [line for line in out.splitlines() if line.startswith("{")]
                        reports.append(json.loads(lines[-1]) if lines else {})
                    ada, grace = reports
                    ada_echo = ada.get("own_voice_echo_detail", {}).get(grace.get("attendee_id"), {})
                    grace_echo = grace.get("own_voice_echo_detail", {}).get(ada.get("attendee_id"), {})
                    row = {"delay_ms": delay, "echo_cancellation": cancel, "ada_own_voice_back": ada_echo,
                           "grace_own_voice_back": grace_echo,
                           "grace_processed_blocks": (grace.get("voice") or {}).get("processed_blocks")}
                    rows.append(row)
                    print(f"  echo {delay:3d} ms, echo cancellation {'on ' if cancel else 'off'}: Ada's own "
                          f"voice back {ada_echo.get('value')} (peak {ada_echo.get('peak')}, lag "
                          f"{ada_echo.get('lag_ms')} ms); Grace's (reference, Ada in a headset) "
                          f"{grace_echo.get('value')}", flush=True)
        finally:
            stop_process(server, "server", grace=10)
    return {"bench": "voice call", "seconds": seconds, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--delay-ms", type=float, default=80.0)
    parser.add_argument("--call", action="store_true",
                        help="end to end through a real server and two bots, in real time")
    parser.add_argument("--call-seconds", type=float, default=15.0,
                        help="with --call: how long Grace stays (the first 3 s are not judged)")
    parser.add_argument("--delays", default="40,80,120", help="with --call: echo delays in ms")
    args = parser.parse_args()
    if not VoiceProcessor.available():
        sys.exit("livekit is not installed: no voice processing to measure")
    if args.call:
        delays = [int(d) for d in args.delays.split(",")]
        print(f"a call: Ada in a headset, Grace on a laptop (echo at -6 dB), {args.call_seconds:.0f} s each")
        print(json.dumps(call(args.call_seconds, delays)))
        return
    seconds = args.seconds
    far = talker(seconds, f0=110, seed=1, level_dbfs=-18)
    near = talker(seconds, f0=210, seed=2, level_dbfs=-22)
    third = int(seconds / 3 * FS) // FRAME * FRAME
    near[:third] = 0
    near[2 * third :] = 0
    mic = s16(echo_path(far, args.delay_ms) + near)
    results: dict[str, object] = {"seconds": seconds, "echo_delay_ms": args.delay_ms}
    configs = {
        "aec+ns+hpf": dict(echo_cancellation=True, noise_suppression=True, high_pass_filter=True),
        "aec+ns+hpf+agc": dict(echo_cancellation=True, noise_suppression=True,
                               high_pass_filter=True, auto_gain_control=True),
        "aec only": dict(echo_cancellation=True, noise_suppression=False, high_pass_filter=False),
        "ns+hpf (no far end)": dict(echo_cancellation=False, noise_suppression=True,
                                    high_pass_filter=True),
    }
    print(f"{seconds:.0f} s of 48 kHz mono speech, echo {args.delay_ms:.0f} ms later at -6 dB")
    for name, settings in configs.items():
        processor = VoiceProcessor(**settings)
        with_far = far if settings["echo_cancellation"] else None
        out, costs = timed_run(processor, with_far, mic)
        warm = costs[10:]
        window = slice(int(2 * FS), third)
        erle = energy_db(mic[window]) - energy_db(out[window]) if with_far is not None else None
        figures = {"mean_ms": round(float(warm.mean()), 4),
                   "p99_ms": round(float(np.percentile(warm, 99)), 4),
                   "max_ms": round(float(warm.max()), 4),
                   "erle_db": None if erle is None else round(float(erle), 1)}
        results[name] = figures
        erle_text = f", ERLE {erle:.1f} dB (2 s..{third / FS:.0f} s)" if erle is not None else ""
        print(f"  {name:22s} per 10 ms block: mean {figures['mean_ms']:.3f} ms, "
              f"p99 {figures['p99_ms']:.3f} ms, max {figures['max_ms']:.3f} ms{erle_text}")
    # Added latency: the near end alone (no echo), with the module's processing otherwise linear.
    speech = talker(10, f0=160, seed=4, level_dbfs=-20)
    for name, settings in {"aec off (hpf)": dict(echo_cancellation=False, noise_suppression=False,
                                                  high_pass_filter=True),
                           "aec on": dict(echo_cancellation=True, noise_suppression=False,
                                          high_pass_filter=False),
                           "aec+ns+hpf": dict(echo_cancellation=True, noise_suppression=True,
                                              high_pass_filter=True)}.items():
        out, _ = timed_run(VoiceProcessor(**settings), np.zeros_like(speech), speech)
        lag = lag_ms(speech[2 * FS :], out[2 * FS :])
        results[f"latency {name}"] = lag
        print(f"  added latency, {name:14s}: {lag:.2f} ms (input/output cross-correlation)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()

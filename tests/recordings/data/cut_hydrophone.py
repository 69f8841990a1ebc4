"""Cut the MARS hydrophone test files from the file oceansoundscape 2.0.1 ships.

Run from the repository root, with the package's wheel unpacked into FOLDER
(`pip download --no-deps --only-binary :all: --python-version 3.9 oceansoundscape==2.0.1`,
then unzip): `.venv/bin/python tests/recordings/data/cut_hydrophone.py FOLDER`.
Takes seconds 155 to 185 of `oceansoundscape/testdata/MARS-20150910T000000Z-2kHz.wav`
(sha256 12bb27df...2c0ec7), the samples unchanged (24-bit, 2 kHz, mono), and writes
them as WAV and as FLAC named by their start (00:02:35 UTC). The package's Raven
table for that file selects a blue whale A call from 161.79 s to 180.99 s, 70-90 Hz: here from
6.79 s to 25.99 s.
"""

import sys
from pathlib import Path

import soundfile

SOURCE = "oceansoundscape/testdata/MARS-20150910T000000Z-2kHz.wav"
OUT = Path(__file__).with_name("MARS-20150910T000235Z-2kHz")
FIRST_S, LAST_S = 155, 185


def main() -> None:
    path = Path(sys.argv[1]) / SOURCE
    rate = soundfile.info(str(path)).samplerate
    samples, rate = soundfile.read(
        str(path), dtype="int32", start=FIRST_S * rate, stop=LAST_S * rate
    )
    soundfile.write(f"{OUT}.wav", samples, rate, format="WAV", subtype="PCM_24")
    soundfile.write(f"{OUT}.flac", samples, rate, format="FLAC", subtype="PCM_24")


if __name__ == "__main__":
    main()

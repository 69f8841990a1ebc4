"""Keep memory freed between forward passes for the next pass (glibc's malloc).

By default glibc's malloc gives large freed blocks back to the kernel (munmap, heap
trim) and the next forward pass faults every page of its activations in again. In a
Celery worker running the shipped classifier in bf16 this was 40 % of the CPU time
(4.2 s of kernel time in 10.3 s, 3.7 million page faults for 420 images), and the
pipeline ran at half the speed of the same model in the benchmark's own process.
Fixed thresholds keep those blocks in the process for reuse: up to TRIM_THRESHOLD
freed bytes at the top of the heap stay, and blocks below MMAP_THRESHOLD come from
the heap rather than from a mapping of their own.

Set INFERENCE_MALLOC_TUNING=false to keep glibc's defaults. Elsewhere than glibc
(musl, macOS) nothing is changed.
"""

from __future__ import annotations

import ctypes
import threading

from django.conf import settings

M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024**2  # the largest glibc accepts on 64-bit systems
TRIM_THRESHOLD = 512 * 1024**2

_lock = threading.Lock()
_tuned: bool | None = None


def keep_freed_memory() -> bool:
    """Tune this process's malloc once; True where glibc took the settings."""
    global _tuned
    with _lock:
        if _tuned is None:
            _tuned = settings.INFERENCE_MALLOC_TUNING and _mallopt()
        return _tuned


def _mallopt() -> bool:
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it: musl's mallopt does nothing
    except (AttributeError, OSError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # mallopt answers 1 when it took a setting, 0 when it refused it.
    mapped = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    return bool(mapped and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))

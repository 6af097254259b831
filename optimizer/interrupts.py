"""Ctrl-C and SIGTERM stop a run promptly, even while HiGHS is solving.

Pyomo runs HiGHS with its user-interrupt callback on: a SIGINT during a solve makes the *solve* stop
and return ("interrupted"), and the KeyboardInterrupt is swallowed inside the callback, so a sweep would
carry on. ``interruptible()`` records which signal arrived; ``check()`` (called after every solve)
turns a recorded signal into ``KeyboardInterrupt`` or ``Terminated`` in Python, so the run unwinds,
saves what it finished and exits 130 (SIGINT) or 143 (SIGTERM). During a solve (``solving``) the handler
raises nothing: an exception there could land inside Pyomo's output capture, which swaps file
descriptors. It cancels the HiGHS run instead (``cancelSolve``, checked by HiGHS's interrupt callback),
and ``check`` raises once the solve has returned.
"""

from __future__ import annotations

import contextlib
import signal
import threading

_received: list[int] = []  # signals seen since the current run started
_solving: list = []  # highspy objects solving right now (None for a solver we cannot reach)


class Terminated(BaseException):
    """SIGTERM arrived: unwind like KeyboardInterrupt, exit 143."""


def _handler(signum, frame):
    _received.append(signum)
    if _solving:
        # never raise inside Pyomo's solve (it swaps file descriptors to capture output): ask HiGHS to stop
        # at its next interrupt check instead; ``check`` raises once the solve has returned
        for highs in _solving:
            if highs is not None:
                highs.cancelSolve()
        return
    if signum == signal.SIGTERM:
        raise Terminated()
    raise KeyboardInterrupt()


@contextlib.contextmanager
def solving(highs=None):
    """Defer SIGINT/SIGTERM while a solve runs: the handler cancels ``highs`` (a highspy.Highs) and records the
    signal, and ``check`` raises it after the solve."""
    _solving.append(highs)
    try:
        yield
    finally:
        _solving.pop()


def check() -> None:
    """Raise if a signal arrived during the last solve (HiGHS's callback swallows the exception)."""
    if _received:
        signum = _received[-1]
        _received.clear()
        if signum == signal.SIGTERM:
            raise Terminated()
        raise KeyboardInterrupt()


def pending_signal() -> int | None:
    """The last signal received in this run and not yet raised, if any."""
    return _received[-1] if _received else None


@contextlib.contextmanager
def interruptible():
    """Record SIGINT/SIGTERM for ``check`` during the block (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, _handler)
    try:
        yield
    except Exception:
        check()  # a signal that surfaced as some other error (inside a library) is reported as the signal
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _received.clear()


def ignore_in_worker() -> None:
    """Worker processes leave SIGINT to the parent, which stops them with SIGTERM (a terminal's Ctrl-C
    reaches all). On SIGTERM a worker runs multiprocessing's finalisers and exits at once, so the
    semaphores its imports registered (Pyomo makes one) are released rather than reported as leaked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_worker)


def _exit_worker(signum, frame):
    import os
    from multiprocessing import util

    util._run_finalizers()
    os._exit(128 + signum)

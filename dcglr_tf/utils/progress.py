"""Progress output that reads well anywhere: redrawn in place on a terminal, whole lines in a log.

A stage (dataset preparation, feature extraction, SVM fits) is, on a terminal, one line redrawn in place
(`extracting ...: 3,200/9,843 clouds, 41 s, about 1:25 left`: the time left when the total is known); when output goes
to a file or a pipe (or to a log function other than `print`) it is two lines, one when the stage starts and one when
it ends, with the count and the seconds, plus, for a stage made with `log_every_s`, such a progress line every
`log_every_s` seconds. A redirected log thus holds no carriage-return redraws and no terminal escape codes.
"""

import sys
import time


def emit(log, message):
    """`log(message)`; a printed line is flushed at once, so that a redirected log (which Python buffers) shows
    it when it happens."""
    log(message)
    if log is print:
        sys.stdout.flush()


def interactive(log):
    """True when `log` is `print` to a terminal: the only case where lines are redrawn in place."""
    return log is print and sys.stdout.isatty()


class Stage:
    """`with Stage("extracting train features", total=9843, unit="clouds", log=log) as stage: stage.update(32)`.

    total may be None (unknown). `log_every_s`: in a log, a progress line every that many seconds (None: none). The
    end line reports the count, the seconds and the rate."""

    def __init__(self, description, total=None, unit="", log=print, min_redraw_s=0.25, log_every_s=None):
        self.description = description
        self.total = total
        self.unit = unit
        self.log = log
        self.count = 0
        self.min_redraw_s = min_redraw_s
        self.log_every_s = log_every_s
        self._interactive = interactive(log)
        self._start = self._drawn = None

    def _amount(self):
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.count:,}{'' if self.total is None else f'/{self.total:,}'}{unit}"

    def _progress(self):
        """`3,200/9,843 clouds, 41 s, about 1:25 left` (the time left once a count and the total are known)."""
        seconds = time.perf_counter() - self._start
        left = ""
        if self.total and self.count:
            left = f", about {format_duration(seconds / self.count * max(self.total - self.count, 0))} left"
        return f"{self._amount()}, {seconds:.0f} s{left}"

    def __enter__(self):
        self._start = self._drawn = time.perf_counter()
        if self._interactive:
            self._draw()
        else:
            total = "" if self.total is None else f": {self.total:,}{' ' + self.unit if self.unit else ''}"
            emit(self.log, f"{self.description}{total} ...")
        return self

    def _draw(self):
        sys.stdout.write(f"\r{self.description}: {self._progress()}\033[K")
        sys.stdout.flush()

    def update(self, amount=1):
        self.count += amount
        now = time.perf_counter()
        if self._interactive and now - self._drawn >= self.min_redraw_s:
            self._drawn = now
            self._draw()
        elif not self._interactive and self.log_every_s is not None and now - self._drawn >= self.log_every_s:
            self._drawn = now
            emit(self.log, f"{self.description}: {self._progress()}")

    @property
    def seconds(self):
        return time.perf_counter() - self._start

    def __exit__(self, kind, error, trace):
        seconds = self.seconds
        if self._interactive:
            sys.stdout.write("\r\033[K")
            sys.stdout.flush()
        if kind is not None:
            emit(self.log, f"{self.description}: stopped after {self._amount()}, {seconds:.1f} s")
            return False
        rate = f", {self.count / seconds:,.1f} {self.unit}/s" if self.unit and self.count and seconds > 0 else ""
        emit(self.log, f"{self.description}: done, {self._amount()} in {seconds:.1f} s{rate}")
        return False


def format_duration(seconds):
    """`42 s` under a minute, else `h:mm:ss`."""
    seconds = int(round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"

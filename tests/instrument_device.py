"""An emulated balance or caliper on a pseudo-terminal: qcstation opens the terminal's
slave end by its path like a serial port; the test plays the device on the master end."""

from __future__ import annotations

import contextlib
import os
import select
import termios
import threading
import time
import tty
from collections.abc import Callable, Iterator

Reply = Callable[[bytes], bytes | None]  # a request line in, the device's bytes out


class EmulatedDevice:
    """The device answers each request line with ``reply(line)`` (if given), and sends
    what ``send`` is given at once; ``pull_cable`` closes its end mid-conversation."""

    def __init__(self, reply: Reply | None = None) -> None:
        self.master, slave = os.openpty()
        self.port = os.ttyname(slave)
        tty.setraw(slave)  # no echo, no CR/LF translation until the port is opened
        attrs = termios.tcgetattr(slave)
        attrs[4] = attrs[5] = termios.B38400  # none of the speeds the tests open it at
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        self._slave = slave
        self.reply = reply
        self.received = bytearray()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        # Once closed, no thread touches the descriptors again: their numbers are reused by
        # the next device, which must not receive this one's late bytes.
        self._closed = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        pending = b""
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.02)
                if not ready:
                    continue
                data = os.read(self.master, 1024)
            except OSError:
                return
            if not data:
                return
            self.received += data
            pending += data
            while b"\n" in pending or b"\r" in pending:
                cut = min(i for i in (pending.find(b"\n"), pending.find(b"\r")) if i >= 0)
                line, pending = pending[:cut], pending[cut + 1 :]
                if line and self.reply is not None:
                    answer = self.reply(line)
                    if answer:
                        self.send(answer)

    def send(self, data: bytes) -> None:
        with self._lock:
            if not self._closed:
                with contextlib.suppress(OSError):
                    os.write(self.master, data)

    def send_later(self, delay: float, data: bytes) -> None:
        threading.Timer(delay, self.send, (data,)).start()

    def press_when_read(
        self, data: bytes, baud: int = 2400, after: float = 0.2, pull: bool = False
    ) -> None:
        """A press of DATA once qcstation has opened the port for a reading: the port's
        speed turns to ``baud`` (the terminal's settings are shared by both ends), then
        ``after`` seconds pass (the reading drops what waited before it asked). With
        ``pull``, the cable comes out ``after`` seconds after the data went."""
        speed = getattr(termios, f"B{baud}")

        def press() -> None:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not self._stop.is_set():
                with self._lock:
                    if self._closed:
                        return
                    try:
                        opened = termios.tcgetattr(self.master)[5] == speed
                    except termios.error:
                        return
                if opened:
                    break
                time.sleep(0.01)
            time.sleep(after)
            self.send(data)
            if pull:
                time.sleep(after)
                self.pull_cable()

        threading.Thread(target=press, daemon=True).start()

    def stream(self, lines: list[bytes], every: float = 0.05) -> None:
        """Continuous print: each line in turn, then the last one again until closed."""

        def run() -> None:
            i = 0
            while not self._stop.is_set():
                self.send(lines[min(i, len(lines) - 1)])
                i += 1
                time.sleep(every)

        threading.Thread(target=run, daemon=True).start()

    def pull_cable(self, after: float = 0.0) -> None:
        threading.Timer(after, self.close).start() if after else self.close()

    def close(self) -> None:
        self._stop.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(5)  # it reads the master no more
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for fd in (self.master, self._slave):
                with contextlib.suppress(OSError):
                    os.close(fd)


@contextlib.contextmanager
def device(reply: Reply | None = None) -> Iterator[EmulatedDevice]:
    dev = EmulatedDevice(reply)
    try:
        yield dev
    finally:
        dev.close()


def mt_sics(weight: bytes = b"S S      12.345 g") -> Reply:
    """An MT-SICS balance whose answer to SI is ``weight``."""
    return lambda line: weight + b"\r\n" if line.strip() == b"SI" else b"ES\r\n"

"""Waiting for a server this project started (the course hub, a Jupyter server in the browser tests)."""
import pathlib
import time
import urllib.request


def _log_end(log_path, characters=3000):
    try:
        return pathlib.Path(log_path).read_text(errors="replace")[-characters:]
    except OSError:
        return "(no log)"


def wait_until_answering(process, url, log_path, seconds, what, error=RuntimeError):
    """Poll ``url`` until it answers. Raises ``error``, with the end of the log at ``log_path``, when
    ``process`` exits first or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise error(f"{what} exited with {process.returncode}; its log ({log_path}) ends:\n{_log_end(log_path)}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise error(f"{what} did not answer within {seconds} s; its log ({log_path}) ends:\n{_log_end(log_path)}")

"""Confinement of a kernel process: the steps the launcher and the zygote's kernels share.

``confine(options)``, run as root with the options of ``parse_args``:

1. copies the connection file into a private scratch directory owned by the
   sandbox user, with a scratch HOME next to it;
2. when root, enters a private mount namespace in which the course repository,
   the grading template, root's home and every temporary directory are replaced
   by empty file systems; only what the kernel needs is mounted back (the
   interpreter, the ``autograder`` package, the data folders (--data-env) and, read-only, the kernel's
   working directory), the scratch directory stays writable, ``/tmp`` and
   ``/dev/shm`` become small private tmpfs, ``/`` read-only and ``/proc`` shows
   only the user's own processes; when the connection file uses the ``ipc``
   transport (unix sockets), also a network namespace without any network;
3. sets resource limits, keeps only an allow-list of environment variables,
   forbids gaining privileges through set-user-id programs and drops to the
   sandbox user for good.

Not root: no user switch and no namespace, limits only.  What runs next (ipykernel,
the preflight's probe) is the caller's business.
"""
import argparse
import ctypes
import json
import os
import pathlib
import pwd
import resource
import shutil
import stat
import sys
import tempfile

from autograder.sandbox.users import TOKEN_VARIABLE

# Variables the kernel may see; everything else (credentials of the grading
# host, scheduler addresses, ...) is dropped.
ENV_ALLOWED = {"PATH", "LANG", "LANGUAGE", "TZ", "TERM", "PYTHONPATH", "PYTHONHASHSEED",
               "MPLBACKEND", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               TOKEN_VARIABLE, "VIRTUAL_ENV"}
ENV_ALLOWED_PREFIXES = ("LC_", "JPY_", "NBGRADER_", "PYDEVD_")

# Linux constants (not exposed by the os module of Python 3.11).
CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = \
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38

TMPFS_BYTES = 64 * 2**20  # private /tmp, /var/tmp, /dev/shm (memory-backed)


# ---------------------------------------------------------------- scratch

def make_private_dir(scratch, user):
    """A fresh 0700 directory in ``scratch`` (owned by ``user`` if given) with a HOME inside."""
    private = pathlib.Path(tempfile.mkdtemp(prefix="kernel-", dir=scratch))
    home = private / "home"
    for sub in ("", ".cache", ".config/matplotlib", ".ipython", "runtime", "tmp"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    if user:
        for path in [private, *private.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)
    os.chmod(private, 0o700)
    return private


def socket_dir(connection_file):
    """Directory of the kernel's unix sockets if the connection uses the ipc transport, else None."""
    with open(connection_file) as f:
        info = json.load(f)
    return pathlib.Path(os.path.realpath(os.path.dirname(info["ip"]))) if info.get("transport") == "ipc" else None


def copy_connection_file(connection_file, private, user):
    """Copy the connection file where the kernel can read it (the original lives in root's runtime dir)."""
    copy = private / "connection.json"
    shutil.copyfile(connection_file, copy)
    os.chmod(copy, 0o600)
    if user:
        os.chown(copy, user.pw_uid, user.pw_gid)
    return copy


def kernel_environment(private, data_env=(), environ=os.environ):
    """Allow-listed variables and the ``data_env`` ones, plus HOME and cache directories in the scratch."""
    allowed = ENV_ALLOWED | set(data_env)
    env = {k: v for k, v in environ.items() if k in allowed or k.startswith(ENV_ALLOWED_PREFIXES)}
    home = private / "home"
    env.update(HOME=str(home), MPLCONFIGDIR=str(home / ".config" / "matplotlib"),
               IPYTHONDIR=str(home / ".ipython"), XDG_CACHE_HOME=str(home / ".cache"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), TMPDIR=str(home / "tmp"))
    return env


# ---------------------------------------------------------------- mount namespace

def _libc():
    """The C library, for the system calls Python 3.11 lacks."""
    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    """Raise OSError with errno if a libc call failed."""
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def mount(source, target, fstype, flags, data=None):
    """mount(2); None arguments are passed as NULL."""
    def enc(s):
        return None if s is None else os.fsencode(str(s))

    libc = _libc()
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    _check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def user_can_traverse(path, user):
    """Whether ``user`` (no supplementary groups) may search directory ``path``."""
    st = os.stat(path)
    if st.st_uid == user.pw_uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid == user.pw_gid:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def blocking_ancestor(path, user):
    """The outermost directory above ``path`` that ``user`` cannot enter, or None."""
    for parent in reversed(pathlib.Path(path).parents):
        if not user_can_traverse(parent, user):
            return parent
    return None


def is_within(path, other):
    """path == other or path is below other."""
    return path == other or other in path.parents


def needed_paths(cwd, private, data_env=()):
    """Directories the kernel must see: the interpreter, import paths, the data folders that the
    ``data_env`` variables name, cwd and scratch."""
    import autograder

    candidates = [sys.prefix, sys.base_prefix, pathlib.Path(autograder.__file__).parent,
                  *[os.environ.get(name) for name in data_env], *[p for p in sys.path if p]]
    found = {pathlib.Path(os.path.realpath(p)) for p in candidates if p and os.path.isdir(p)}
    return found, pathlib.Path(os.path.realpath(cwd)), private


def plan_mounts(hidden, fresh, needed, cwd, writable, user):
    """(empty mounts, fresh tmpfs mounts, [(path, writable)] to mount back).

    A needed path that contains a hidden path is dropped (mounting it back would
    undo the hiding); one already inside another needed path needs no mount.
    """
    hidden = {pathlib.Path(os.path.realpath(h)) for h in hidden if os.path.isdir(h)}
    fresh = {pathlib.Path(os.path.realpath(f)) for f in fresh if os.path.isdir(f)}
    needed = {p for p in needed if not any(is_within(h, p) for h in hidden | fresh)}
    for path in [*needed, cwd, *writable]:
        blocker = blocking_ancestor(path, user)
        if blocker is not None:
            hidden.add(blocker)
    def covered(p, group):
        return any(q != p and is_within(p, q) for q in group)

    hidden = {h for h in hidden if not covered(h, hidden | fresh)}
    fresh = {f for f in fresh if not covered(f, hidden | fresh)}
    back = {(p, False) for p in [*needed, cwd]} | {(p, True) for p in writable}
    back = {(p, w) for p, w in back if any(is_within(p, h) for h in hidden | fresh)}
    # a path inside another one of the same kind is mounted with it
    back = {(p, w) for p, w in back if not covered(p, {q for q, v in back if v == w})}
    return sorted(hidden), sorted(fresh), sorted(back)


def isolate_filesystem(hidden, fresh, back, tmpfs_bytes, network=True):
    """Apply a plan from plan_mounts in a new mount (and, without network, net) namespace."""
    flags = CLONE_NEWNS if network else CLONE_NEWNS | CLONE_NEWNET
    _check(_libc().unshare(flags), "unshare")
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we do leaks back to the host
    # Open what we mount back before hiding its path.
    handles = [(os.open(path, os.O_PATH | os.O_DIRECTORY), path, writable) for path, writable in back]
    for path in hidden:
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    for path in fresh:
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={tmpfs_bytes}")
    for fd, path, writable in handles:
        path.mkdir(parents=True, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        if not writable:
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    try:  # a /proc of our own that lists only the user's processes
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible")
    except OSError as exc:
        print(f"sandbox: /proc shows every process ({exc})", file=sys.stderr)
    try:  # the rest of the root file system: read-only for the kernel
        mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    except OSError as exc:
        print(f"sandbox: / stays writable ({exc})", file=sys.stderr)


def default_hidden(extra):
    """The course repository (solutions, tests, history) and paths given with --hide."""
    from autograder.course import layout

    # only a checkout of the course repository (an installed package sits in site-packages)
    is_checkout = (layout.REPO / "nbgrader_config.py").is_file() and (layout.REPO / "source").is_dir()
    return [*([layout.REPO] if is_checkout else []), *extra]


def default_fresh():
    """World-writable temporary directories, replaced by private tmpfs."""
    return [tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"]


# ---------------------------------------------------------------- limits and user

def set_limits(memory, nproc, fsize):
    """Resource limits inherited by the kernel and everything it starts."""
    for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_NPROC, nproc),
                         (resource.RLIMIT_FSIZE, fsize), (resource.RLIMIT_CORE, 0)):
        if value or limit == resource.RLIMIT_CORE:
            _, hard = resource.getrlimit(limit)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (value, value))


def own_process_count():
    """Processes (threads included: RLIMIT_NPROC counts tasks) of the current real user."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == os.getuid():
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                pass
    return count


def no_new_privileges():
    """Set-user-id programs run by the student get no extra rights."""
    _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def drop_privileges(user):
    """Become ``user`` for good: no supplementary groups, real/effective/saved ids all changed."""
    os.setgroups([])
    os.setresgid(user.pw_gid, user.pw_gid, user.pw_gid)
    os.setresuid(user.pw_uid, user.pw_uid, user.pw_uid)
    if os.getuid() != user.pw_uid or os.geteuid() != user.pw_uid:
        raise RuntimeError("could not drop privileges")


def parse_args(argv):
    """The sandbox options grade_one writes (launcher, probe, zygote); unknown arguments go on to ipykernel."""
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox.launcher")
    parser.add_argument("-f", dest="connection_file", help="connection file written by jupyter_client")
    parser.add_argument("--user", default="", help="run the kernel as this user (needs root)")
    parser.add_argument("--scratch", required=True, help="directory for the kernel's private scratch")
    parser.add_argument("--memory", type=int, default=0, help="RLIMIT_AS in bytes (0: unchanged)")
    parser.add_argument("--nproc", type=int, default=0, help="RLIMIT_NPROC (0: unchanged)")
    parser.add_argument("--fsize", type=int, default=0, help="RLIMIT_FSIZE in bytes (0: unchanged)")
    parser.add_argument("--hide", action="append", default=[], help="path to replace by an empty directory")
    parser.add_argument("--no-network", action="store_true", help="own empty network namespace (root only)")
    parser.add_argument("--data-env", action="append", default=[],
                        help="variable naming a data folder: kept in the kernel's environment, the folder read-only")
    parser.add_argument("--zygote", default="", help="socket of an autograder.sandbox.zygote to fork the kernel from")
    return parser.parse_known_args(argv)


# ---------------------------------------------------------------- all steps

def confine(options):
    """Apply every step to this process; return (connection file copy or None, the kernel's environment)."""
    user = pwd.getpwnam(options.user) if options.user else None
    if user and os.geteuid() != 0:
        sys.exit("sandbox: --user needs root")
    private = make_private_dir(options.scratch, user)
    connection = copy_connection_file(options.connection_file, private, user) if options.connection_file else None
    env = kernel_environment(private, options.data_env)
    if user:
        sockets = socket_dir(options.connection_file) if options.connection_file else None
        needed, real_cwd, real_private = needed_paths(os.getcwd(), private, options.data_env)
        plan = plan_mounts(default_hidden(options.hide), default_fresh(), needed, real_cwd,
                           [real_private, *([sockets] if sockets else [])], user)
        isolate_filesystem(*plan, tmpfs_bytes=min(options.fsize or TMPFS_BYTES, TMPFS_BYTES),
                           network=sockets is None and not options.no_network)
        os.chdir(real_cwd)  # re-enter through the read-only mount
        nproc = options.nproc
    else:
        # limits only: RLIMIT_NPROC counts every process of this user, so leave room for them
        nproc = options.nproc and options.nproc + own_process_count()
    set_limits(options.memory, nproc, options.fsize)
    try:
        os.setsid()
    except PermissionError:
        pass  # jupyter_client already made us a session leader
    no_new_privileges()
    if user:
        drop_privileges(user)
    return connection, env

"""A seccomp deny-list for untrusted programs: compiled to BPF by libseccomp, loaded by bubblewrap (`--seccomp`).

libseccomp (Debian's `libseccomp2`, the library behind the seccomp profiles of systemd, Docker and Flatpak)
turns a list of rules into the BPF program; this module only names the rules and asks for the compiled bytes
through five of the library's C functions. Every system call is allowed except:

- the calls no scheduling program needs and that widen the kernel's attack surface or reach past the sandbox:
  tracing and reading other processes (`ptrace`, `process_vm_*`, `pidfd_getfd`), mounts, keyrings, eBPF,
  performance counters, `userfaultfd`, `io_uring`, kexec, reboot, kernel modules, swap, the clock, the kernel log,
  port I/O, handle-based opening (`open_by_handle_at`);
- new namespaces: `unshare`, `setns`, and `clone` with any CLONE_NEW* flag. `clone3` passes its flags in
  memory that a filter cannot read, so it answers ENOSYS and the C library falls back to `clone` (threads and
  fork keep working), as Flatpak does.

A denied call fails with EPERM (`clone3` with ENOSYS); calls of another architecture (32-bit entry points) kill
the process, libseccomp's default for a filter of the native architecture. Where libseccomp is missing the
sandbox runs without this layer, and `schedbench doctor` says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from functools import cache

DENIED: tuple[str, ...] = (
    # other processes
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "kcmp",
    # mounts and file systems
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "open_by_handle_at",
    "name_to_handle_at",
    "quotactl",
    "swapon",
    "swapoff",
    "acct",
    # kernel interfaces with a record of exploits
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    # the machine itself
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "init_module",
    "finit_module",
    "delete_module",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "syslog",
    "iopl",
    "ioperm",
    "vhangup",
    # namespaces
    "unshare",
    "setns",
)
"""System calls an untrusted program gets EPERM for."""

NAMESPACE_FLAGS: dict[str, int] = {
    "CLONE_NEWTIME": 0x00000080,
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
"""`clone` with any of these flags gets EPERM."""

_ALLOW = 0x7FFF0000  # SCMP_ACT_ALLOW
_MASKED_EQ = 7  # SCMP_CMP_MASKED_EQ: (argument & datum_a) == datum_b


def _errno_action(code: int) -> int:
    return 0x00050000 | (code & 0x0000FFFF)  # SCMP_ACT_ERRNO(code)


class _ArgumentTest(ctypes.Structure):
    """libseccomp's `struct scmp_arg_cmp`."""

    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


@cache
def _library() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.restype = ctypes.c_int
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgumentTest),
    ]
    lib.seccomp_export_bpf.restype = ctypes.c_int
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_release.restype = None
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def syscall_number(name: str) -> int | None:
    """The native number of a system call (None when libseccomp is missing or this architecture lacks it)."""
    lib = _library()
    if lib is None:
        return None
    number = lib.seccomp_syscall_resolve_name(name.encode())
    return None if number < 0 else number


@cache
def filter_program() -> bytes | None:
    """The compiled BPF program of the deny-list (None when libseccomp is not installed)."""
    lib = _library()
    if lib is None:
        return None
    context = lib.seccomp_init(_ALLOW)
    if not context:
        raise RuntimeError("libseccomp could not start a filter")
    try:
        for name in DENIED:
            _add(lib, context, name, errno.EPERM)
        _add(lib, context, "clone3", errno.ENOSYS)
        for flag in NAMESPACE_FLAGS.values():
            _add(lib, context, "clone", errno.EPERM, _ArgumentTest(0, _MASKED_EQ, flag, flag))
        return _export(lib, context)
    finally:
        lib.seccomp_release(context)


def _add(lib: ctypes.CDLL, context: int, name: str, code: int, test: _ArgumentTest | None = None) -> None:
    number = lib.seccomp_syscall_resolve_name(name.encode())
    if number < 0:  # not a system call on this architecture
        return
    tests = (_ArgumentTest * 1)(test) if test is not None else None
    result = lib.seccomp_rule_add_array(context, _errno_action(code), number, 1 if tests else 0, tests)
    if result < 0:
        raise RuntimeError(f"libseccomp refused the rule for {name}: {os.strerror(-result)}")


def _export(lib: ctypes.CDLL, context: int) -> bytes:
    descriptor = os.memfd_create("schedbench-seccomp-export", os.MFD_CLOEXEC)
    try:
        result = lib.seccomp_export_bpf(context, descriptor)
        if result < 0:
            raise RuntimeError(f"libseccomp could not export the filter: {os.strerror(-result)}")
        size = os.lseek(descriptor, 0, os.SEEK_END)
        return os.pread(descriptor, size, 0)
    finally:
        os.close(descriptor)


def filter_descriptor() -> int | None:
    """A new file descriptor (inheritable, at offset 0) holding the filter, for bubblewrap's `--seccomp FD`; the
    caller closes it once bubblewrap has started. None when libseccomp is not installed."""
    program = filter_program()
    if program is None:
        return None
    descriptor = os.memfd_create("schedbench-seccomp", 0)
    os.write(descriptor, program)
    os.lseek(descriptor, 0, os.SEEK_SET)
    return descriptor


def note() -> str:
    """One line for `doctor`: whether the filter is available and what it denies."""
    if filter_program() is None:
        return "libseccomp not found (Debian: apt-get install libseccomp2)"
    return f"deny-list of {len(DENIED)} calls and new namespaces (libseccomp)"

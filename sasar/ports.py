"""Ports for ``sasar up``: which component gets which port, whether a port is free, and who holds it.

The holder is found through ``/proc`` (Linux): the listening socket's inode in ``/proc/net/tcp{,6}``,
then the process with a descriptor on that socket. Elsewhere, or for another user's process, the
refusal still names the port and component, only without the pid.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from pathlib import Path

# The order `sasar up` counts from its base port: gateway N, registry N+1, … webhooks N+4.
COMPONENT_ORDER = ("gateway", "registry", "funding", "outreach", "webhooks")
DEFAULT_BASE_PORT = 8000
_LISTEN = "0A"  # TCP state code of a listening socket in /proc/net/tcp


class PortPlanError(ValueError):
    """The requested ports cannot all be used (out of range or the same port twice)."""


def port_plan(base_port: int, overrides: dict[str, int | None] | None = None) -> dict[str, int]:
    """Each component's port: ``base_port`` + its place in :data:`COMPONENT_ORDER`, unless overridden."""
    chosen = {name: base_port + offset for offset, name in enumerate(COMPONENT_ORDER)}
    for name, port in (overrides or {}).items():
        if port is not None:
            chosen[name] = port
    for name, port in chosen.items():
        if not 1 <= port <= 65535:
            raise PortPlanError(f"{name} port {port} is outside 1-65535")
    by_port: dict[int, list[str]] = {}
    for name, port in chosen.items():
        by_port.setdefault(port, []).append(name)
    clashes = [f"{port} ({' and '.join(names)})" for port, names in by_port.items() if len(names) > 1]
    if clashes:
        raise PortPlanError("the same port for two components: " + ", ".join(clashes))
    return chosen


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could bind ``host:port`` now (bound the way uvicorn binds, with SO_REUSEADDR)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise  # EACCES (a privileged port) and the rest are not "someone else has it"
    return True


@dataclass(frozen=True)
class PortHolder:
    pid: int
    command: str
    parent_pid: int | None = None
    parent_command: str = ""

    @property
    def started_by_sasar_up(self) -> bool:
        words = self.parent_command.split()
        return any(word.endswith("sasar") or word == "sasar.cli" for word in words) and "up" in words


def _listening_inodes(port: int, proc: Path) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def port_holders(port: int, proc: Path = Path("/proc")) -> list[PortHolder]:
    """The processes listening on ``port`` that this user may see (empty when unknown)."""
    inodes = _listening_inodes(port, proc)
    if not inodes:
        return []
    wanted = {f"socket:[{inode}]" for inode in inodes}
    holders: list[PortHolder] = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            descriptors = list((entry / "fd").iterdir())
        except OSError:  # another user's process, or it has just exited
            continue
        for descriptor in descriptors:
            try:
                target = str(descriptor.readlink())
            except OSError:
                continue
            if target in wanted:
                parent = _parent_pid(entry)
                holders.append(
                    PortHolder(
                        pid=int(entry.name),
                        command=_command_line(entry),
                        parent_pid=parent,
                        parent_command=_command_line(proc / str(parent)) if parent else "",
                    )
                )
                break
    return holders


def _parent_pid(process: Path) -> int | None:
    try:
        # /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after its ")".
        fields = (process / "stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1])
    except (OSError, IndexError, ValueError):
        return None


def _command_line(process: Path) -> str:
    try:
        raw = (process / "cmdline").read_bytes()
    except OSError:
        return "?"
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part) or "?"


def busy_port_report(host: str, ports: dict[str, int], proc: Path = Path("/proc")) -> list[str]:
    """One paragraph per component whose port is taken: the port, the component, who holds it and how
    to stop it. Empty when every port is free."""
    lines: list[str] = []
    for name, port in ports.items():
        try:
            if port_is_free(host, port):
                continue
        except PermissionError:
            lines.append(f"port {port} ({name}) may not be bound by this user (below 1024 needs privileges)")
            continue
        except OSError as exc:
            lines.append(f"port {port} ({name}) cannot be bound on {host}: {exc.strerror or exc}")
            continue
        holders = port_holders(port, proc)
        if holders:
            who = "; ".join(f"pid {h.pid}: {h.command}" for h in holders)
            ups = sorted({h.parent_pid for h in holders if h.started_by_sasar_up and h.parent_pid})
            if ups:
                # Killing the child alone would make that `sasar up` stop the rest anyway; say so plainly.
                pids = " ".join(str(pid) for pid in ups)
                who += f", started by another `sasar up` (pid {pids})"
                stop = f"stop that `sasar up` with Ctrl-C in its terminal or `kill {pids}`"
            else:
                stop = "stop it with `kill " + " ".join(str(h.pid) for h in holders) + "`"
        else:
            who = "a process this user cannot see (another user's, or outside this machine's /proc)"
            stop = f"find it with `ss -ltnp 'sport = :{port}'` or `lsof -i :{port}` and stop it"
        lines.append(f"port {port} ({name}) is in use by {who}; {stop}")
    return lines

"""Where this machine can be reached on the office LAN, and whether a port is free.

A phone on the same Wi-Fi opens the server by one of the machine's LAN addresses (or by its
``.local`` name where mDNS works, as it does on iPhones); labels printed by a demo bound to all
addresses must carry such an address, not 127.0.0.1. ``psutil`` lists the interfaces the same way
on Windows, macOS and Linux; ``socket.gethostbyname(gethostname())`` does not (Debian answers
127.0.1.1).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys

from tracker.errors import DomainError

ALL_ADDRESSES = ("0.0.0.0", "::", "")


class CannotListen(DomainError):
    """The server cannot listen where it was asked to: the port is taken, needs administrator
    rights, or the address is not this machine's. One bilingual line, never a traceback."""

    code = "cannot_listen"

    @classmethod
    def from_error(cls, host: str, port: int, error: OSError) -> "CannotListen":
        where = f"{host or '0.0.0.0'}:{port}"
        if error.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", None)):
            return cls(f"ポート {port} は使用中です（{where}）。--port で別の番号を指定するか、使っているプログラムを終了してください",
                       f"port {port} is already in use ({where}); choose another with --port or stop the program using it")
        if error.errno in (errno.EACCES, getattr(errno, "WSAEACCES", None)):
            return cls(f"ポート {port} で待ち受ける権限がありません（{where}）。1024 以上の番号を --port で指定してください",
                       f"no permission to listen on port {port} ({where}); choose a port of 1024 or more with --port")
        if error.errno in (errno.EADDRNOTAVAIL, getattr(errno, "WSAEADDRNOTAVAIL", None)):
            return cls(f"{host} はこのコンピューターのアドレスではありません。--host を確認してください",
                       f"{host} is not an address of this machine; check --host")
        return cls(f"{where} で待ち受けできません（{error.strerror or error}）",
                   f"cannot listen on {where} ({error.strerror or error})")

    def one_line(self) -> str:
        return f"エラー: {self.message_ja} / error: {self.message_en}"


def lan_addresses() -> list[str]:
    """The machine's IPv4 addresses a phone on the same network could use: interfaces that are up,
    without loopback and link-local (169.254.x.x: no DHCP answer), in interface order."""
    import psutil

    stats = psutil.net_if_stats()
    found = []
    for interface, addresses in psutil.net_if_addrs().items():
        if interface in stats and not stats[interface].isup:
            continue
        for address in addresses:
            if address.family != socket.AF_INET:
                continue
            ip = ipaddress.ip_address(address.address)
            if ip.is_loopback or ip.is_link_local or ip.is_unspecified:
                continue
            if address.address not in found:
                found.append(address.address)
    return found


def host_name() -> str:
    """The machine's own name, lower case, without a domain (``DESKTOP-AB12`` -> ``desktop-ab12``)."""
    return socket.gethostname().split(".")[0].lower()


def mdns_name() -> str:
    """The ``.local`` name iPhones, Macs, Windows 10+ and most Linux desktops resolve by mDNS."""
    return f"{host_name()}.local"


def binds_everywhere(host: str) -> bool:
    return host in ALL_ADDRESSES


def reachable_hosts(host: str) -> list[str]:
    """Every name or address a browser could open for a server bound to ``host``: the LAN
    addresses first (what a phone should use), then the names, then this machine itself."""
    if not binds_everywhere(host):
        return [host]
    return [*lan_addresses(), mdns_name(), host_name(), "127.0.0.1"]


def certificate_names(host: str) -> list[str]:
    """What a local server certificate should name: every way a browser can reach this machine,
    whatever ``--host`` is now, so that restarting on another address needs no new certificate."""
    names = [mdns_name(), host_name(), "localhost", *lan_addresses(), "127.0.0.1", "::1"]
    if not binds_everywhere(host) and host not in names:
        names.append(host)
    return names


def preferred_host(host: str) -> str:
    """The one address to print into labels and show as a QR code: the first LAN address when
    bound to all addresses (a phone cannot open 0.0.0.0), else the host as given."""
    if binds_everywhere(host):
        addresses = lan_addresses()
        return addresses[0] if addresses else host_name()
    return host


def url(scheme: str, host: str, port: int) -> str:
    default = {"http": 80, "https": 443}[scheme]
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" if port == default else f"{scheme}://{shown}:{port}"


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`CannotListen` when nothing could listen on ``host:port`` now.

    Bound and closed again at once, before anything is written: a demo must not record a URL in
    config.json (and print it into labels) that its server then fails to serve. The same socket
    options as the servers use: SO_REUSEADDR on POSIX (a port left in TIME_WAIT by the previous
    run is free), never on Windows, where it would let two servers share a port.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        probe.listen(1)
    except OSError as error:
        raise CannotListen.from_error(host, port, error) from error
    finally:
        probe.close()

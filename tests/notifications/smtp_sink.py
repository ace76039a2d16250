"""A minimal SMTP server on localhost that keeps what it receives (enough for aiosmtplib, nothing more)."""

from __future__ import annotations

import asyncio
import dataclasses
import email
from email.message import EmailMessage
from email.policy import default


@dataclasses.dataclass
class Received:
    mail_from: str
    recipients: list[str]
    message: EmailMessage


class SmtpSink:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"smtp://{host}:{port}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mail_from, recipients = "", []
        writer.write(b"220 sink ESMTP\r\n")
        while line := await reader.readline():
            verb, _, argument = line.decode().rstrip("\r\n").partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                writer.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == "MAIL":
                mail_from, recipients = _address(argument), []
                writer.write(b"250 OK\r\n")
            elif verb == "RCPT":
                recipients.append(_address(argument))
                writer.write(b"250 OK\r\n")
            elif verb == "DATA":
                writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                await writer.drain()
                data = await _read_data(reader)
                message = email.message_from_bytes(data, policy=default)
                self.received.append(Received(mail_from, recipients, message))  # type: ignore[arg-type]
                writer.write(b"250 OK queued\r\n")
            elif verb == "QUIT":
                writer.write(b"221 Bye\r\n")
                await writer.drain()
                break
            elif verb in ("RSET", "NOOP", "HELO"):
                writer.write(b"250 OK\r\n")
            else:
                writer.write(b"502 Command not implemented\r\n")
            await writer.drain()
        writer.close()


def _address(argument: str) -> str:
    return argument.partition(":")[2].split()[0].strip("<>")


async def _read_data(reader: asyncio.StreamReader) -> bytes:
    lines = []
    while (line := await reader.readline()) not in (b".\r\n", b""):
        # Dot-stuffing: a leading dot was doubled by the client.
        lines.append(line[1:] if line.startswith(b"..") else line)
    return b"".join(lines)

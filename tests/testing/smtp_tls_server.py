#!/usr/bin/env python3
"""An SMTP server over TLS on 127.0.0.1 for the notification tests (standard library only).

  smtp_tls_server.py --mode implicit|starttls --cert PEM --key PEM --port-file F --out F

implicit: TLS from the first byte (smtps://, port 465 style). starttls: plain greeting, EHLO
offers STARTTLS, and AUTH/MAIL are refused until the connection is upgraded (a relay that
insists on TLS, port 587 style). The chosen port is written to --port-file once listening.
Each accepted message is appended to --out as one JSON line (tls, auth_user, auth_password,
mail_from, rcpt_to, data) before the 250 reply, so a client that saw success finds it there.
Serves one connection at a time until killed.
"""
import argparse
import base64
import json
import os
import socket
import ssl
import sys


class Session:
    def __init__(self, sock, context, mode, out):
        self.sock, self.context, self.mode, self.out = sock, context, mode, out
        self.buffer = b""
        self.tls = False
        self.message = {}

    def reply(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def upgrade(self):
        self.sock = self.context.wrap_socket(self.sock, server_side=True)
        self.tls = True
        self.buffer = b""

    def auth(self, args):
        if not self.tls:
            return self.reply("538 5.7.11 Encryption required for requested authentication mechanism")
        mechanism, _, initial = args.partition(" ")
        mechanism = mechanism.upper()
        if mechanism == "PLAIN":
            if not initial:
                self.reply("334 ")
                initial = self.line()
            parts = base64.b64decode(initial).decode().split("\0")
            self.message["auth_user"], self.message["auth_password"] = parts[1], parts[2]
        elif mechanism == "LOGIN":
            self.reply("334 VXNlcm5hbWU6")
            self.message["auth_user"] = base64.b64decode(self.line()).decode()
            self.reply("334 UGFzc3dvcmQ6")
            self.message["auth_password"] = base64.b64decode(self.line()).decode()
        else:
            return self.reply("504 5.5.4 Unrecognized authentication type")
        self.reply("235 2.7.0 Authentication successful")

    def data(self):
        self.reply("354 End data with <CR><LF>.<CR><LF>")
        lines = []
        while True:
            line = self.line()
            if line == ".":
                break
            lines.append(line[1:] if line.startswith(".") else line)
        record = dict(self.message, tls=self.tls, data="\r\n".join(lines) + "\r\n")
        with open(self.out, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        self.message = {k: v for k, v in self.message.items() if k.startswith("auth_")}
        self.reply("250 2.0.0 Ok: queued")

    def run(self):
        if self.mode == "implicit":
            self.upgrade()
        self.reply("220 127.0.0.1 ESMTP pgark-tls-test")
        while True:
            command, _, args = self.line().partition(" ")
            verb = command.upper()
            if verb in ("EHLO", "HELO"):
                offers = ["127.0.0.1"]
                if self.mode == "starttls" and not self.tls:
                    offers.append("STARTTLS")
                if self.tls:
                    offers.append("AUTH PLAIN LOGIN")
                offers.append("8BITMIME")
                for offer in offers[:-1]:
                    self.reply("250-" + offer)
                self.reply("250 " + offers[-1])
            elif verb == "STARTTLS":
                if self.tls or self.mode != "starttls":
                    self.reply("454 4.7.0 TLS not available")
                else:
                    self.reply("220 2.0.0 Ready to start TLS")
                    self.upgrade()
            elif verb == "AUTH":
                self.auth(args)
            elif not self.tls and verb in ("MAIL", "RCPT", "DATA"):
                self.reply("530 5.7.0 Must issue a STARTTLS command first")
            elif verb == "MAIL":
                self.message["mail_from"] = args.split(":", 1)[1].strip().strip("<>")
                self.message["rcpt_to"] = []
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                self.message.setdefault("rcpt_to", []).append(args.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                self.data()
            elif verb in ("RSET", "NOOP"):
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Command not recognized")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["implicit", "starttls"], required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    # Written under a temporary name and renamed: the test polls for the file.
    with open(args.port_file + ".tmp", "w", encoding="utf-8") as port_file:
        port_file.write(str(listener.getsockname()[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        sock, _ = listener.accept()
        sock.settimeout(10)
        try:
            Session(sock, context, args.mode, args.out).run()
        except (EOFError, OSError, ssl.SSLError, ValueError, IndexError) as error:
            # A client that gives up (a failed certificate check) ends its session here.
            print("session ended: %r" % (error,), file=sys.stderr, flush=True)
        finally:
            sock.close()


if __name__ == "__main__":
    main()

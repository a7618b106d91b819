#!/usr/bin/python3
"""A local webhook receiver for dcp alarms (tests and scripts/demo).

Usage: webhook_receiver.py PORT_FILE OUT_FILE
Listens on 127.0.0.1 on a free port, writes the port to PORT_FILE, and appends each POSTed
body (one JSON document per line) to OUT_FILE, answering 200.
"""
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace").strip()
        with open(self.server.out_file, "a", encoding="utf-8") as f:
            f.write(body + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    port_file, out_file = sys.argv[1], sys.argv[2]
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.out_file = out_file
    open(out_file, "a").close()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()

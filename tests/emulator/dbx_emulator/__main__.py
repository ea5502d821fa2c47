"""Command line: start the listeners, write the ready file, wait for SIGTERM/SIGINT/stdin EOF."""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading

from . import apis, server, tls
from .state import State

OTHER_HOST = "127.0.0.2"


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="dbx-emulator",
        description="Local stateful Databricks workspace emulator (see docs/emulator.md).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="HTTP port (0 = pick a free one)")
    p.add_argument("--tls", action="store_true", help="also listen with HTTPS on --tls-port")
    p.add_argument("--tls-port", type=int, default=0, help="HTTPS port (0 = pick a free one)")
    p.add_argument("--state-dir", help="where ca.pem, server.pem, server.key go "
                                       "(default: a temp dir removed on exit)")
    p.add_argument("--token", action="append", metavar="T",
                   help="accepted personal access token (repeatable; default dapi-emulator-token)")
    p.add_argument("--client-id", default="emu-client", metavar="ID",
                   help="accepted OAuth M2M / Azure SP client id (default emu-client)")
    p.add_argument("--client-secret", default="emu-secret", metavar="S",
                   help="accepted client secret (default emu-secret)")
    p.add_argument("--tenant", default="emu-tenant", metavar="ID",
                   help="Azure tenant id that /aad/auth redirects to (default emu-tenant)")
    p.add_argument("--ready-file", metavar="PATH",
                   help="write one JSON line with ports, ca_file and pid here when listening")
    p.add_argument("--quiet", action="store_true", help="no access log on stderr")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="exit when standard input reaches EOF")
    return p.parse_args(argv)


def _write_ready(path, info):
    path = os.path.abspath(path)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(json.dumps(info) + "\n")
    os.replace(tmp, path)


def _serve(srv):
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                         name="serve-%s" % srv.kind, daemon=True)
    t.start()
    return t


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    temp_dir = None
    if args.state_dir:
        state_dir = os.path.abspath(args.state_dir)
        os.makedirs(state_dir, exist_ok=True)
    else:
        temp_dir = state_dir = tempfile.mkdtemp(prefix="dbx-emulator-")

    servers = []
    started = []
    try:
        state = State(tokens=args.token or ["dapi-emulator-token"], client_id=args.client_id,
                      client_secret=args.client_secret, tenant=args.tenant,
                      reset_hooks=apis.load_all())
        main_srv = server.Server((args.host, args.port), state, "main", quiet=args.quiet)
        servers.append(main_srv)
        ca_file = None
        tls_srv = None
        if args.tls:
            ca_file, cert_file, key_file = tls.make_certs(state_dir)
            ctx = server.make_tls_context(cert_file, key_file)
            tls_srv = server.Server((args.host, args.tls_port), state, "tls", tls_context=ctx,
                                    quiet=args.quiet)
            servers.append(tls_srv)
        try:
            other_srv = server.Server((OTHER_HOST, 0), state, "other", quiet=args.quiet)
        except OSError:
            # 127.0.0.2 is not routable here (e.g. macOS): fall back to --host, another port
            other_srv = server.Server((args.host, 0), state, "other", quiet=args.quiet)
        servers.append(other_srv)
        ohost, oport = other_srv.server_address[:2]
        state.other_base = "http://%s:%d" % (ohost, oport)
        for s in servers:
            _serve(s)
            started.append(s)
        info = {
            "http_port": main_srv.server_address[1],
            "tls_port": tls_srv.server_address[1] if tls_srv else None,
            "other_port": oport,
            "ca_file": ca_file,
            "pid": os.getpid(),
        }
        if not args.quiet:
            sys.stderr.write("dbx-emulator: listening %s\n" % json.dumps(info))
            sys.stderr.flush()
        if args.exit_on_stdin_eof:
            def watch_stdin():
                try:  # raw fd reads: no buffered-reader lock at interpreter exit
                    while os.read(0, 65536):
                        pass
                except (OSError, ValueError):
                    pass
                stop.set()
            threading.Thread(target=watch_stdin, name="stdin-eof", daemon=True).start()
        if args.ready_file:
            _write_ready(args.ready_file, info)
        while not stop.wait(0.5):
            pass
        return 0
    except (OSError, tls.CertError) as e:
        sys.stderr.write("dbx-emulator: %s\n" % e)
        return 2
    finally:
        for s in started:
            s.shutdown()  # returns once its serve_forever loop has ended
        for s in servers:
            try:
                s.server_close()
            except Exception:
                pass
        if temp_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

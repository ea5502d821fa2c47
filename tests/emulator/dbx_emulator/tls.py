"""Throwaway CA + server certificate made with the `openssl` command-line tool.

Writes ca.pem, server.pem and server.key into the state dir. The server certificate has
SAN IP:127.0.0.1, DNS:localhost, IP:127.0.0.2 and is signed by the CA. EC P-256 keys (fast
to generate). Extensions satisfy strict X.509 verification (Python 3.13 VERIFY_X509_STRICT).
"""

import os
import random
import shutil
import subprocess

_CA_CNF = """\
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = dbx-emulator throwaway CA
O = libdbx tests
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""

_SERVER_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
O = libdbx tests
"""

_SERVER_EXT = """\
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost,IP:127.0.0.2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
"""


class CertError(RuntimeError):
    pass


def _run(args, cwd):
    try:
        p = subprocess.run(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    except FileNotFoundError:
        raise CertError("the `openssl` command was not found on PATH (needed for --tls)")
    if p.returncode != 0:
        raise CertError("openssl %s failed: %s" % (args[1], p.stderr.decode(errors="replace")))


def make_certs(state_dir, days=30):
    """Returns (ca_file, cert_file, key_file) as absolute paths."""
    openssl = shutil.which("openssl") or "openssl"
    d = os.path.abspath(state_dir)
    os.makedirs(d, exist_ok=True)
    files = {"ca.cnf": _CA_CNF, "server.cnf": _SERVER_CNF, "server.ext": _SERVER_EXT}
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    try:
        _run([openssl, "req", "-x509", "-config", "ca.cnf", *ec, "-keyout", "ca.key",
              "-out", "ca.pem", "-days", str(days), "-sha256"], d)
        _run([openssl, "req", "-new", "-config", "server.cnf", *ec, "-keyout", "server.key",
              "-out", "server.csr", "-sha256"], d)
        _run([openssl, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
              "-set_serial", str(random.getrandbits(63)), "-days", str(days), "-sha256",
              "-extfile", "server.ext", "-out", "server.pem"], d)
    finally:
        for name in list(files) + ["server.csr", "ca.key"]:
            try:
                os.remove(os.path.join(d, name))
            except OSError:
                pass
    return (os.path.join(d, "ca.pem"), os.path.join(d, "server.pem"),
            os.path.join(d, "server.key"))

"""Auth endpoints: host metadata, Databricks OIDC (OAuth M2M), Azure tenant discovery,
Entra v1/v2 tokens."""

import base64
import binascii
import secrets
from urllib.parse import quote, unquote_plus

from . import route
from ..state import register_config

AZURE_DATABRICKS_RESOURCE = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"

# Host metadata values (GET /.well-known/databricks-config); null = field left out, the way
# older control planes omit workspace_id.
_STR_OR_NULL = (str, type(None))
register_config("workspace_id", "1234567890123456", _STR_OR_NULL)
register_config("account_id", "11111111-2222-4333-8444-555555555555", _STR_OR_NULL)
register_config("cloud", "aws", _STR_OR_NULL)
register_config("host_type", "WORKSPACE_HOST", _STR_OR_NULL)


# Extra grants of POST /oidc/v1/token (apis/serving.py: the per-endpoint data-plane token
# exchange). Each fn(req, form) returns (status, headers, body), or None when the request is not
# its business; they are tried before the client-credentials grant.
TOKEN_GRANTS = []


def _oauth_error(status, error, description):
    return status, {"Cache-Control": "no-store"}, {"error": error, "error_description": description}


def _basic_credentials(req):
    auth = req.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None, None
    try:
        raw = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None, None
    cid, sep, secret = raw.partition(":")
    if not sep:
        return None, None
    # RFC 6749 2.3.1: id and secret are form-urlencoded before base64
    return unquote_plus(cid), unquote_plus(secret)


def _client_credentials(req, form):
    cid, secret = _basic_credentials(req)
    if cid is None:
        cid, secret = form.get("client_id"), form.get("client_secret")
    return cid, secret


def _new_token():
    return "emu-at-" + secrets.token_urlsafe(24)


@route("GET", "/.well-known/databricks-config")
def host_metadata(req):
    """Host metadata (reference: protocols.md section 5; Go SDK config/host_metadata.go).

    Unclear in the sources, handled here as configurable values:
    - host_type: the reference lists WORKSPACE_HOST / ACCOUNT_HOST / UNIFIED_HOST, and the
      Terraform provider's fixtures send "WORKSPACE_HOST", but the Go SDK's own tests send
      "workspace" / "account" / "unified" (case-insensitive) and map unknown strings to "unknown
      host type" (then the SDK falls back to the URL, which for a workspace gives the same
      answer). Default "WORKSPACE_HOST"; set the `host_type` config key to "workspace" to
      mimic the SDK fixtures.
    - cloud: the Go SDK fixtures send "AWS"/"Azure"/"GCP" and parse it case-insensitively;
      the default here is "aws" (config key `cloud`).
    - token_federation_default_oidc_audiences: for a workspace host the reference gives
      ["https://<host>/oidc/v1/token"]; sent with <base> in place of the host.
    """
    base = req.base_url
    with req.state.lock:
        cfg = req.state.config
        out = {"oidc_endpoint": base + "/oidc"}
        for key in ("account_id", "workspace_id", "cloud", "host_type"):
            if cfg[key] is not None:
                out[key] = cfg[key]
    out["token_federation_default_oidc_audiences"] = [base + "/oidc/v1/token"]
    return 200, None, out


@route("GET", "/oidc/.well-known/oauth-authorization-server")
def oidc_discovery(req):
    base = req.base_url
    return 200, None, {
        "issuer": base + "/oidc",
        "authorization_endpoint": base + "/oidc/v1/authorize",
        "token_endpoint": base + "/oidc/v1/token",
    }


@route("POST", "/oidc/v1/token")
def oidc_token(req):
    state = req.state
    form = req.form()
    for grant_fn in TOKEN_GRANTS:
        answer = grant_fn(req, form)
        if answer is not None:
            return answer
    cid, secret = _client_credentials(req, form)
    if cid is None:
        return _oauth_error(401, "invalid_client", "Client authentication failed: no client credentials")
    if cid != state.client_id or secret != state.client_secret:
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    grant = form.get("grant_type")
    if grant != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type",
                            "Unsupported grant_type: %r (expected client_credentials)" % grant)
    scopes = (form.get("scope") or "").split()
    if "all-apis" not in scopes:
        return _oauth_error(400, "invalid_scope", "scope must contain all-apis")
    with state.lock:
        ttl = state.config["oauth_token_ttl_s"]
        token = _new_token()
        state.issue_token(token, ttl, cid)
    return 200, {"Cache-Control": "no-store"}, {
        "access_token": token, "token_type": "Bearer", "expires_in": int(ttl), "scope": "all-apis",
    }


@route("GET", "/aad/auth")
def aad_auth(req):
    loc = "%s/%s/oauth2/authorize?client_id=%s&response_type=code" % (
        req.base_url, quote(req.state.tenant, safe=""), AZURE_DATABRICKS_RESOURCE)
    return 302, {"Location": loc}, None


def _entra_token(req, v2):
    state = req.state
    tenant = req.params["tenant"]
    if tenant != state.tenant:
        return _oauth_error(400, "invalid_request",
                            "AADSTS90002: Tenant '%s' not found. Check to make sure you have the "
                            "correct tenant ID and are signing into the correct cloud." % tenant)
    form = req.form()
    grant = form.get("grant_type")
    if grant != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type",
                            "AADSTS70003: The app requested an unsupported grant type '%s'." % grant)
    cid, secret = _client_credentials(req, form)
    if cid != state.client_id or secret != state.client_secret:
        return _oauth_error(401, "invalid_client",
                            "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                            "sent in the request is the client secret value.")
    if v2:
        ok = form.get("scope") == AZURE_DATABRICKS_RESOURCE + "/.default"
        what = form.get("scope")
    else:
        ok = form.get("resource") == AZURE_DATABRICKS_RESOURCE
        what = form.get("resource")
    if not ok:
        return _oauth_error(400, "invalid_resource",
                            "AADSTS500011: The resource principal named %s was not found in the "
                            "tenant named %s." % (what, tenant))
    with state.lock:
        ttl = int(state.config["oauth_token_ttl_s"])
        token = _new_token()
        expiry_ms = state.issue_token(token, ttl, cid)
    if v2:  # Entra v2 answers numbers
        return 200, {"Cache-Control": "no-store"}, {
            "token_type": "Bearer", "expires_in": ttl, "ext_expires_in": ttl,
            "access_token": token,
        }
    return 200, {"Cache-Control": "no-store"}, {
        "token_type": "Bearer", "expires_in": str(ttl), "ext_expires_in": str(ttl),
        "expires_on": str(expiry_ms // 1000), "resource": AZURE_DATABRICKS_RESOURCE,
        "access_token": token,
    }


@route("POST", "/{tenant}/oauth2/token")
def entra_v1_token(req):
    return _entra_token(req, v2=False)


@route("POST", "/{tenant}/oauth2/v2.0/token")
def entra_v2_token(req):
    return _entra_token(req, v2=True)

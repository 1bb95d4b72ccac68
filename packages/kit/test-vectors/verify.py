#!/usr/bin/env python3
"""Checks the kit's test vectors with PyJWT (Debian: python3-jwt, python3-cryptography), a second implementation of
the token contract: every context token must yield the claims or the refusal reason vectors.json gives, every
decisions token be taken (with its decisions) or ignored. Prints one line per vector; exits 1 on any mismatch.

    python3 packages/kit/test-vectors/verify.py
"""
import json
import os
import sys

import jwt

HERE = os.path.dirname(os.path.abspath(__file__))
CONTEXT_ISSUER = "portico-gateway"
DECISIONS_ISSUER = "portico-gateway/decisions"
ALGORITHM = "ES256"


class Refused(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def load_keys():
    with open(os.path.join(HERE, "jwks.json")) as f:
        return {key.key_id: key for key in jwt.PyJWKSet.from_dict(json.load(f)).keys}


def decode(token, keys, audience, issuer):
    """The verified payload of a token: ES256, signed by a key of the JWKS (by kid), this issuer, exactly this audience."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Refused("malformed")
    if header.get("alg") != ALGORITHM:
        raise Refused("algorithm")
    key = keys.get(header.get("kid"))
    if key is None:
        raise Refused("key")
    try:
        payload = jwt.decode(token, key.key, algorithms=[ALGORITHM], issuer=issuer, options={"require": ["exp", "sub", "aud"], "verify_aud": False})
    except jwt.ExpiredSignatureError:
        raise Refused("expired")
    except jwt.InvalidSignatureError:
        raise Refused("key")
    except jwt.InvalidIssuerError:
        raise Refused("issuer")
    except jwt.InvalidTokenError:
        raise Refused("malformed")
    # Exactly one audience, a string: a token naming several subgraphs would replay to each of them.
    if payload.get("aud") != audience:
        raise Refused("audience")
    return payload


def is_strings(value, nonempty=False):
    return isinstance(value, list) and all(isinstance(v, str) and (v or not nonempty) for v in value)


def claims_of(payload):
    """The context claims, as the kit reads them (token.ts, toClaims)."""
    sub, acct = payload.get("sub"), payload.get("acct")
    if not isinstance(sub, str) or not sub or not isinstance(acct, str) or not acct:
        raise Refused("claims")
    claims = {"sub": sub, "acct": acct}
    for name in ("email", "acct_name", "acct_type", "sid", "scope"):
        if isinstance(payload.get(name), str):
            claims[name] = payload[name]
    if "roles" in payload:
        if not is_strings(payload["roles"]):
            raise Refused("claims")
        claims["roles"] = payload["roles"]
    if "groups" in payload:
        if not is_strings(payload["groups"], nonempty=True):
            raise Refused("claims")
        claims["groups"] = payload["groups"]
    act = payload.get("act")
    if act is not None:
        if not isinstance(act, dict) or not isinstance(act.get("sub"), str):
            raise Refused("claims")
        claims["act"] = {"sub": act["sub"], "acct": act["acct"]} if isinstance(act.get("acct"), str) else {"sub": act["sub"]}
    return claims


def decisions_of(payload, claims, request_id):
    """The handed decisions, or None when the token is not for this caller and request."""
    act = payload.get("act")
    same_caller = (
        payload.get("sub") == claims["sub"]
        and payload.get("acct") == claims["acct"]
        and payload.get("sid") == claims.get("sid")
        and (act is None if "act" not in claims else isinstance(act, dict) and act.get("sub") == claims["act"]["sub"] and act.get("acct") == claims["act"].get("acct"))
    )
    entries = payload.get("dec")
    if payload.get("rid") != request_id or not same_caller or not isinstance(entries, list):
        return None
    decisions = []
    for entry in entries:
        if not isinstance(entry, list) or len(entry) not in (5, 6):
            return None
        asked, account_id, allowed, scope, reason = entry[:5]
        permission = entry[5] if len(entry) == 6 else asked
        if not (isinstance(asked, str) and isinstance(account_id, str) and isinstance(allowed, bool) and (scope is None or isinstance(scope, str)) and isinstance(reason, str) and isinstance(permission, str)):
            return None
        decisions.append({"asked": asked, "permission": permission, "accountId": account_id, "allowed": allowed, "scope": scope, "reason": reason})
    return decisions


def main():
    with open(os.path.join(HERE, "vectors.json")) as f:
        vectors = json.load(f)
    keys = load_keys()
    audience = vectors["audience"]
    failures = 0

    def report(name, ok, got):
        nonlocal failures
        failures += 0 if ok else 1
        print(("ok      " if ok else "MISMATCH") + f" {name}" + ("" if ok else f": got {got}"))

    for vector in vectors["context"]:
        try:
            got = {"valid": True, "claims": claims_of(decode(vector["token"], keys, audience, CONTEXT_ISSUER))}
        except Refused as refused:
            got = {"valid": False, "reason": refused.reason}
        report("context: " + vector["name"], got == vector["expect"], got)

    claims = claims_of(decode(vectors["decisions"]["context"], keys, audience, CONTEXT_ISSUER))
    for vector in vectors["decisions"]["vectors"]:
        try:
            decisions = decisions_of(decode(vector["token"], keys, audience, DECISIONS_ISSUER), claims, vectors["decisions"]["requestId"])
        except Refused:
            decisions = None
        got = {"valid": True, "decisions": decisions} if decisions is not None else {"valid": False}
        report("decisions: " + vector["name"], got == vector["expect"], got)

    total = len(vectors["context"]) + len(vectors["decisions"]["vectors"])
    print(f"{total - failures} of {total} vectors as expected (PyJWT {jwt.__version__})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

"""A FastAPI upstream behind cognate's REST gateway, verifying the X-Cognate-Caller token with
PyJWT exactly as the README shows: a signed call through the gateway reaches it with a token it
accepts; a call that goes around the gateway with a forged token is refused."""
import json
import os
import socket
import threading
import time

import boto3
import requests
import uvicorn
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

ENDPOINT = os.environ["COGNATE_ENDPOINT"]


def signed(service, method, url, body="", headers=None):
    credentials = boto3.Session().get_credentials()
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    return requests.request(method, url, data=body, headers=dict(request.headers))


def manage(operation, payload):
    answer = signed("cognate", "POST", ENDPOINT + "/", json.dumps(payload), {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"CognateManagementService.{operation}",
    })
    assert answer.status_code == 200, answer.text
    return answer.json()


def readme_upstream(api):
    # The README's FastAPI example, with the API id and cognate's endpoint filled in (and the
    # caller's sub in the answer, to check).
    import jwt
    from fastapi import FastAPI, Header, HTTPException
    API = api; ISSUER = f"{ENDPOINT}/restapis/{API}"
    keys = jwt.PyJWKClient(f"{ISSUER}/.well-known/jwks.json")
    app = FastAPI()
    def caller(token: str) -> dict:
        try:
            key = keys.get_signing_key_from_jwt(token).key
            return jwt.decode(token, key, algorithms=["RS256"], audience=API, issuer=ISSUER)
        except jwt.PyJWTError:
            raise HTTPException(401, "Unauthorized")
    @app.get("/items")
    def items(x_cognate_caller: str = Header(default="")):
        who = caller(x_cognate_caller)
        return {"for": who.get("username"), "groups": who.get("groups", []), "sub": who["sub"]}
    return app


def test_a_fastapi_upstream_trusts_the_gateways_caller_token_and_nothing_else():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    upstream = f"http://127.0.0.1:{port}"
    api = manage("PutRestApi", {"Name": "fastapi", "Stages": ["dev"], "Routes": [
        {"Path": "/items", "Method": "GET", "Upstream": upstream}]})["RestApi"]["ApiId"]
    server = uvicorn.Server(uvicorn.Config(readme_upstream(api), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        answer = signed("execute-api", "GET", f"{ENDPOINT}/restapis/{api}/dev/items")
        assert answer.status_code == 200, answer.text
        assert answer.json()["sub"] == "arn:aws:iam::000000000000:root"
        forged = requests.get(f"{upstream}/items", headers={"x-cognate-caller": "eyJhbGciOiJub25lIn0.e30."})
        assert forged.status_code == 401
        assert requests.get(f"{upstream}/items").status_code == 401
    finally:
        server.should_exit = True
        manage("DeleteRestApi", {"ApiId": api})

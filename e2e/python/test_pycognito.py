"""pycognito signs in with SRP against cognate and verifies the tokens against its JWKS and issuer."""
import os

import boto3
import pytest
from pycognito import Cognito
from pycognito.exceptions import TokenVerificationException

ENDPOINT = os.environ["COGNATE_ENDPOINT"]
PASSWORD = "Correct-Horse-1"


@pytest.fixture()
def idp():
    return boto3.client("cognito-idp", endpoint_url=ENDPOINT, region_name="us-east-1")


@pytest.fixture()
def pool(idp):
    pool_id = idp.create_user_pool(PoolName="pycognito")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="py",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool_id, GroupName="editors", Precedence=2)
    return pool_id, client_id


def create_user(idp, pool_id, username):
    idp.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}])
    idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True)


def cognito(pool_id, client_id, username):
    return Cognito(pool_id, client_id, username=username, boto3_client_kwargs={"endpoint_url": ENDPOINT})


def test_authenticate_verifies_tokens_against_jwks_and_issuer(idp, pool):
    pool_id, client_id = pool
    create_user(idp, pool_id, "pyuser")
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="pyuser", GroupName="editors")
    user = cognito(pool_id, client_id, "pyuser")
    user.authenticate(password=PASSWORD)  # verifies signature, issuer, audience and expiry
    assert user.id_claims["cognito:username"] == "pyuser"
    assert user.id_claims["cognito:groups"] == ["editors"]
    assert user.id_claims["iss"] == f"{ENDPOINT}/{pool_id}"
    assert user.access_claims["token_use"] == "access"
    user.verify_tokens()
    assert user.get_user().email == "pyuser@example.com"


def test_a_wrong_password_is_not_authorized(idp, pool):
    pool_id, client_id = pool
    create_user(idp, pool_id, "pywrong")
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        cognito(pool_id, client_id, "pywrong").authenticate(password="Wrong-Pass-789")


def test_a_token_from_another_pool_does_not_verify(idp, pool):
    pool_id, client_id = pool
    create_user(idp, pool_id, "pyother")
    user = cognito(pool_id, client_id, "pyother")
    user.authenticate(password=PASSWORD)
    other_pool = idp.create_user_pool(PoolName="other")["UserPool"]["Id"]
    stranger = Cognito(other_pool, client_id, id_token=user.id_token, access_token=user.access_token,
                       boto3_client_kwargs={"endpoint_url": ENDPOINT})
    # pycognito finds no key with that kid in the other pool's JWKS (IndexError) or refuses it.
    with pytest.raises((TokenVerificationException, IndexError)):
        stranger.verify_tokens()

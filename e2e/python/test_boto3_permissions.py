"""boto3 against cognate's IAM, STS and identity pools on the one endpoint: roles and policies
(documents come back as boto3 decodes AWS's URL-encoded ones), the simulator, a group member's
and a guest's credentials, and a call the member's role does not allow."""
import json
import os

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["COGNATE_ENDPOINT"]
PASSWORD = "Correct-Horse-1"
ACCOUNT = "000000000000"


def client(service, **credentials):
    return boto3.client(service, endpoint_url=ENDPOINT, region_name="us-east-1", **credentials)


def trust(identity_pool, amr):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr}}}]})


@pytest.fixture()
def project():
    idp, iam, identity = client("cognito-idp"), client("iam"), client("cognito-identity")
    pool = idp.create_user_pool(PoolName="boto3")["UserPool"]["Id"]
    app = idp.create_user_pool_client(UserPoolId=pool, ClientName="web",
                                      ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    app = app["UserPoolClient"]["ClientId"]
    provider = f"cognito-idp.us-east-1.amazonaws.com/{pool}"
    identity_pool = identity.create_identity_pool(
        IdentityPoolName="boto3", AllowUnauthenticatedIdentities=True,
        CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": app}])["IdentityPoolId"]
    roles = {}
    for name, amr in [("auth", "authenticated"), ("unauth", "unauthenticated"), ("adminGroup", "authenticated")]:
        roles[name] = iam.create_role(RoleName=f"{pool}-{name}Role",
                                      AssumeRolePolicyDocument=trust(identity_pool, amr))["Role"]["Arn"]
    idp.create_group(UserPoolId=pool, GroupName="admin", Precedence=1, RoleArn=roles["adminGroup"])
    identity.set_identity_pool_roles(
        IdentityPoolId=identity_pool,
        Roles={"authenticated": roles["auth"], "unauthenticated": roles["unauth"]},
        RoleMappings={f"{provider}:{app}": {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}})
    return {"pool": pool, "app": app, "provider": provider, "identity_pool": identity_pool, "roles": roles}


def test_policies_round_trip_and_the_simulator_decides(project):
    iam = client("iam")
    role = f"{project['pool']}-adminGroupRole"
    document = {"Version": "2012-10-17", "Statement": [{
        "Sid": "ReadUsers", "Effect": "Allow", "Action": "cognito-idp:AdminGetUser",
        "Resource": f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/{project['pool']}"}]}
    iam.put_role_policy(RoleName=role, PolicyName="read-users", PolicyDocument=json.dumps(document))
    # boto3 decodes the URL-encoded document into a dict, as it does for AWS.
    assert iam.get_role_policy(RoleName=role, PolicyName="read-users")["PolicyDocument"] == document
    assert iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == \
        "sts:AssumeRoleWithWebIdentity"
    results = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/{role}",
        ActionNames=["cognito-idp:AdminGetUser", "cognito-idp:AdminDeleteUser"],
        ResourceArns=[document["Statement"][0]["Resource"]])["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "implicitDeny"]
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.put_role_policy(RoleName=role, PolicyName="bad", PolicyDocument='{"Version":"2012-10-17"}')
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="nobody")


def test_a_member_and_a_guest_get_their_roles_credentials(project):
    idp, identity = client("cognito-idp"), client("cognito-identity")
    pool = project["pool"]
    idp.admin_create_user(UserPoolId=pool, Username="ada", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="ada", Password=PASSWORD, Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool, Username="ada", GroupName="admin")
    tokens = idp.initiate_auth(ClientId=project["app"], AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "ada", "PASSWORD": PASSWORD})["AuthenticationResult"]
    logins = {project["provider"]: tokens["IdToken"]}
    member = identity.get_id(IdentityPoolId=project["identity_pool"], Logins=logins)["IdentityId"]
    issued = identity.get_credentials_for_identity(IdentityId=member, Logins=logins)["Credentials"]
    credentials = {"aws_access_key_id": issued["AccessKeyId"], "aws_secret_access_key": issued["SecretKey"],
                   "aws_session_token": issued["SessionToken"]}
    arn = client("sts", **credentials).get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/{pool}-adminGroupRole/CognitoIdentityCredentials"
    with pytest.raises(ClientError) as denied:
        client("cognito-idp", **credentials).admin_delete_user(UserPoolId=pool, Username="ada")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "is not authorized to perform: cognito-idp:AdminDeleteUser" in denied.value.response["Error"]["Message"]

    guest = identity.get_id(IdentityPoolId=project["identity_pool"])["IdentityId"]
    issued = identity.get_credentials_for_identity(IdentityId=guest)["Credentials"]
    assert issued["Expiration"].tzinfo is not None
    arn = client("sts", aws_access_key_id=issued["AccessKeyId"], aws_secret_access_key=issued["SecretKey"],
                 aws_session_token=issued["SessionToken"]).get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/{pool}-unauthRole/CognitoIdentityCredentials"


def test_a_guest_uploads_through_a_post_policy_only_where_its_role_allows(project):
    """generate_presigned_post with a guest's temporary credentials puts the session token in the
    form and in the signed policy; the upload is decided by the guest role's policy."""
    bucket = f"posts-{project['pool'].split('_')[1].lower()}"
    client("s3").create_bucket(Bucket=bucket)
    client("iam").put_role_policy(
        RoleName=f"{project['pool']}-unauthRole", PolicyName="uploads",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": f"arn:aws:s3:::{bucket}/uploads/*"}]}))
    identity = client("cognito-identity")
    guest = identity.get_id(IdentityPoolId=project["identity_pool"])["IdentityId"]
    issued = identity.get_credentials_for_identity(IdentityId=guest)["Credentials"]
    s3 = client("s3", aws_access_key_id=issued["AccessKeyId"], aws_secret_access_key=issued["SecretKey"],
                aws_session_token=issued["SessionToken"],
                config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))

    allowed = s3.generate_presigned_post(bucket, "uploads/note.txt", ExpiresIn=300)
    assert allowed["fields"]["x-amz-security-token"] == issued["SessionToken"]
    answer = requests.post(allowed["url"], data=allowed["fields"],
                           files={"file": ("note.txt", b"posted by a guest")})
    assert answer.status_code in (200, 204), answer.text
    assert s3.get_object(Bucket=bucket, Key="uploads/note.txt")["Body"].read() == b"posted by a guest"

    denied = s3.generate_presigned_post(bucket, "private/note.txt", ExpiresIn=300)
    answer = requests.post(denied["url"], data=denied["fields"],
                           files={"file": ("note.txt", b"not here")})
    assert answer.status_code == 403, answer.text
    assert "<Code>AccessDenied</Code>" in answer.text

"""The IAM policy simulator through boto3: SimulateCustomPolicy and SimulatePrincipalPolicy
responses parse with botocore's model, decisions, matched statements, context and paging."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

S3_READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
        ],
    },
    indent=2,
)
DENY_DELETE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}],
    }
)
EU_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
            }
        ],
    }
)
SQS_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
    }
)
BUCKET = "arn:aws:s3:::photos"
OBJECT = "arn:aws:s3:::photos/cat.jpg"


def test_custom_policy_decisions_and_shape(iam):
    out = iam.simulate_custom_policy(
        PolicyInputList=[S3_READ, DENY_DELETE],
        ActionNames=["s3:GetObject", "s3:DeleteObject", "s3:PutObject"],
        ResourceArns=[BUCKET, OBJECT],
    )
    results = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    assert out["IsTruncated"] is False
    assert [results[a]["EvalDecision"] for a in ("s3:GetObject", "s3:DeleteObject", "s3:PutObject")] == [
        "allowed",
        "explicitDeny",
        "implicitDeny",
    ]
    get = results["s3:GetObject"]
    assert get["EvalResourceName"] == "*"
    (stmt,) = get["MatchedStatements"]
    assert stmt["SourcePolicyId"] == "PolicyInputList.1"
    assert stmt["SourcePolicyType"] == "IAM Policy"
    # json.dumps(indent=2) puts the statement's "{" on line 4, column 5.
    assert stmt["StartPosition"] == {"Line": 4, "Column": 5}
    assert stmt["EndPosition"]["Line"] == 9
    assert get["EvalDecisionDetails"] == {"IAM Policy": "allowed"}
    assert [(r["EvalResourceName"], r["EvalResourceDecision"]) for r in get["ResourceSpecificResults"]] == [
        (BUCKET, "allowed"),
        (OBJECT, "allowed"),
    ]
    deny = results["s3:DeleteObject"]
    assert [s["SourcePolicyId"] for s in deny["MatchedStatements"]] == ["PolicyInputList.2"]
    assert results["s3:PutObject"]["MatchedStatements"] == []


def test_context_entries_and_missing_values(iam):
    def decide(entries):
        out = iam.simulate_custom_policy(
            PolicyInputList=[EU_ONLY], ActionNames=["s3:GetObject"], ContextEntries=entries
        )
        (result,) = out["EvaluationResults"]
        return result["EvalDecision"], result["MissingContextValues"]

    def region(value):
        return [
            {"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": [value], "ContextKeyType": "string"}
        ]

    assert decide(region("eu-west-1")) == ("allowed", [])
    assert decide(region("us-east-1")) == ("implicitDeny", [])
    assert decide([]) == ("implicitDeny", ["aws:RequestedRegion"])


def test_boundary_and_resource_policy(iam):
    bob = f"arn:aws:iam::{ACCOUNT_ID}:user/bob"
    out = iam.simulate_custom_policy(
        PolicyInputList=[S3_READ],
        PermissionsBoundaryPolicyInputList=[SQS_ONLY],
        ActionNames=["s3:GetObject"],
    )
    (result,) = out["EvaluationResults"]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}

    grant = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": bob}, "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}
            ],
        }
    )
    out = iam.simulate_custom_policy(
        PolicyInputList=[SQS_ONLY],
        ActionNames=["s3:GetObject"],
        ResourceArns=[OBJECT],
        ResourcePolicy=grant,
        CallerArn=bob,
    )
    (result,) = out["EvaluationResults"]
    assert result["EvalDecision"] == "allowed"
    assert [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in result["MatchedStatements"]] == [
        ("ResourcePolicy", "resource")
    ]


def test_principal_policy_and_paging(iam):
    iam.create_user(UserName="bob")
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="bob")
    iam.put_group_policy(GroupName="readers", PolicyName="S3Read", PolicyDocument=S3_READ)
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/bob"

    out = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject"])
    (result,) = out["EvaluationResults"]
    assert result["EvalDecision"] == "allowed"
    assert [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in result["MatchedStatements"]] == [
        ("S3Read", "group")
    ]

    actions = ["s3:GetObject", "s3:PutObject", "sqs:SendMessage"]
    paginator = iam.get_paginator("simulate_principal_policy")
    pages = list(
        paginator.paginate(
            PolicySourceArn=arn,
            ActionNames=actions,
            PolicyInputList=[SQS_ONLY],
            PaginationConfig={"PageSize": 2},
        )
    )
    assert [len(p["EvaluationResults"]) for p in pages] == [2, 1]
    decisions = [r["EvalDecision"] for p in pages for r in p["EvaluationResults"]]
    assert decisions == ["allowed", "implicitDeny", "allowed"]


def test_errors(iam):
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT_ID}:user/nobody", ActionNames=["s3:GetObject"]
        )
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=["{not json"], ActionNames=["s3:GetObject"])
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(
            PolicyInputList=[S3_READ], ActionNames=["s3:GetObject"], ResourceArns=["photos"]
        )
    assert e.value.response["Error"]["Code"] == "InvalidInput"

//! Queue policies: validation of a `Policy` attribute through the policy engine, and
//! AddPermission/RemovePermission, which edit that policy by statement `Sid` (the label). It must
//! never evaluate policies (the server authorizes).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::names::QueueName;
use crate::{queues, Inner, SqsError};

/// Actions AddPermission accepts (AWS's list; `*` for all).
const SHAREABLE: [&str; 8] = [
    "*",
    "SendMessage",
    "ReceiveMessage",
    "DeleteMessage",
    "ChangeMessageVisibility",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
];

/// A queue policy must be a valid resource policy.
pub fn validate(policy: &str) -> Result<(), SqsError> {
    tessera_policy::parse_resource_policy(policy)
        .map(|_| ())
        .map_err(|e| {
            SqsError::InvalidAttributeValue(format!(
                "Invalid value for the parameter Policy. Reason: {}",
                e.message()
            ))
        })
}

pub async fn add(
    inner: &Arc<Inner>,
    name: &QueueName,
    label: &str,
    accounts: &[String],
    actions: &[String],
) -> Result<(), SqsError> {
    check_label(label)?;
    if accounts.is_empty() {
        return Err(SqsError::MissingParameter("AWSAccountIds".into()));
    }
    if actions.is_empty() {
        return Err(SqsError::MissingParameter("Actions".into()));
    }
    if actions.len() > 7 {
        return Err(SqsError::OverLimit(format!(
            "{} Actions were found, maximum allowed is 7.",
            actions.len()
        )));
    }
    let mut principals = Vec::with_capacity(accounts.len());
    for a in accounts {
        let id = tessera_core::AccountId::parse(a)
            .map_err(|_| SqsError::invalid_value(a, "AWSAccountIds", "Invalid account id."))?;
        principals.push(id.root_arn());
    }
    let mut iam_actions = Vec::with_capacity(actions.len());
    for a in actions {
        if !SHAREABLE.contains(&a.as_str()) {
            return Err(SqsError::invalid_value(
                a,
                "ActionName",
                "Only the queue owner is allowed to invoke this action.",
            ));
        }
        iam_actions.push(format!("SQS:{a}"));
    }
    let arn = inner.arn(name);
    let statement = json!({
        "Sid": label,
        "Effect": "Allow",
        "Principal": { "AWS": if principals.len() == 1 { json!(principals[0]) } else { json!(principals) } },
        "Action": if iam_actions.len() == 1 { json!(iam_actions[0]) } else { json!(iam_actions) },
        "Resource": arn,
    });
    let label = label.to_owned();
    queues::update(inner, name, move |r| {
        let mut doc = match &r.attributes.policy {
            Some(p) => serde_json::from_str::<Value>(p).map_err(|_| {
                SqsError::InvalidAttributeValue("Invalid value for the parameter Policy.".into())
            })?,
            None => json!({ "Version": "2012-10-17", "Id": format!("{arn}/SQSDefaultPolicy"), "Statement": [] }),
        };
        let statements = statements_mut(&mut doc)?;
        if statements.iter().any(|s| s["Sid"] == label.as_str()) {
            return Err(SqsError::invalid_value(
                &label,
                "Label",
                "Already exists.",
            ));
        }
        statements.push(statement);
        r.attributes.policy = Some(doc.to_string());
        Ok(())
    })
    .await
}

pub async fn remove(inner: &Arc<Inner>, name: &QueueName, label: &str) -> Result<(), SqsError> {
    let label = label.to_owned();
    queues::update(inner, name, move |r| {
        let missing = || SqsError::invalid_value(&label, "Label", "can't find label.");
        let Some(policy) = &r.attributes.policy else {
            return Err(missing());
        };
        let mut doc: Value = serde_json::from_str(policy).map_err(|_| missing())?;
        let statements = statements_mut(&mut doc)?;
        let before = statements.len();
        statements.retain(|s| s["Sid"] != label.as_str());
        if statements.len() == before {
            return Err(missing());
        }
        r.attributes.policy = if statements.is_empty() {
            None
        } else {
            Some(doc.to_string())
        };
        Ok(())
    })
    .await
}

fn statements_mut(doc: &mut Value) -> Result<&mut Vec<Value>, SqsError> {
    let st = &mut doc["Statement"];
    if st.is_object() {
        *st = Value::Array(vec![st.take()]);
    }
    st.as_array_mut().ok_or_else(|| {
        SqsError::InvalidAttributeValue("Invalid value for the parameter Policy.".into())
    })
}

fn check_label(label: &str) -> Result<(), SqsError> {
    let ok = !label.is_empty()
        && label.len() <= 80
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(SqsError::invalid_value(
            label,
            "Label",
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_validation_and_labels() {
        assert!(validate(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}"#
        )
        .is_ok());
        assert!(matches!(
            validate("{nope"),
            Err(SqsError::InvalidAttributeValue(_))
        ));
        assert!(check_label("ok-label_1").is_ok());
        assert!(check_label("bad label").is_err());
        assert!(check_label("").is_err());
    }
}

//! IAM workloads, signed with the command-line credentials.

use super::{not_set_up, request_loop, status_only, BoxFuture, SignedQuery, Target, Workload};
use crate::error::BenchError;
use crate::runner::Lane;

/// `iam-get-user`: `GetUser` without a user name, i.e. the caller itself (root: the account's root
/// user). One store read and one policy decision per request.
#[derive(Default)]
pub struct GetUser {
    query: Option<SignedQuery>,
}

impl Workload for GetUser {
    fn name(&self) -> &'static str {
        "iam-get-user"
    }

    fn setup<'a>(&'a mut self, target: &'a Target) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let creds = target.credentials(self.name())?.clone();
            self.query = Some(SignedQuery::new(
                target,
                creds,
                "iam",
                &[("Action", "GetUser"), ("Version", "2010-05-08")],
            ));
            Ok(())
        })
    }

    fn drive<'a>(&'a self, lane: &'a mut Lane) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let query = self.query.as_ref().ok_or(not_set_up(self.name()))?;
            request_loop(lane, || query.request(), status_only).await
        })
    }
}

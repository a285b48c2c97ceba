//! `noop`: an unsigned `GET /`, for the ceiling of the machine and of the generator itself
//! against `tessera-bench serve-noop` (or any HTTP server).

use super::{not_set_up, request_loop, status_only, BoxFuture, Target, Workload};
use crate::error::BenchError;
use crate::runner::Lane;
use http_body_util::Full;

#[derive(Default)]
pub struct Noop {
    authority: Option<String>,
}

impl Workload for Noop {
    fn name(&self) -> &'static str {
        "noop"
    }

    fn setup<'a>(&'a mut self, target: &'a Target) -> BoxFuture<'a, Result<(), BenchError>> {
        self.authority = Some(target.endpoint.authority.clone());
        Box::pin(async { Ok(()) })
    }

    fn drive<'a>(&'a self, lane: &'a mut Lane) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let authority = self.authority.as_ref().ok_or(not_set_up(self.name()))?;
            let make = || {
                Ok(http::Request::get("/")
                    .header(http::header::HOST, authority)
                    .body(Full::default())?)
            };
            request_loop(lane, make, status_only).await
        })
    }
}

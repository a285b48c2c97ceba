//! `noop`: an unsigned `GET /`, for the ceiling of the machine and of the generator itself
//! against `tessera-bench serve-noop` (or any HTTP server).

use super::{not_set_up, BoxFuture, Target, Workload};
use crate::conn::RequestBody;
use crate::error::BenchError;
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

    fn next_request(&self) -> Result<http::Request<RequestBody>, BenchError> {
        let authority = self.authority.as_ref().ok_or(not_set_up(self.name()))?;
        Ok(http::Request::get("/")
            .header(http::header::HOST, authority)
            .body(Full::default())?)
    }
}

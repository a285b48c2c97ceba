//! An S3 request body as the service consumes it: a stream of data frames (and, for
//! `aws-chunked` uploads, trailer frames), checked against what the client signed.
//!
//! `x-amz-content-sha256` says how the body is protected:
//! - a hex SHA-256: the bytes are hashed as they pass and a mismatch ends the stream with
//!   `XAmzContentSHA256Mismatch` (the service then discards what it wrote);
//! - `UNSIGNED-PAYLOAD` (and presigned, SigV2 or anonymous requests): passed through;
//! - `STREAMING-…`: `aws-chunked` framing, decoded here, every chunk signature checked against
//!   the request's signature as the chunk arrives; checksum trailers become trailer frames.
//!
//! A client that stops sending for [`IDLE_TIMEOUT`] gets `RequestTimeout`. Nothing here buffers
//! more than one network frame plus one chunk header.

use super::access::Verified;
use crate::incoming::Incoming;
use http_body_util::BodyExt;
use hyper::body::Incoming as HyperBody;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::time::Duration;
use tessera_protocol::AwsError;
use tessera_s3::{BodyError, BodyFrame, RequestBody};
use tessera_sigv::chunked::{ChunkedDecoder, ChunkedMode, Decoded};

/// How long a client may pause mid-body.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

enum Check {
    Plain,
    Sha256 { hasher: Sha256, expected: String },
    Chunked(Box<ChunkedDecoder>),
}

struct Pump {
    body: HyperBody,
    check: Check,
    pending: VecDeque<BodyFrame>,
    done: bool,
}

/// Wraps `body` in the checks its headers ask for.
pub fn stream(
    head: &Incoming,
    verified: &Verified,
    body: HyperBody,
) -> Result<RequestBody, AwsError> {
    let check = check_for(head, verified)?;
    let pump = Pump {
        body,
        check,
        pending: VecDeque::new(),
        done: false,
    };
    Ok(Box::pin(futures_util::stream::unfold(
        pump,
        |mut pump| async move {
            let item = pump.next().await?;
            Some((item, pump))
        },
    )))
}

fn check_for(head: &Incoming, verified: &Verified) -> Result<Check, AwsError> {
    let declared = head.header("x-amz-content-sha256").unwrap_or("");
    let signed_in_header = verified
        .signature
        .as_ref()
        .is_some_and(|s| s.scheme == tessera_sigv::Scheme::V4Header);
    if !signed_in_header {
        return Ok(Check::Plain);
    }
    let Some(mode) = ChunkedMode::from_content_sha256(declared) else {
        if declared == "UNSIGNED-PAYLOAD" {
            return Ok(Check::Plain);
        }
        if declared.len() == 64 && declared.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Check::Sha256 {
                hasher: Sha256::new(),
                expected: declared.to_ascii_lowercase(),
            });
        }
        return Err(AwsError::new(
            "InvalidArgument",
            400,
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, \
             STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER \
             or a valid sha256 value.",
        ));
    };
    let decoded_len = match head.header("x-amz-decoded-content-length") {
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            AwsError::new(
                "InvalidArgument",
                400,
                "x-amz-decoded-content-length is not a number",
            )
        })?),
        None => None,
    };
    let decoder = ChunkedDecoder::new(mode, verified.chunk_signing.clone(), decoded_len)
        .map_err(|e| AwsError::new(e.aws_code(), 400, e.to_string()))?;
    Ok(Check::Chunked(Box::new(decoder)))
}

impl Pump {
    async fn next(&mut self) -> Option<Result<BodyFrame, BodyError>> {
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return Some(Ok(frame));
            }
            if self.done {
                return None;
            }
            let frame = match tokio::time::timeout(IDLE_TIMEOUT, self.body.frame()).await {
                Err(_) => return Some(Err(self.fail(timeout()))),
                Ok(Some(Err(e))) => {
                    return Some(Err(self.fail(BodyError {
                        code: "IncompleteBody",
                        message: format!("The request body could not be read: {e}"),
                        status: 400,
                    })))
                }
                Ok(None) => {
                    self.done = true;
                    if let Err(e) = self.finish() {
                        return Some(Err(e));
                    }
                    continue;
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else {
                continue; // HTTP/1 trailers: not used by S3 clients
            };
            match &mut self.check {
                Check::Plain => return Some(Ok(BodyFrame::Data(data))),
                Check::Sha256 { hasher, .. } => {
                    hasher.update(&data);
                    return Some(Ok(BodyFrame::Data(data)));
                }
                Check::Chunked(decoder) => {
                    decoder.feed(data);
                    if let Err(e) = self.drain() {
                        return Some(Err(e));
                    }
                }
            }
        }
    }

    /// Moves everything the decoder can produce now into `pending`.
    fn drain(&mut self) -> Result<(), BodyError> {
        let Check::Chunked(decoder) = &mut self.check else {
            return Ok(());
        };
        loop {
            match decoder.next() {
                Ok(Some(Decoded::Data(bytes))) => self.pending.push_back(BodyFrame::Data(bytes)),
                Ok(Some(Decoded::Trailer { name, value })) => {
                    self.pending.push_back(BodyFrame::Trailer { name, value });
                }
                Ok(Some(Decoded::End)) | Ok(None) => return Ok(()),
                Err(e) => {
                    let err = BodyError {
                        code: e.aws_code(),
                        message: e.to_string(),
                        status: 400,
                    };
                    return Err(self.fail(err));
                }
            }
        }
    }

    /// End of input: the last checks.
    fn finish(&mut self) -> Result<(), BodyError> {
        match std::mem::replace(&mut self.check, Check::Plain) {
            Check::Plain => Ok(()),
            Check::Sha256 { hasher, expected } => {
                let actual = hex::encode(hasher.finalize());
                if actual == expected {
                    Ok(())
                } else {
                    Err(BodyError {
                        code: "XAmzContentSHA256Mismatch",
                        message: "The provided 'x-amz-content-sha256' header does not match what was computed.".to_owned(),
                        status: 400,
                    })
                }
            }
            Check::Chunked(mut decoder) => {
                decoder.finish_input();
                self.check = Check::Chunked(decoder);
                self.drain()
            }
        }
    }

    fn fail(&mut self, err: BodyError) -> BodyError {
        self.done = true;
        self.pending.clear();
        err
    }
}

fn timeout() -> BodyError {
    BodyError {
        code: "RequestTimeout",
        message: "Your socket connection to the server was not read from or written to within the timeout period.".to_owned(),
        status: 400,
    }
}

/// Reads a small body whole (at most `limit` data bytes), keeping its frames (data and
/// trailers) so that the service can be handed the very same body with [`replay`].
pub async fn buffer_small(
    mut body: RequestBody,
    limit: usize,
) -> Result<(Vec<BodyFrame>, Vec<u8>), BodyError> {
    use futures_util::StreamExt;
    let mut frames = Vec::new();
    let mut data = Vec::new();
    while let Some(frame) = body.next().await {
        let frame = frame?;
        if let BodyFrame::Data(bytes) = &frame {
            if data.len() + bytes.len() > limit {
                return Err(BodyError {
                    code: "MaxMessageLengthExceeded",
                    message: "Your request was too big.".to_owned(),
                    status: 400,
                });
            }
            data.extend_from_slice(bytes);
        }
        frames.push(frame);
    }
    Ok((frames, data))
}

/// A body made of frames already read.
pub fn replay(frames: Vec<BodyFrame>) -> RequestBody {
    Box::pin(futures_util::stream::iter(frames.into_iter().map(Ok)))
}
